"""One request budget per upstream API key, shared by every process that uses the key.

Every replica of shows-ingest and catalog-ingest, the gateway's search and the ISRC backfill book their
requests in one PostgreSQL row per (upstream, sha256 of the key) (`rate_key`; the key itself is never
stored or logged). The row holds everything the key's limits need, so all of them are enforced together:

- pacing, GCRA as booked slots: `tat` is the next free slot; a booking of n slots is ONE statement that
  moves `tat` to max(tat, now) + n / rate and returns where the slots lie. `burst_s` is GCRA's tolerance:
  0 for Ticketmaster and MusicBrainz (a sliding-second spike arrest counts every burst), a few seconds for
  Spotify's rolling 30 s window (any 30 s then holds at most 1 + (30 + burst_s) x rate requests, and the
  rate is chosen so that stays under the window's number);
- a pause (`paused_until`, `pause_reason`): a Retry-After or a quota reset holds back every process at once;
- a daily quota (`quota_left` until `quota_reset_at`), counted down per booking and corrected from what
  the upstream says it has left (Ticketmaster's Rate-Limit-Available / Rate-Limit-Reset);
- a learned rate (AIMD): the configured rate is a ceiling; a 429 halves the shared rate at once (floor at
  `floor_per_s`; a 429 of a request booked before the last decrease is already answered by it), and it
  creeps back up by `increase_per_s2` per second without a 429, computed lazily from the time elapsed.

Moments in the row are epoch seconds on the database's clock: the one clock all replicas share. A process
only ever turns them into durations ("this slot is in 0.35 s") measured on its own monotonic clock.

Inside a process, callers do not book for themselves. They queue per key, ordered by (priority, requests
their import has made so far, arrival), and a few bookers per key book slots for the queue, each only
within a short horizon of now, and hand each slot at its time to the best waiter then present:

- priority: a user's import is served before background work, also across processes, because the
  horizon depends on who waits: users may book up to USER_HORIZON_S ahead, background callers only a slot
  that is free now. While users anywhere keep the key busy, background work gets nothing.
- least attained service: among imports of one priority, the one that has made the fewest requests goes
  first. Import sizes are unknown up front; an import that has made few requests is likely a small one,
  so serving the least-served first approximates shortest-remaining-first (the order that minimises mean
  completion time) without knowing sizes: a sparse import's few requests go promptly while twenty
  prolific imports share the rest, and long imports still interleave rather than starve.
- the horizon also keeps one process from booking thousands of future slots at once: a process holds at
  most a horizon's worth of the key, so a newly requested import in another process waits for at most
  that much, not for everything booked before it.

When a caller would wait longer than it may (a pause, an exhausted quota, a long queue), `acquire` raises
`KeyBusy` without booking anything; the client turns that into `Parked` (inside a CallContext) or
`WaitCapExceeded`. When the budget's database cannot be reached, nothing is booked and so no request goes
upstream (a process never guesses): callers wait, then fail with the retryable `BudgetUnavailable`; a
gauge and one log line (not one per request) say so.

`MemoryLedger` keeps the same rows in a dict: for unit tests and single-process tools only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import itertools
import logging
import math
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from sqlalchemy import Float, Integer, Text, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mysetlist_common.metrics import (
    UPSTREAM_BUDGET_UNAVAILABLE,
    UPSTREAM_KEY_PAUSES,
    UPSTREAM_RATE_LEARNED,
    UPSTREAM_SLOTS_LATE,
)
from mysetlist_common.upstream.calls import Priority

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]

USER_HORIZON_S = 0.5  # how far ahead a user's caller may book: a couple of Ticketmaster slots
BACKGROUND_HORIZON_S = 0.0  # background work only takes a slot that is free now
MAX_BATCH = 64  # slots one booking may take (a Spotify burst); the horizon usually allows fewer
BOOKERS = 2  # per key and process: one books while the other sleeps until its slots
LEDGER_TIMEOUT_S = 5.0  # a booking that takes longer counts as the database being unreachable
RETRY_UNREACHABLE_S = 1.0
# A paced key's slot is left unused when it would go later than this after the last slot of its booking:
# the next slot (another process's, perhaps) is only 1/rate later, and the margin below leaves a
# sliding-second spike arrest ~0.16 s of slack in all (the rest is for the network and the upstream).
LATE_S = 0.1
POLL_CAP_S = 1.0  # a booker waiting for a pause or the horizon looks again at least this often
DAY_S = 86400.0
_RANK: dict[Priority, int] = {"user": 0, "background": 1}


# A sliding-second spike arrest (Ticketmaster, MusicBrainz) is paced at 90 % of its rate: at 5/s, five
# slots span 1.11 s instead of 1 s, room for a request that reaches the upstream a little late (a slot
# used up to LATE_S late, a slow connection, the upstream's own jitter).
SPIKE_ARREST_MARGIN = 0.9
# Spotify's rolling window: GCRA tolerance, the share of the window that may go at once.
WINDOW_BURST_SHARE = 0.1


def key_hash(upstream: str, key: str) -> str:
    """What the row is keyed by: never the key itself."""
    return hashlib.sha256(f"{upstream}\0{key}".encode()).hexdigest()


@dataclass(frozen=True)
class Policy:
    """One key's limits, as configured (the row learns the rest)."""

    upstream: str
    key_hash: str
    rate_per_s: float  # the ceiling
    floor_per_s: float = 0.0  # 0: the rate is not learned (no decrease on a 429)
    increase_per_s2: float = 0.0  # additive increase of a learned rate, per second without a 429
    burst_s: float = 0.0
    quota_per_day: int | None = None

    @property
    def learns(self) -> bool:
        return self.floor_per_s > 0


