"""GET /api/search?q=: artists from Ticketmaster's attraction search, with what we already imported.

Free of side effects (it only reads), and cached briefly in-process: people type the same prefixes again
and again, and Ticketmaster allows 5 requests/s per key. Identical searches in flight at the same time
share one upstream call. Upstream failures answer 502 with a message that names the cause.
"""

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.settings import get_settings
from mysetlist_common.upstream.http import UpstreamError
from mysetlist_common.upstream.ticketmaster import Attraction, TicketmasterClient
from mysetlist_common.web.http_api import ErrorBody
from mysetlist_gateway.kickoff import get_sessions
from mysetlist_gateway.read_api import ApiModel

CACHE_MAX_ENTRIES = 1024
MAX_QUERY = 100

Search = Callable[[str, int], Awaitable[list[Attraction]]]
Key = tuple[str, int]  # (casefolded query, limit)


class SearchCache:
    """A small TTL + LRU cache with single flight: an entry holds the search's task, so concurrent misses
    of one key await one upstream call (and one caller going away does not cancel it for the others)."""

    def __init__(self, ttl_s: float, max_entries: int = CACHE_MAX_ENTRIES) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        # key -> (expiry, task); a search in flight expires never, until it settles
        self._entries: OrderedDict[Key, tuple[float, asyncio.Future[list[Attraction]]]] = OrderedDict()

    async def get(self, key: Key, load: Callable[[], Awaitable[list[Attraction]]]) -> list[Attraction]:
        expires, task = self._entries.get(key, (0.0, None))
        if task is None or expires <= time.monotonic():
            task = asyncio.ensure_future(load())
            task.add_done_callback(partial(self._settled, key))
            self._entries[key] = (math.inf, task)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return await asyncio.shield(task)

    def _settled(self, key: Key, task: asyncio.Future[list[Attraction]]) -> None:
        if self._entries.get(key, (0.0, None))[1] is not task:
            return  # evicted while in flight
        if task.cancelled() or task.exception() is not None:
            # only successes are cached: an upstream hiccup must not stick for a minute
            del self._entries[key]
        else:
            self._entries[key] = (time.monotonic() + self.ttl_s, task)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Interactive use: few retries and a short wait cap, so a struggling upstream answers 502 quickly.
    base = get_settings()
    settings = base.model_copy(
        update={"http_max_retries": 1, "ticketmaster_quota_wait_cap_s": 2.0, "http_timeout_s": 5.0}
    )
    async with httpx.AsyncClient() as http:
        client = TicketmasterClient(http, settings)
        app.state.search = client.search_attractions
        app.state.search_cache = SearchCache(base.search_cache_ttl_s)
        yield


router = APIRouter(tags=["search"], lifespan=lifespan)


class SearchHit(ApiModel):
    tm_attraction_id: str
    name: str
    image_url: str | None
    url: str | None
    spotify_id: str | None
    artist_id: UUID | None = Field(description="set when this artist was imported before")
    slug: str | None = Field(description="its page slug, when imported before")


class SearchResults(ApiModel):
    query: str
    items: list[SearchHit]


def get_search(request: Request) -> Search:
    return request.app.state.search


def get_cache(request: Request) -> SearchCache:
    return request.app.state.search_cache


@router.get(
    "/api/search",
    response_model=SearchResults,
    summary="Search Ticketmaster for music artists (no side effects; cached briefly)",
    responses={
        422: {"model": ErrorBody, "description": "missing, empty or over-long query"},
        502: {"model": ErrorBody, "description": "Ticketmaster failed or could not be reached"},
    },
)
async def search(
    response: Response,
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    upstream: Annotated[Search, Depends(get_search)],
    cache: Annotated[SearchCache, Depends(get_cache)],
    q: Annotated[
        str,
        Query(
            description=f"part of an artist's name (1-{MAX_QUERY} characters, not only spaces)",
            # documented here, checked below with messages for people; the pattern is one non-space
            # character as both Python (str.split) and JSON Schema tools (Unicode White_Space) read it
            json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY, "pattern": r"[^\s\x1c-\x1f]"},
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> Any:
    text = " ".join(q.split())
    if not text:
        raise HTTPException(422, "q must not be empty: type part of an artist's name")
    if len(q) > MAX_QUERY:
        raise HTTPException(422, f"q is too long: at most {MAX_QUERY} characters")
    try:
        found = await cache.get((text.casefold(), limit), lambda: upstream(text, limit))
    except UpstreamError as exc:
        raise HTTPException(502, f"artist search failed: {exc}") from exc
    known = await _imported(sessions, [a.id for a in found])
    response.headers["Cache-Control"] = f"public, max-age={int(cache.ttl_s)}"
    return SearchResults(
        query=text,
        items=[
            SearchHit(
                tm_attraction_id=a.id,
                name=a.name,
                image_url=a.image_url,
                url=a.url,
                spotify_id=a.spotify_id,
                artist_id=known[a.id][0] if a.id in known else None,
                slug=known[a.id][1] if a.id in known else None,
            )
            for a in found
        ],
    )


async def _imported(
    sessions: async_sessionmaker[AsyncSession], tm_ids: list[str]
) -> dict[str, tuple[UUID, str]]:
    """Which of these attractions we know already: one statement for the whole result list."""
    if not tm_ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            select(Artist.tm_attraction_id, Artist.id, Artist.slug).where(Artist.tm_attraction_id.in_(tm_ids))
        )
        return {tm_id: (artist_id, slug) for tm_id, artist_id, slug in rows}
