"""The paginators on their own (what they ask for next, when they end) and the one paging loop (pages in
request order, round trips, what a failing page does to the pages asked for with it)."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mysetlist_common.upstream.budget.key_budget import Grant
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.calls import CallContext, calling
from mysetlist_common.upstream.http.client import UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.http.paginators import (
    NextLinkPaginator,
    OffsetPaginator,
    PageFacts,
    PageNumberPaginator,
    PageRequest,
)
from mysetlist_common.upstream.http.paging import paginate


def _offsets(requests: list[PageRequest]) -> list[tuple[int, int]]:
    return [(r.params["offset"], r.params["limit"]) for r in requests]


def test_offset_paging_asks_ahead_as_far_as_the_total_promises_and_ends_on_a_short_page() -> None:
    pages = OffsetPaginator(10, ahead=3)
    first = pages.first(PageRequest("albums", {"market": "US"}))
    assert dict(first.params) == {"market": "US", "limit": 10, "offset": 0}
    pages.update_state(first, PageFacts(items=10, total=45))
    following = pages.next_requests(first)
    assert _offsets(following) == [(10, 10), (20, 10), (30, 10)]  # at most 3 at once
    for asked in following:
        pages.update_state(asked, PageFacts(items=10, total=45))
    assert _offsets(pages.next_requests(following[-1])) == [(40, 10)]  # what the total still promises
    pages.update_state(following[-1].with_params(offset=40), PageFacts(items=4, total=45))
    assert not pages.has_next_page


def test_a_total_that_is_too_low_still_gets_one_more_page() -> None:
    pages = OffsetPaginator(10, ahead=8)
    first = pages.first(PageRequest("albums"))
    pages.update_state(first, PageFacts(items=10, total=10))
    assert pages.has_next_page and _offsets(pages.next_requests(first)) == [(10, 10)]


def test_a_reliable_total_ends_the_listing_and_a_cap_leaves_more() -> None:
    pages = OffsetPaginator(100, total_ends=True, max_pages=2)
    first = pages.first(PageRequest("release-group"))
    pages.update_state(first, PageFacts(items=60, total=350))  # a short page is not the end here
    assert pages.has_next_page
    second = pages.next_requests(first)[0]
    pages.update_state(second, PageFacts(items=100, total=350))
    assert pages.next_requests(second) == [] and pages.has_next_page  # capped, with more left

    done = OffsetPaginator(100, total_ends=True)
    first = done.first(PageRequest("release-group"))
    done.update_state(first, PageFacts(items=100, total=100))
    assert not done.has_next_page


def test_page_numbers_are_counted_in_the_size_served_and_stop_where_paging_reaches() -> None:
    pages = PageNumberPaginator(200, max_items=1000)
    first = pages.first(PageRequest("events.json", {"id": "K1", "size": 200, "page": 0, "sort": "date,asc"}))
    assert list(first.params) == ["id", "size", "page", "sort"]  # the parameters keep their places
    pages.update_state(first, PageFacts(items=20, total=250, pages=13, size=20))  # 20 served, not 200
    assert [r.params["page"] for r in pages.next_requests(first)] == list(range(1, 13))

    deep = PageNumberPaginator(200, max_items=1000)
    first = deep.first(PageRequest("events.json"))
    deep.update_state(first, PageFacts(items=200, total=2600, pages=13, size=200))
    assert deep.pages == 5 and deep.total == 2600


def test_a_first_page_without_a_total_is_followed_by_its_links() -> None:
    pages = PageNumberPaginator(20)
    first = pages.first(PageRequest("events.json"))
    pages.update_state(first, PageFacts(items=20, next="/events.json?page=1"))
    (following,) = pages.next_requests(first)
    assert following == PageRequest("/events.json?page=1") and pages.number(following) is None
    pages.update_state(following, PageFacts(items=0, next="/events.json?page=2"))  # empty: the end
    assert not pages.has_next_page

    links = NextLinkPaginator()
    links.update_state(PageRequest("x"), PageFacts(items=3))
    assert not links.has_next_page and links.next_requests(PageRequest("x")) == []


@dataclass(frozen=True)
class Items:
    items: list[int]
    total: int

    def paging(self) -> PageFacts:
        return PageFacts(items=len(self.items), total=self.total)


def _items(body: Any) -> Items:
    return Items(body["items"], body["total"])


async def test_pages_come_in_request_order_and_pages_asked_together_share_a_round_trip() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        await asyncio.sleep(0.01 * (5 - offset // 10))  # later pages answer first
        return httpx.Response(200, json={"items": list(range(offset, min(offset + 10, 45))), "total": 45})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        api = UpstreamClient("test", http, base_url="http://up.test")
        listing = paginate(api, PageRequest("things"), OffsetPaginator(10, ahead=8), _items, "things")
        pages = [page async for page in listing]
    assert [page.data.items[0] for page in pages] == [0, 10, 20, 30, 40]
    assert [page.round for page in pages] == [1, 2, 2, 2, 2]


class GateBudget:
    """A key that grants its first `open` slots at once and never another."""

    def __init__(self, open: int) -> None:
        self.policy = Policy("test", "k", 1.0)
        self.open = open

    async def acquire(self, priority: str = "user", attained: int = 0, max_wait_s: float = 60.0) -> Grant:
        if self.open == 0:
            await asyncio.Event().wait()
        self.open -= 1
        return Grant(0.0, 0.0)


async def test_a_failing_page_waits_for_the_pages_already_sent_and_sends_no_other() -> None:
    asked: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        asked.append(offset)
        if offset == 10:
            return httpx.Response(404, json={})  # fails at once
        if offset == 20:
            await asyncio.sleep(0.05)  # on its way when the failure is seen
        return httpx.Response(200, json={"items": list(range(10)), "total": 40})

    context = CallContext()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        # the first page and two of the three asked for ahead get a slot; the third never does
        api = UpstreamClient("test", http, base_url="http://up.test", budget=GateBudget(3))  # type: ignore[arg-type]
        listing = paginate(api, PageRequest("things"), OffsetPaginator(10, ahead=3), _items, "things")
        with calling(context), pytest.raises(UpstreamError, match="404"):
            _ = [page async for page in listing]
    assert asked == [0, 10, 20]  # the page still waiting for its slot was never sent
    assert [entry.split("offset=")[1] for entry in context.journal] == ["0", "20"]  # every answer kept
