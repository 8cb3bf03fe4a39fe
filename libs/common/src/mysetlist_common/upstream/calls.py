"""Who is calling an upstream, and what a caller does when the key is not free for long.

A phase runs its upstream calls inside `calling(CallContext(...))`; every client reads the context from a
contextvar, so neither the clients nor the code between them pass it along. The context carries

- the priority (a user's import is served before background work: backfill, resync, replay),
- the import the calls are for, and how many requests it has made so far (fair shares between imports),
- the phase's allowance for waiting on a budget, counted over the whole phase (not per wait),
- the journal of answers the phase already has (kept across a park, so resuming costs no request twice).

When a call would have to wait longer than what is left of the allowance (a busy key, a Retry-After, a
daily quota), the client raises `Parked` instead of waiting: the phase is put aside durably and resumed
at `resume_at` by any replica, so a rate limit never fails an import and never holds a worker.
Code with no context (the gateway's search, tests) keeps the client's own per-wait cap.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from uuid import UUID

Priority = Literal["user", "background"]
# The upstreams a phase can wait for (the status document's `waitingFor`).
WaitingFor = Literal["spotify", "ticketmaster", "musicbrainz"]


def as_waiting_for(upstream: str | None) -> WaitingFor | None:
    """The upstream's name when a phase can wait for it (one of ours), else None."""
    return next((name for name in get_args(WaitingFor) if name == upstream), None)


@dataclass
class CallContext:
    priority: Priority = "user"
    import_id: UUID | None = None
    wait_cap_s: float = 60.0  # the whole phase's allowance for waiting on budgets
    waited_s: float = 0.0
    requests: int = 0  # made so far by this phase (attained service: fewer goes first)
    started: float = field(default_factory=time.monotonic)
    attempt: int = 1  # how many times this phase has been started (a resumed phase counts on)
    # Answers already received (request -> JSON), kept when the phase parks: a resumed phase asks again
    # only for what it did not have, so a long wait never makes it start over.
    journal: dict[str, Any] = field(default_factory=dict)

    @property
    def allowance_s(self) -> float:
        return max(0.0, self.wait_cap_s - self.waited_s)

    def waited(self, seconds: float) -> None:
        self.waited_s += max(0.0, seconds)


_CURRENT: ContextVar[CallContext | None] = ContextVar("mysetlist_call_context", default=None)


def current_call() -> CallContext | None:
    return _CURRENT.get()


@contextlib.contextmanager
def calling(context: CallContext) -> Iterator[CallContext]:
    """Every upstream call made inside (tasks created inside included) is made for `context`."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


class Parked(Exception):
    """The phase must wait for `upstream` until `resume_at` (epoch seconds), longer than it may hold a
    worker: it is put aside and resumed then."""

    def __init__(self, upstream: WaitingFor, resume_at: float, reason: str) -> None:
        super().__init__(f"waiting for {upstream} until {_iso(resume_at)}: {reason}")
        self.upstream: WaitingFor = upstream
        self.resume_at = resume_at
        self.reason = reason

    @property
    def resume_at_utc(self) -> datetime:
        return datetime.fromtimestamp(self.resume_at, UTC)


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")
