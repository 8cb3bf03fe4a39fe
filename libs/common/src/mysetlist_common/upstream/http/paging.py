"""The paging loop every listing runs: it makes the requests its paginator names (`paginators`) and hands
the parsed pages on in request order.

Each page is an ordinary request of `UpstreamClient`, so it waits for its slot in the caller's priority,
is retried like any other, and its answer goes into the phase's journal: a phase resumed after a park
replays the pages it had and asks only for the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mysetlist_common.upstream.http.client import UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.http.journal import REQUEST_SENT
from mysetlist_common.upstream.http.paginators import Paged, PageRequest, Paginator

P = TypeVar("P", bound=Paged)


@dataclass(frozen=True)
class PageData(Generic[P]):
    """One parsed page, the request that brought it, and the round trip it came in (1 for the first;
    pages asked for together share one)."""

    request: PageRequest
    data: P
    round: int


async def paginate(
    api: UpstreamClient,
    request: PageRequest,
    paginator: Paginator,
    parse: Callable[[Any], P],
    what: str | Callable[[PageRequest], str],
    *,
    refetches: int = 2,
) -> AsyncGenerator[PageData[P], None]:
    """Every page of a listing, in request order, as `paginator` directs; `what` names a page in errors.

    The requests a paginator names together are sent together. When one of them fails, the listing fails
    once those already sent have settled (their answers reach the journal; those still waiting for
    their turn are not sent); when the listing ends early, the ones past its end are dropped.
    """
    batch = [paginator.first(request)]
    round_trip = 0
    while batch:
        round_trip += 1
        sent = [asyncio.Event() for _ in batch]
        tasks = [
            asyncio.create_task(
                _page(api, asked, paginator, parse, what(asked) if callable(what) else what, refetches, went)
            )
            for asked, went in zip(batch, sent, strict=True)
        ]
        try:
            for task in tasks:
                try:
                    asked, data = await task
                except Exception:
                    await _settle(tasks, sent)
                    raise
                paginator.update_state(asked, data.paging())
                yield PageData(asked, data, round_trip)
                if not paginator.has_next_page:
                    return
        finally:
            for task in tasks:
                task.cancel()
        batch = paginator.next_requests(asked)


async def _page(
    api: UpstreamClient,
    request: PageRequest,
    paginator: Paginator,
    parse: Callable[[Any], P],
    what: str,
    refetches: int,
    sent: asyncio.Event,
) -> tuple[PageRequest, P]:
    """One page (in a task of its own), and the request that brought it (the paginator may replace a
    refused one)."""
    REQUEST_SENT.set(sent)
    while True:
        try:
            return request, await api.get_parsed(
                request.path, parse, what, request.params, refetches=refetches
            )
        except UpstreamError as error:
            instead = paginator.refused(request, error)
            if instead is None:
                raise
            request = instead


async def _settle(tasks: Sequence[asyncio.Task[Any]], sent: Sequence[asyncio.Event]) -> None:
    """A page failed: the pages not sent yet are dropped, those on their way are awaited."""
    for task, went in zip(tasks, sent, strict=True):
        if not went.is_set():
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
