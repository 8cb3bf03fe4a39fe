"""Rate limits as the real upstreams apply them: sliding windows, a daily quota, a penalty box."""

from __future__ import annotations

import math
import time
from collections import deque


class SlidingWindow:
    """At most `count` accepted requests per key within any `window_s` seconds; rejected ones don't count."""

    def __init__(self) -> None:
        self.hits: dict[str, deque[float]] = {}

    def admit(self, key: str, count: int, window_s: float, now: float) -> tuple[bool, float]:
        """Returns (accepted, seconds until a slot frees when rejected)."""
        if count <= 0:
            return True, 0.0
        hits = self.hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= count:
            return False, hits[0] + window_s - now
        hits.append(now)
        return True, 0.0

    def reset(self) -> None:
        self.hits.clear()


def per_second(rate: float, tolerance_s: float) -> tuple[int, float]:
    """A rate per second as (count, window): 5/s -> 5 per 1 s, 0.5/s -> 1 per 2 s; 0 disables it.

    The window is shortened by the tolerance so that a client pacing exactly at the rate is never
    rejected because its requests arrived a few milliseconds early.
    """
    if rate <= 0:
        return 0, 0.0
    window = max(1.0, 1.0 / rate)
    return max(1, math.floor(rate * window + 1e-9)), max(window - tolerance_s, 0.001)


class DailyQuota:
    """Calls per key in a period (24 h unless told otherwise) that starts with the key's first call
    (Ticketmaster's quota). A limit of 0 allows no call at all (an exhausted quota)."""

    def __init__(self) -> None:
        self.periods: dict[str, tuple[float, int]] = {}

    def take(self, key: str, limit: int, now: float, period_s: float = 86400.0) -> tuple[bool, int, float]:
        """Returns (accepted, calls still available, period end as epoch seconds)."""
        start, used = self.periods.get(key, (now, 0))
        if now >= start + period_s:
            start, used = now, 0
        if used >= limit:
            self.periods[key] = (start, used)
            return False, 0, start + period_s
        used += 1
        self.periods[key] = (start, used)
        return True, max(limit - used, 0), start + period_s

    def reset(self) -> None:
        self.periods.clear()


class PenaltyBox:
    """Spotify: after a 429 the key is blocked until Retry-After; calling early extends the block."""

    def __init__(self, early_penalty_s: float = 1.0) -> None:
        self.until: dict[str, float] = {}
        self.early_penalty_s = early_penalty_s

    def blocked(self, key: str, now: float) -> float:
        """Seconds the key still has to wait (0 if free); an early call adds the penalty."""
        until = self.until.get(key, 0.0)
        if now >= until:
            return 0.0
        until += self.early_penalty_s
        self.until[key] = until
        return until - now

    def block(self, key: str, seconds: float, now: float) -> None:
        self.until[key] = now + seconds

    def reset(self) -> None:
        self.until.clear()


def clock() -> float:
    return time.monotonic()
