"""This process's queue for one key: callers wait in (priority, attained service, arrival) order while a
few bookers book slots in the ledger within a short horizon and hand each one out at its time.

The whole class is one mechanism (the queue, the bookers that feed it and the clock offset they share),
so it stays in one module a little over 300 lines.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import time
from dataclasses import dataclass, field

from mysetlist_common.metrics import (
    UPSTREAM_BUDGET_UNAVAILABLE,
    UPSTREAM_KEY_PAUSES,
    UPSTREAM_RATE_LEARNED,
    UPSTREAM_SLOTS_LATE,
)
from mysetlist_common.upstream.budget.ledger import Ledger
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.calls import Priority
from mysetlist_common.upstream.clock import Clock, Sleep

log = logging.getLogger(__name__)


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
_RANK: dict[Priority, int] = {"user": 0, "background": 1}


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
            async with asyncio.timeout(max(0.0, max_wait_s)):
                return await asyncio.shield(waiter.future)
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
            async with asyncio.timeout(LEDGER_TIMEOUT_S):
                await self.ledger.learn_quota(self.policy, available, reset_in_s)
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
                    async with asyncio.timeout(LEDGER_TIMEOUT_S):
                        await self.ledger.prepare(self.policy)
                    self._prepared = True
                paused_until = self._paused_until  # a pause that ends later came after this booking
                sent = self._clock()
                async with asyncio.timeout(LEDGER_TIMEOUT_S):
                    booking = await self.ledger.book(self.policy, min(wanted, MAX_BATCH), horizon)
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
                    if self._paused_until > paused_until and self.paused_s() > 0:
                        # a 429 came after this booking: a call now would come early, and an early call
                        # lengthens the upstream's penalty (Spotify's); the rest of the slots go unused
                        self._promised -= booking.granted - index
                        break
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
