"""The shared ledger: the `rate_key` table, one row per key, one SQL statement per booking.

The booking statement holds all of a key's limits at once (GCRA pacing, a pause, the daily quota and the
learned rate): splitting it by limit would split one atomic update.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import Float, Integer, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mysetlist_common.upstream.budget.ledger import Booking, slot_moments, wait_for_horizon
from mysetlist_common.upstream.budget.policy import Policy

# Typed binds: asyncpg cannot deduce one type for a parameter used in several places.
_TYPES = {"u": Text, "h": Text, "reason": Text, "n": Integer, "quota": Integer, "available": Integer}


def _sql(statement: str) -> Any:
    names = set(re.findall(r"(?<![:\w]):(\w+)", statement))
    return text(statement).bindparams(*(bindparam(n, type_=_TYPES.get(n, Float)) for n in sorted(names)))


_ENSURE = _sql(
    """
    INSERT INTO rate_key (upstream, key_hash, rate_per_s, rate_changed_at, ceiling_per_s, floor_per_s,
                          increase_per_s2, burst_s, quota_per_day, quota_left, quota_reset_at)
    VALUES (:u, :h, :rate, extract(epoch FROM clock_timestamp())::float8, :rate, :floor, :inc, :burst, :quota,
            :quota, extract(epoch FROM clock_timestamp())::float8 + 86400)
    ON CONFLICT (upstream, key_hash) DO UPDATE SET
        ceiling_per_s = excluded.ceiling_per_s, floor_per_s = excluded.floor_per_s,
        increase_per_s2 = excluded.increase_per_s2, burst_s = excluded.burst_s,
        quota_per_day = excluded.quota_per_day,
        -- a rate that is not learned is the configured one; a learned one never exceeds it
        rate_per_s = CASE WHEN excluded.floor_per_s = 0 THEN excluded.ceiling_per_s
                          ELSE least(rate_key.rate_per_s, excluded.ceiling_per_s) END
    """
)

# One statement per booking. The CTE locks the row and reads the database's clock after the lock (a
# concurrent booking's update makes FOR UPDATE re-read the newest row), so bookings are serialised.
_BOOK = _sql(
    """
    WITH k AS (
        SELECT *, extract(epoch FROM clock_timestamp())::float8 AS now
        FROM rate_key WHERE upstream = :u AND key_hash = :h FOR UPDATE
    ), r AS (  -- the learned rate now (it climbs only while the key is not paused), and the daily quota
               -- now (a passed reset starts a new day)
        SELECT k.*,
            greatest(least(ceiling_per_s, rate_per_s + increase_per_s2
                           * greatest(0, now - greatest(rate_changed_at, paused_until))), 1e-9) AS rate,
            CASE WHEN quota_reset_at <= now THEN quota_per_day ELSE quota_left END AS left_now,
            CASE WHEN quota_reset_at <= now THEN now + 86400 ELSE quota_reset_at END AS reset_now
        FROM k
    ), p AS (  -- nothing before a pause ends, or an exhausted quota's reset
        SELECT r.*, greatest(paused_until, CASE WHEN left_now <= 0 THEN reset_now ELSE 0 END) AS hold
        FROM r
    ), b AS (  -- the first slot's GCRA time: after the last one booked
        SELECT p.*, greatest(tat, now, hold) AS base FROM p
    ), g AS (  -- as many as asked, the quota allows and lie within the horizon (burst_s earlier)
        SELECT b.*, CASE WHEN hold > now + :horizon THEN 0
                         ELSE greatest(0, least(:n, coalesce(left_now, :n),
                                                floor((now + :horizon + burst_s - base) * rate) + 1))
                    END::int AS granted
        FROM b
    )
    UPDATE rate_key t
    SET tat = CASE WHEN g.granted > 0 THEN g.base + g.granted / g.rate ELSE t.tat END,
        quota_left = g.left_now - g.granted, quota_reset_at = g.reset_now
    FROM g WHERE t.upstream = g.upstream AND t.key_hash = g.key_hash
    RETURNING g.now, g.base, g.rate, g.burst_s, g.hold, g.granted, g.paused_until, g.pause_reason,
              g.left_now
    """
)

_PAUSE = _sql(
    """
    UPDATE rate_key SET
        pause_reason = CASE WHEN extract(epoch FROM clock_timestamp())::float8 + :s > paused_until
                            THEN :reason ELSE pause_reason END,
        paused_until = greatest(paused_until, extract(epoch FROM clock_timestamp())::float8 + :s)
    WHERE upstream = :u AND key_hash = :h
    """
)

# Multiplicative decrease of the rate in effect now (its lazy increase included), unless a decrease came
# after the request was booked: the 429s of one burst halve the rate once, not once per request.
_SLOW_DOWN = _sql(
    """
    UPDATE rate_key SET
        rate_per_s = greatest(floor_per_s, least(ceiling_per_s, rate_per_s + increase_per_s2
                              * greatest(0, extract(epoch FROM clock_timestamp())::float8
                                            - greatest(rate_changed_at, paused_until))) / 2),
        rate_changed_at = extract(epoch FROM clock_timestamp())::float8
    WHERE upstream = :u AND key_hash = :h AND floor_per_s > 0 AND rate_changed_at < :booked_at
    RETURNING rate_per_s
    """
)

# The upstream's own count wins: our countdown is an estimate between its answers (a booking left unused
# or a parked call counts down too, so trusting only a lower count would drift to a quota we believe used
# up while the upstream still has calls; requests in flight make its count briefly a few too high, which
# a QuotaViolation would correct).
_LEARN_QUOTA = _sql(
    """
    UPDATE rate_key SET
        quota_left = :available,
        quota_reset_at = extract(epoch FROM clock_timestamp())::float8 + :reset_in
    WHERE upstream = :u AND key_hash = :h AND quota_per_day IS NOT NULL
    """
)


class _Held:
    """A connection kept open on one engine, each statement its own transaction (AUTOCOMMIT): the row
    lock is released as the statement ends, never held while this process waits for the CPU."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.lock = asyncio.Lock()
        self._conn: AsyncConnection | None = None

    async def connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
        return self._conn

    async def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


