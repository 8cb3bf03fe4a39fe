"""One key's limits as configured: an even pace (a spike arrest), a rolling window, a daily quota."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# A sliding-second spike arrest (Ticketmaster, MusicBrainz) is paced at 90 % of its rate: at 5/s, five
# slots span 1.11 s instead of 1 s, room for a request that reaches the upstream a little late (a slot
# used up to key_budget.LATE_S late, a slow connection, the upstream's own jitter).
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