def paced_policy(upstream: str, key: str, per_s: float, quota_per_day: int | None = None) -> Policy:
    """A per-second spike arrest: even pacing, no burst (and perhaps a daily quota)."""
    return Policy(upstream, key_hash(upstream, key), per_s * SPIKE_ARREST_MARGIN, quota_per_day=quota_per_day)


def window_policy(upstream: str, key: str, per_window: float, window_s: float) -> Policy:
    """A rolling window of `per_window` requests, its real number learned (AIMD) below that ceiling.

    GCRA admits at most 1 + (window_s + burst_s) x rate requests in any window_s: the rate is chosen so
    that this stays at `per_window`, while a tenth of the window may go at once (an import's independent
    calls need not queue behind each other). A 429 halves it (not below 1/s); it recovers in ~5 min.
    """
    burst_s = window_s * WINDOW_BURST_SHARE
    rate = max(per_window - 1, 1.0) / (window_s + burst_s)
    return Policy(
        upstream,
        key_hash(upstream, key),
        rate,
        floor_per_s=min(rate, 1.0),
        increase_per_s2=rate / 300,
        burst_s=burst_s,
    )


@dataclass(frozen=True)
class Booking:
    """A ledger's answer: `granted` slots at the moments `slots` (the ledger's clock, as `booked_at`)."""

    granted: int
    slots: tuple[float, ...]
    booked_at: float  # the ledger's clock at booking (for AIMD: was the 429 answered already?)
    wait_s: float  # granted 0: seconds until a slot is within the horizon again
    paused_s: float  # seconds the key is still paused (pause or exhausted quota), 0 if not
    reason: str
    rate_per_s: float


class Ledger(Protocol):
    async def prepare(self, policy: Policy) -> None: ...
    async def book(self, policy: Policy, n: int, horizon_s: float) -> Booking: ...
    async def pause(self, policy: Policy, seconds: float, reason: str) -> None: ...
    async def slow_down(self, policy: Policy, booked_at: float) -> float | None: ...
    async def learn_quota(self, policy: Policy, available: int, reset_in_s: float) -> None: ...
    async def forget(self) -> None: ...


@dataclass(frozen=True)
class Grant:
    """A slot handed to a caller: when (this process's clock) and when it was booked (the ledger's)."""

    at: float
    booked_at: float


class KeyBusy(Exception):
    """The caller would have to wait `wait_s` (longer than it may); nothing was booked for it.
    `paused`: the key is paused (a 429, a quota), not merely busy with other callers."""

    def __init__(self, wait_s: float, reason: str, *, paused: bool) -> None:
        super().__init__(reason)
        self.wait_s = wait_s
        self.reason = reason
        self.paused = paused


