"""What a booking answers, the ledger's protocol, and the ledger kept in memory (tests, single-process tools).

Every ledger computes the same slots (`slot_moments`): GCRA's, never before now or before a pause ends.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Protocol

from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.clock import Clock

DAY_S = 86400.0


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


def slot_moments(
    granted: int, base: float, rate: float, burst_s: float, hold: float, now: float
) -> tuple[float, ...]:
    """Each slot's moment: GCRA's (burst_s early), never before now or before a pause ends (`hold`)."""
    return tuple(max(hold, now, base + i / rate - burst_s) for i in range(granted))


def wait_for_horizon(base: float, burst_s: float, hold: float, horizon_s: float, now: float) -> float:
    """Nothing granted: seconds until the first slot lies within the horizon."""
    return max(0.0, max(hold, base - burst_s) - horizon_s - now)


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
        # a learned rate climbs only while the key is not paused: a pause's seconds are no evidence
        learned = row.rate + p.increase_per_s2 * max(0.0, now - max(row.rate_changed_at, row.paused_until))
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
            slots=slot_moments(granted, base, rate, policy.burst_s, hold, now),
            booked_at=now,
            wait_s=wait_for_horizon(base, policy.burst_s, hold, horizon_s, now) if granted == 0 else 0.0,
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
