"""MusicBrainz: an artist's Live release groups by MBID, in a few requests at <= 1 request/s.

Optional metadata: the caller never waits long for it. Timeouts and 503s are not retried here; the
result says what happened so the catalog decisions can say it too.
"""

from __future__ import annotations

import time
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx

from mysetlist_common.settings import Settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.policy import paced_policy
from mysetlist_common.upstream.http.client import UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.http.paginators import OffsetPaginator, PageFacts, PageRequest
from mysetlist_common.upstream.http.paging import paginate

UPSTREAM = "musicbrainz"
PAGE_SIZE = 100
MAX_PAGES = 3  # few requests: an artist with more than 300 live release groups is not worth a longer wait


@dataclass(frozen=True)
class LiveReleases:
    titles: tuple[str, ...]
    complete: bool  # False: MusicBrainz did not answer fully; the rules decided alone
    note: str


def parse_live_titles(body: dict[str, Any]) -> tuple[list[str], int]:
    """Titles of the release groups whose secondary types include Live, and the total count."""
    titles = []
    for group in body.get("release-groups") or ():
        if not isinstance(group, dict) or not group.get("title"):
            continue
        secondary = {str(t).lower() for t in group.get("secondary-types") or ()}
        if "live" in secondary:
            titles.append(str(group["title"]))
    return titles, int(body.get("count") or 0)


@dataclass(frozen=True)
class LivePage:
    """One page of the search: its live titles, how many groups it listed, and the total count."""

    titles: list[str]
    listed: int
    count: int

    def paging(self) -> PageFacts:
        return PageFacts(items=self.listed, total=self.count)


def parse_live_page(body: Any) -> LivePage:
    body = body if isinstance(body, dict) else {}
    titles, count = parse_live_titles(body)
    groups = body.get("release-groups")
    return LivePage(titles, len(groups) if isinstance(groups, list) else 0, count)


# Complete answers per MBID, kept for `musicbrainz_cache_ttl_s`: at 1 request/s for the whole process,
# re-imports must not queue behind each other for a list that changes a few times a year.
_CACHE: dict[str, tuple[float, LiveReleases]] = {}


def forget_cached() -> None:
    """Drop every cached answer (a fresh process, for tests)."""
    _CACHE.clear()


class MusicBrainzClient:
    def __init__(
        self, settings: Settings, http: httpx.AsyncClient, *, budget: KeyBudget | None = None
    ) -> None:
        self.cache_ttl_s = settings.musicbrainz_cache_ttl_s
        self.api = UpstreamClient(
            UPSTREAM,
            http,
            base_url=settings.musicbrainz_base_url,
            # MusicBrainz limits per client address: one budget for the whole deployment is the safe side
            budget=budget or paced_policy(UPSTREAM, "address", settings.musicbrainz_requests_per_s),
            headers={"User-Agent": settings.musicbrainz_user_agent, "Accept": "application/json"},
            max_retries=0,  # a 503 means "slow down": the import goes on without rather than waits
            timeout_s=settings.musicbrainz_timeout_s,
        )

    @property
    def requests(self) -> int:
        return self.api.stats.requests

    async def live_release_titles(self, mbid: str) -> LiveReleases:
        cached = _CACHE.get(mbid)
        if cached is not None and time.monotonic() - cached[0] < self.cache_ttl_s:
            return cached[1]
        found = await self._fetch(mbid)
        if found.complete and self.cache_ttl_s > 0:
            _CACHE[mbid] = (time.monotonic(), found)
        return found

    async def _fetch(self, mbid: str) -> LiveReleases:
        titles: list[str] = []
        request = PageRequest(
            "release-group", {"query": f"arid:{mbid} AND secondarytype:live", "fmt": "json"}
        )
        # MusicBrainz's count is reliable: the listing ends there (or at an empty page), after MAX_PAGES
        pages = OffsetPaginator(PAGE_SIZE, total_ends=True, max_pages=MAX_PAGES)
        what = f"live release groups of {mbid}"
        try:
            # refetches=0: a malformed answer is not worth a second request for optional metadata
            async with aclosing(
                paginate(self.api, request, pages, parse_live_page, what, refetches=0)
            ) as listing:
                async for page in listing:
                    titles.extend(page.data.titles)
        except UpstreamError as exc:
            why = f"status {exc.status}" if exc.status else str(exc).split(": ", 1)[-1]
            return LiveReleases(tuple(titles), False, f"MusicBrainz unavailable ({why})")
        if pages.has_next_page:
            return LiveReleases(tuple(titles), False, f"MusicBrainz: first {len(titles)} live release groups")
        return LiveReleases(tuple(titles), True, f"MusicBrainz: {len(titles)} live release groups")
