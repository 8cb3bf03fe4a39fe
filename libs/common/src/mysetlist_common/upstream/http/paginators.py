"""Paginators, in the way of dlt's rest_client: each reads the pages of one listing and says what to ask
for next; one loop (`paging.paginate`) makes the requests.

A paginator reads a page through `PageFacts` (what the page tells about paging, whatever the upstream
calls it), so the same three serve every upstream:

- `OffsetPaginator`: offset and limit (Spotify's releases and album tracks, MusicBrainz's search);
- `PageNumberPaginator`: page and size, the first page telling the total (Ticketmaster's events);
- `NextLinkPaginator`: the answer links to the next page (Ticketmaster's events without page info).

Unlike dlt's, a paginator may name several requests at once (`next_requests`): once a page tells how many
there are, the following pages need not wait for each other. The loop sends them together (the key's
budget still paces them) and hands the pages on in request order.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from mysetlist_common.upstream.http.errors import UpstreamError


@dataclass(frozen=True)
class PageRequest:
    """One page's request: a path (or a link an answer gave) and its query parameters."""

    path: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def with_params(self, **params: Any) -> PageRequest:
        """The same request with these parameters set (a parameter already there keeps its place)."""
        return replace(self, params={**self.params, **params})


@dataclass(frozen=True)
class PageFacts:
    """What one page tells about paging."""

    items: int  # entries on this page
    total: int | None = None  # entries in the whole listing, as the upstream counts them
    pages: int | None = None  # pages in the whole listing, as the upstream counts them
    size: int | None = None  # the page size the upstream really served (it may cap what was asked for)
    next: str | None = None  # a link to the next page


class Paged(Protocol):
    """A parsed page: it tells what it knows about paging."""

    def paging(self) -> PageFacts: ...


class Paginator(ABC):
    """Reads each page of one listing in request order and names the requests that come next."""

    def __init__(self) -> None:
        self.has_next_page = True

    def first(self, request: PageRequest) -> PageRequest:
        """The listing's first request: `request` with the paging parameters set."""
        return request

    @abstractmethod
    def update_state(self, request: PageRequest, facts: PageFacts) -> None:
        """Read one page (asked for with `request`); clear `has_next_page` when the listing ends."""

    @abstractmethod
    def next_requests(self, last: PageRequest) -> list[PageRequest]:
        """What to ask for after `last`, all at once; nothing more ends the listing early (a cap)."""

    def refused(self, request: PageRequest, error: UpstreamError) -> PageRequest | None:
        """A request to make instead of one the upstream refused, or None: the listing fails."""
        return None


class OffsetPaginator(Paginator):
    """offset and limit. The listing ends at an empty page, and at a page shorter than its limit, or, for
    an upstream whose total is reliable (`total_ends`), once the offset reaches the total.

    `ahead`: up to this many following pages are asked for at once, as many as the last total promises
    (at least one: a total may be too low). `max_pages` stops the listing early; `has_next_page` then
    still says whether there was more.
    """

    def __init__(
        self,
        limit: int,
        *,
        offset: int = 0,
        offset_param: str = "offset",
        limit_param: str = "limit",
        total_ends: bool = False,
        ahead: int = 1,
        max_pages: int | None = None,
    ) -> None:
        super().__init__()
        self._limit = limit
        self.offset = offset
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_ends = total_ends
        self.ahead = ahead
        self.max_pages = max_pages
        self.total: int | None = None
        self.pages = 0

    def limit(self) -> int:
        """The limit of the requests made now (a subclass may learn it)."""
        return self._limit

    def first(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{self.limit_param: self.limit(), self.offset_param: self.offset})

    def update_state(self, request: PageRequest, facts: PageFacts) -> None:
        asked = int(request.params[self.limit_param])
        self.offset = int(request.params[self.offset_param]) + asked
        self.total = facts.total
        self.pages += 1
        if facts.items == 0:
            self.has_next_page = False
        elif self.total_ends and facts.total is not None:
            self.has_next_page = self.offset < facts.total
        else:
            self.has_next_page = facts.items >= asked

    def next_requests(self, last: PageRequest) -> list[PageRequest]:
        if self.max_pages is not None and self.pages >= self.max_pages:
            return []
        limit = self.limit()
        return [
            last.with_params(**{self.offset_param: self.offset + i * limit, self.limit_param: limit})
            for i in range(self._pages_ahead(limit))
        ]

    def _pages_ahead(self, limit: int) -> int:
        if self.total is None or self.total <= self.offset:
            return 1
        return max(1, min(self.ahead, math.ceil((self.total - self.offset) / limit)))


class NextLinkPaginator(Paginator):
    """Follows the link to the next page that each answer carries; an empty page or no link ends it."""

    def __init__(self) -> None:
        super().__init__()
        self.link: str | None = None

    def follow(self, link: str | None) -> None:
        """Go on at `link` (None: the listing ends)."""
        self.link = link
        self.has_next_page = link is not None

    def update_state(self, request: PageRequest, facts: PageFacts) -> None:
        self.follow(facts.next if facts.items else None)

    def next_requests(self, last: PageRequest) -> list[PageRequest]:
        return [PageRequest(self.link)] if self.link else []


class PageNumberPaginator(Paginator):
    """page and size, numbered from 0. The first page tells the total, and every other reachable page is
    then asked for at once: as many as the total fills in the size the upstream really serves (it may
    serve fewer than asked for), no more than its own page count, none beyond `max_items` (how deep
    paging reaches). A first page that tells no total is followed by its next links instead.
    """

    def __init__(
        self,
        size: int,
        *,
        page_param: str = "page",
        size_param: str = "size",
        max_items: int | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        self.page_param = page_param
        self.size_param = size_param
        self.max_items = max_items
        self.total: int | None = None  # None: not told (then the pages follow links)
        self.pages = 1
        self.read = 0
        self.links: NextLinkPaginator | None = None

    def number(self, request: PageRequest) -> int | None:
        """The page number `request` asks for (None: it follows a link)."""
        value = request.params.get(self.page_param)
        return None if value is None else int(value)

    def first(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{self.size_param: self.size, self.page_param: 0})

    def update_state(self, request: PageRequest, facts: PageFacts) -> None:
        self.read += 1
        if self.links is not None:
            self.links.update_state(request, facts)
            self.has_next_page = self.links.has_next_page
        elif self.read > 1:
            self.has_next_page = self.read < self.pages
        elif facts.total is None:
            self.links = NextLinkPaginator()
            self.links.follow(facts.next)  # the first page's link is followed even when it is empty
            self.has_next_page = self.links.has_next_page
        else:
            self.total = facts.total
            reachable = facts.total if self.max_items is None else min(facts.total, self.max_items)
            self.pages = math.ceil(reachable / (facts.size or self.size))
            if facts.pages is not None:
                self.pages = min(self.pages, facts.pages)
            self.has_next_page = self.pages > 1

    def next_requests(self, last: PageRequest) -> list[PageRequest]:
        if self.links is not None:
            return self.links.next_requests(last)
        if self.read > 1:
            return []
        return [last.with_params(**{self.page_param: n}) for n in range(1, self.pages)]
