"""The running phase's journal of answers, as the client uses it: looked up before each request and
written after it, so a phase resumed after a park asks only for what it did not have yet."""

import asyncio
from contextvars import ContextVar
from typing import Any

from mysetlist_common.upstream.calls import current_call

# Set (inside a task of its own) to an event that is set once the task's request is on its way: a listing
# that fails waits for the pages already sent, so their answers reach the journal (`paging.paginate`).
REQUEST_SENT: ContextVar[asyncio.Event | None] = ContextVar("mysetlist_request_sent", default=None)


def journal_of_current_call() -> dict[str, Any]:
    """The running phase's journal of answers; a throwaway one outside a phase (nothing is replayed)."""
    context = current_call()
    return context.journal if context is not None else {}
