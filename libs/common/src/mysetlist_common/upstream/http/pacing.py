"""The client's side of a key's shared budget: wait for a request's slot (or park the phase rather than
wait too long), pause the key for everyone on a 429, and learn what is left of a daily quota."""

from __future__ import annotations

import logging
import time
from typing import cast

import httpx

from mysetlist_common.metrics import UPSTREAM_PARKED
from mysetlist_common.upstream.budget.key_budget import BudgetUnavailable, KeyBudget, KeyBusy
from mysetlist_common.upstream.calls import CallContext, Parked, WaitingFor
from mysetlist_common.upstream.clock import Clock
from mysetlist_common.upstream.http.errors import UpstreamError, WaitCapExceeded, human_duration

log = logging.getLogger(__name__)

# The longest a 429 may pause a shared key: a daily quota resets within a day; a later reset is a bad header.
MAX_KEY_PAUSE_S = 24 * 3600.0


async def take_slot(
    budget: KeyBudget, context: CallContext | None, upstream: str, wait_cap_s: float, wall_clock: Clock
) -> float:
    """Wait for this request's slot; the booking time. Inside a call context a longer wait than the
    phase may still spend parks it; outside one, the client's per-wait cap `wait_cap_s` applies."""
    limit = wait_cap_s if context is None else context.allowance_s
    started = time.monotonic()
    try:
        if context is None:
            return (await budget.acquire("user", 0, limit)).booked_at
        return (await budget.acquire(context.priority, context.requests, limit)).booked_at
    except KeyBusy as busy:
        if context is not None:
            UPSTREAM_PARKED.labels(upstream).inc()
            raise Parked(cast(WaitingFor, upstream), wall_clock() + busy.wait_s, busy.reason) from None
        state = "paused" if busy.paused else "busy"
        raise WaitCapExceeded(
            f"{upstream}: {busy.reason}; the API key is {state} for {human_duration(busy.wait_s)}, "
            f"more than the {human_duration(wait_cap_s)} cap, so we stop here",
            upstream=upstream,
            status=429 if busy.paused else None,
            wait_s=busy.wait_s,
        ) from None
    except BudgetUnavailable as exc:
        raise UpstreamError(str(exc), upstream=upstream, retryable=True) from exc
    finally:
        if context is not None:
            context.waited(time.monotonic() - started)


async def pause_key(
    budget: KeyBudget, upstream: str, wait_s: float, why: str, booked_at: float | None
) -> None:
    """A 429: everyone sharing the key waits `wait_s` (at most MAX_KEY_PAUSE_S), and a learned rate halves.
    Best effort: a budget that cannot be told is logged, never raised."""
    try:
        await budget.pause_for(min(wait_s, MAX_KEY_PAUSE_S), why)
        if booked_at is not None:
            await budget.rate_limited(booked_at)
    except Exception as exc:
        log.info("%s: could not pause the shared key (%s)", upstream, type(exc).__name__)


def learn_quota(budget: KeyBudget, response: httpx.Response, wall_clock: Clock) -> None:
    """What is left of the daily quota, as the upstream counts it (Ticketmaster's headers, the only
    upstream with a daily quota): the shared row corrects its own count from it."""
    available = response.headers.get("rate-limit-available", "")
    reset_ms = response.headers.get("rate-limit-reset", "")
    if available.isdigit() and reset_ms.isdigit():
        budget.learn_quota(int(available), max(0.0, int(reset_ms) / 1000 - wall_clock()))