class BudgetUnavailable(Exception):
    """The budget's database cannot be reached: no slot, so no request (retry later)."""


def _slots(
    granted: int, base: float, rate: float, burst_s: float, hold: float, now: float
) -> tuple[float, ...]:
    """Each slot's moment: GCRA's (burst_s early), never before now or before a pause ends (`hold`)."""
    return tuple(max(hold, now, base + i / rate - burst_s) for i in range(granted))


def _wait(base: float, burst_s: float, hold: float, horizon_s: float, now: float) -> float:
    """Nothing granted: seconds until the first slot lies within the horizon."""
    return max(0.0, max(hold, base - burst_s) - horizon_s - now)


# ------------------------------------------------------------------------------------------ PostgreSQL

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
    ), r AS (  -- the learned rate now, and the daily quota now (a passed reset starts a new day)
        SELECT k.*,
            greatest(least(ceiling_per_s, rate_per_s + increase_per_s2 * (now - rate_changed_at)),
                     1e-9) AS rate,
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
                              * (extract(epoch FROM clock_timestamp())::float8 - rate_changed_at)) / 2),
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
            slots=_slots(granted, base, rate, burst, hold, now),
            booked_at=now,
            wait_s=_wait(base, burst, hold, horizon_s, now) if granted == 0 else 0.0,
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


# ------------------------------------------------------------------------------- in memory (tests)


@dataclass
class _Row:
    policy: Policy
    tat: float = 0.0
    rate: float = 0.0
    rate_changed_at: float = 0.0
    paused_until: float = 0.0
    reason: str = ""
    quota_left: int | None = None
    quota_reset_at: float = 0.0


@dataclass
class MemoryLedger:
    """The same ledger in a dict: for unit tests and single-process tools, never for replicas."""

    clock: Clock = time.time
    rows: dict[tuple[str, str], _Row] = field(default_factory=dict)

    async def prepare(self, policy: Policy) -> None:
        self.row(policy)

    def row(self, policy: Policy) -> _Row:
        key = (policy.upstream, policy.key_hash)
        row = self.rows.get(key)
        if row is None or row.policy != policy:
            now = self.clock()
            fresh = _Row(policy, rate=policy.rate_per_s, rate_changed_at=now)
            fresh.quota_left, fresh.quota_reset_at = policy.quota_per_day, now + DAY_S
            if row is not None:  # a new policy keeps the key's state
                fresh = replace(row, policy=policy, rate=min(row.rate, policy.rate_per_s))
            row = self.rows[key] = fresh
        return row

    def rate(self, row: _Row, now: float) -> float:
        p = row.policy
        learned = row.rate + p.increase_per_s2 * (now - row.rate_changed_at)
        return max(min(p.rate_per_s, learned), 1e-9)

    async def book(self, policy: Policy, n: int, horizon_s: float) -> Booking:
        row, now = self.row(policy), self.clock()
        rate = self.rate(row, now)
        if row.quota_left is not None and row.quota_reset_at <= now:
            row.quota_left, row.quota_reset_at = policy.quota_per_day, now + DAY_S
        quota_out = row.quota_left is not None and row.quota_left <= 0
        hold = max(row.paused_until, row.quota_reset_at if quota_out else 0.0)
        base = max(row.tat, now, hold)
        fit = math.floor((now + horizon_s + policy.burst_s - base) * rate) + 1
        granted = max(0, min(n, fit, n if row.quota_left is None else row.quota_left))
        if hold > now + horizon_s:
            granted = 0
        if granted:
            row.tat = base + granted / rate
            if row.quota_left is not None:
                row.quota_left -= granted
        return Booking(
            granted=granted,
            slots=_slots(granted, base, rate, policy.burst_s, hold, now),
            booked_at=now,
            wait_s=_wait(base, policy.burst_s, hold, horizon_s, now) if granted == 0 else 0.0,
            paused_s=max(0.0, hold - now),
            reason="daily quota used up" if quota_out else row.reason,
            rate_per_s=rate,
        )

    async def pause(self, policy: Policy, seconds: float, reason: str) -> None:
        row = self.row(policy)
        until = self.clock() + seconds
        if until > row.paused_until:
            row.paused_until, row.reason = until, reason

    async def slow_down(self, policy: Policy, booked_at: float) -> float | None:
        row, now = self.row(policy), self.clock()
        if not policy.learns or row.rate_changed_at >= booked_at:
            return None
        row.rate, row.rate_changed_at = max(policy.floor_per_s, self.rate(row, now) / 2), now
        return row.rate

    async def learn_quota(self, policy: Policy, available: int, reset_in_s: float) -> None:
        row, now = self.row(policy), self.clock()
        if row.quota_left is None:
            return
        row.quota_left = available
        row.quota_reset_at = now + reset_in_s

    async def forget(self) -> None:
        self.rows.clear()