class PgLedger:
    """The shared ledger: the `rate_key` table. `engine` defaults to the process's (db.session)."""

    def __init__(self, engine: Callable[[], AsyncEngine] | None = None) -> None:
        if engine is None:
            from mysetlist_common.db.session import get_engine

            engine = get_engine
        self._engine = engine
        # one connection per event loop, kept open: a pooled checkout would ping first (pool_pre_ping),
        # a second round trip on every booking's path
        self._held: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Held] = weakref.WeakKeyDictionary()
        self._ensured: set[Policy] = set()

    async def _run(self, statement: Any, params: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        engine = self._engine()
        held = self._held.get(loop)
        if held is None or held.engine is not engine:
            if held is not None:  # the process's engine was replaced (tests): let the old one go
                await held.drop()
            held = self._held[loop] = _Held(engine)
        async with held.lock:
            try:
                conn = await held.connection()
                result = await conn.execute(statement, params)
                return result.first() if result.returns_rows else None
            except BaseException:
                await held.drop()  # a broken or interrupted connection is never used again
                raise

    async def aclose(self) -> None:
        """Return the connection this event loop holds (at shutdown)."""
        held = self._held.pop(asyncio.get_running_loop(), None)
        if held is not None:
            await held.drop()

    async def _ensure(self, policy: Policy) -> None:
        params = {
            "u": policy.upstream,
            "h": policy.key_hash,
            "rate": policy.rate_per_s,
            "floor": policy.floor_per_s,
            "inc": policy.increase_per_s2,
            "burst": policy.burst_s,
            "quota": policy.quota_per_day,
        }
        await self._run(_ENSURE, params)
        self._ensured.add(policy)

    async def prepare(self, policy: Policy) -> None:
        """The key's row exists and carries this policy (and a connection is open)."""
        if policy not in self._ensured:
            await self._ensure(policy)

    async def book(self, policy: Policy, n: int, horizon_s: float) -> Booking:
        params = {"u": policy.upstream, "h": policy.key_hash, "n": n, "horizon": horizon_s}
        row = await self._run(_BOOK, params)
        if row is None:  # the row is gone (a test reset the budgets): make it again
            await self._ensure(policy)
            row = await self._run(_BOOK, params)
        now, base, rate, burst, hold, granted, paused_until, reason, left = row
        paused = max(hold - now, 0.0)
        if left is not None and left <= 0 and hold > paused_until:
            reason = "daily quota used up"
        return Booking(
            granted=granted,
            slots=slot_moments(granted, base, rate, burst, hold, now),
            booked_at=now,
            wait_s=wait_for_horizon(base, burst, hold, horizon_s, now) if granted == 0 else 0.0,
            paused_s=paused,
            reason=reason,
            rate_per_s=rate,
        )

    async def pause(self, policy: Policy, seconds: float, reason: str) -> None:
        params = {"u": policy.upstream, "h": policy.key_hash, "s": seconds, "reason": reason}
        await self._run(_PAUSE, params)

    async def slow_down(self, policy: Policy, booked_at: float) -> float | None:
        row = await self._run(
            _SLOW_DOWN, {"u": policy.upstream, "h": policy.key_hash, "booked_at": booked_at}
        )
        return None if row is None else float(row[0])

    async def learn_quota(self, policy: Policy, available: int, reset_in_s: float) -> None:
        params = {"u": policy.upstream, "h": policy.key_hash, "available": available, "reset_in": reset_in_s}
        await self._run(_LEARN_QUOTA, params)

    async def forget(self) -> None:
        await self._run(text("DELETE FROM rate_key"), {})
        self._ensured.clear()