# ------------------------------------------------------------------------------ the process's queue


@dataclass(order=True)
class _Waiter:
    rank: int
    attained: int
    seq: int
    future: asyncio.Future[Grant] = field(compare=False)
    deadline: float = field(compare=False)  # local monotonic


class KeyBudget:
    """This process's queue for one key: waiters in (priority, attained service, arrival) order, a few
    bookers that book slots within a short horizon and hand each one, at its time, to the best waiter."""

    def __init__(
        self,
        policy: Policy,
        ledger: Ledger,
        *,
        bookers: int = BOOKERS,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.policy = policy
        self.ledger = ledger
        self.max_bookers = bookers
        self._clock = clock
        self._sleep = sleep
        self._heap: list[_Waiter] = []
        self._waiting = 0  # waiters in the heap whose future is not done yet
        self._seq = itertools.count()
        self._bookers: set[asyncio.Task[None]] = set()
        self._promised = 0  # slots booked and not handed out yet
        self._handed = -math.inf  # when this process last handed a slot out (local clock)
        # the ledger's clock minus ours, from the booking with the shortest round trip (as NTP does)
        self._offset = 0.0
        self._offset_rtt = math.inf
        self._paused_until = 0.0  # our clock; what the last booking or pause said
        self._pause_reason = ""
        self._rate = policy.rate_per_s
        self._unreachable = False
        self._prepared = False
        self._quota_learnt_at = -math.inf
        self._quota_learnt: tuple[int, float] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    # ---- what callers use

    @property
    def waiting(self) -> int:
        return self._waiting

    async def acquire(
        self, priority: Priority = "user", attained: int = 0, max_wait_s: float = 60.0
    ) -> Grant:
        """Wait for a slot (its booking time is what `rate_limited` needs).

        Raises KeyBusy when the key is known to be paused longer than `max_wait_s` (before queueing) or
        the slot does not come within it, BudgetUnavailable when the ledger could not be reached.
        """
        paused = self._paused_until - self._clock()
        if paused > max_wait_s:
            raise KeyBusy(paused, self._pause_reason or "rate limited", paused=True)
        loop = asyncio.get_running_loop()
        waiter = _Waiter(
            _RANK[priority], attained, next(self._seq), loop.create_future(), self._clock() + max_wait_s
        )
        heapq.heappush(self._heap, waiter)
        self._waiting += 1
        waiter.future.add_done_callback(self._left)
        self._start_bookers()
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), max(0.0, max_wait_s))
        except TimeoutError:
            if waiter.future.done() and not waiter.future.cancelled() and waiter.future.exception() is None:
                return waiter.future.result()  # handed over just as the wait ran out
            waiter.future.cancel()
            if self._unreachable:
                raise BudgetUnavailable(
                    f"{self.policy.upstream}: the rate budget's database cannot be reached"
                ) from None
            paused = self.paused_s() > 0
            reason = self._pause_reason if paused else "the API key is busy"
            raise KeyBusy(self._estimate(), reason or "rate limited", paused=paused) from None
        finally:
            if not waiter.future.done():
                waiter.future.cancel()

    async def pause_for(self, seconds: float, reason: str) -> None:
        """No request on this key before `seconds` from now, in any process."""
        UPSTREAM_KEY_PAUSES.labels(self.policy.upstream).inc()
        until = self._clock() + seconds
        if until > self._paused_until:
            self._paused_until, self._pause_reason = until, reason
        await self.ledger.pause(self.policy, seconds, reason)

    def paused_s(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def rate_limited(self, booked_at: float) -> None:
        """A 429 for a request booked at `booked_at`: halve the shared rate (learning keys only)."""
        if self.policy.learns:
            rate = await self.ledger.slow_down(self.policy, booked_at)
            if rate is not None:
                self._rate = rate
                UPSTREAM_RATE_LEARNED.labels(self.policy.upstream).set(rate)
                log.info("%s: a 429 halved the key's shared rate to %.2f/s", self.policy.upstream, rate)

    def learn_quota(self, available: int, reset_in_s: float) -> None:
        """What the upstream says is left of the daily quota, written in the background (never on the
        request's path) at most once a second per process, unless it tells of another day or runs out."""
        now = self._clock()
        day = now + reset_in_s
        last = self._quota_learnt
        new_day = last is None or abs(last[1] - day) > 60
        if not new_day and available > 0 and now - self._quota_learnt_at < 1.0:
            return
        self._quota_learnt, self._quota_learnt_at = (available, day), now
        task = asyncio.create_task(self._write_quota(available, reset_in_s))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_quota(self, available: int, reset_in_s: float) -> None:
        try:
            await asyncio.wait_for(
                self.ledger.learn_quota(self.policy, available, reset_in_s), LEDGER_TIMEOUT_S
            )
        except Exception as exc:  # a correction that the next answer brings again
            log.debug("%s: could not record the quota left (%s)", self.policy.upstream, type(exc).__name__)

    # ---- the bookers

    def _left(self, _: asyncio.Future[Grant]) -> None:
        self._waiting -= 1

    def _estimate(self) -> float:
        ahead = self.waiting + 1
        return max(self.paused_s(), ahead / max(self._rate, 1e-9))

    def _start_bookers(self) -> None:
        wanted = min(self.max_bookers, max(0, self.waiting - self._promised))
        while len(self._bookers) < wanted:
            task = asyncio.create_task(self._book_loop(), name=f"budget-{self.policy.upstream}")
            self._bookers.add(task)
            task.add_done_callback(self._bookers.discard)

    def _best(self) -> _Waiter | None:
        while self._heap and self._heap[0].future.done():
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    def _reject_beyond(self, wait_s: float, reason: str) -> None:
        """Waiters that may not wait `wait_s` hear so now, not when their own wait runs out."""
        now = self._clock()
        for waiter in self._heap:
            if not waiter.future.done() and waiter.deadline - now < wait_s:
                waiter.future.set_exception(KeyBusy(wait_s, reason, paused=True))

    async def _book_loop(self) -> None:
        while (best := self._best()) is not None:
            wanted = self.waiting - self._promised
            if wanted <= 0:
                return
            horizon = USER_HORIZON_S if best.rank == _RANK["user"] else BACKGROUND_HORIZON_S
            try:
                if not self._prepared:  # outside the timed booking: its round trip sets the clock offset
                    await asyncio.wait_for(self.ledger.prepare(self.policy), LEDGER_TIMEOUT_S)
                    self._prepared = True
                sent = self._clock()
                booking = await asyncio.wait_for(
                    self.ledger.book(self.policy, min(wanted, MAX_BATCH), horizon), LEDGER_TIMEOUT_S
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever the reason, no slot means no request
                self._down(exc)
                await self._sleep(RETRY_UNREACHABLE_S)
                continue
            received = self._clock()
            self._up()
            self._learn_offset(sent, received, booking.booked_at)
            self._rate = booking.rate_per_s
            UPSTREAM_RATE_LEARNED.labels(self.policy.upstream).set(booking.rate_per_s)
            if booking.paused_s > 0:
                self._paused_until, self._pause_reason = received + booking.paused_s, booking.reason
                self._reject_beyond(booking.paused_s, booking.reason)
            if booking.granted == 0:
                await self._sleep(min(max(booking.wait_s, 0.001), POLL_CAP_S))
                continue
            self._promised += booking.granted
            try:
                # the batch's slots are consecutive in the ledger: only the one after the last may be
                # another process's, so a late slot may still go while it goes before the last one would
                deadline = booking.slots[-1] - self._offset + LATE_S
                for index, slot in enumerate(booking.slots):
                    if not await self._await_slot(slot - self._offset, booking.rate_per_s, deadline):
                        self._promised -= 1
                        continue
                    self._promised -= 1
                    waiter = self._best()
                    if waiter is None:  # everyone left: the rest of the slots go unused
                        self._promised -= booking.granted - index - 1
                        return
                    heapq.heappop(self._heap)
                    waiter.future.set_result(Grant(self._clock(), booking.booked_at))
            except asyncio.CancelledError:
                self._promised = 0
                raise

    def _learn_offset(self, sent: float, received: float, ledger_now: float) -> None:
        # the ledger read its clock somewhere between sent and received: the midpoint errs by at most
        # half the round trip, so the fastest round trip gives the best estimate; it ages a little per
        # booking, so a newer sample replaces it in time (clocks drift)
        rtt = received - sent
        self._offset_rtt += 0.001
        if rtt <= self._offset_rtt:
            self._offset, self._offset_rtt = ledger_now - (sent + received) / 2, rtt

    async def _await_slot(self, moment: float, rate: float, deadline: float) -> bool:
        """Sleep until the slot's moment (our clock); False when it came too late to be used."""
        if (pause := moment - self._clock()) > 0:
            await self._sleep(pause)
        if self.policy.burst_s > 0:
            return True  # a windowed key's tolerance absorbs a late slot
        if (gap := self._handed + 1 / rate - self._clock()) > 0:
            # a slot reached late must not squeeze this process's next one against it: a sliding-second
            # spike arrest would count both
            await self._sleep(gap)
        if self._clock() > deadline:
            UPSTREAM_SLOTS_LATE.labels(self.policy.upstream).inc()
            return False
        self._handed = self._clock()
        return True

    def _down(self, exc: BaseException) -> None:
        if not self._unreachable:
            self._unreachable = True
            UPSTREAM_BUDGET_UNAVAILABLE.labels(self.policy.upstream).set(1)
            first_line = (str(exc).splitlines() or [""])[0][:200]
            log.warning(
                "%s: the rate budget's database cannot be reached (%s: %s); no request goes upstream "
                "until it can",
                self.policy.upstream,
                type(exc).__name__,
                first_line,
            )

    def _up(self) -> None:
        if self._unreachable:
            self._unreachable = False
            UPSTREAM_BUDGET_UNAVAILABLE.labels(self.policy.upstream).set(0)
            log.warning("%s: the rate budget's database is reachable again", self.policy.upstream)


# ------------------------------------------------------------------------------------- the registry

_LEDGER: Ledger | None = None
# One KeyBudget per event loop (a process-wide budget may outlive a loop: tests, benchmarks) and key.
_BUDGETS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], KeyBudget]] = (
    weakref.WeakKeyDictionary()
)


def use_ledger(ledger: Ledger | None) -> None:
    """Make every budget use `ledger` (a MemoryLedger in unit tests); None: PostgreSQL again."""
    global _LEDGER
    _LEDGER = ledger
    _BUDGETS.clear()


def default_ledger() -> Ledger:
    global _LEDGER
    if _LEDGER is None:
        _LEDGER = PgLedger()
    return _LEDGER


def key_budget(policy: Policy) -> KeyBudget:
    """This process's queue for the key of `policy` (on the running event loop)."""
    budgets = _BUDGETS.setdefault(asyncio.get_running_loop(), {})
    budget = budgets.get((policy.upstream, policy.key_hash))
    if budget is None or budget.policy != policy:
        budget = budgets[(policy.upstream, policy.key_hash)] = KeyBudget(policy, default_ledger())
    return budget


async def forget_budgets() -> None:
    """Start every key afresh, pauses and learned rates included (a test that restored an upstream)."""
    _BUDGETS.clear()
    await default_ledger().forget()
