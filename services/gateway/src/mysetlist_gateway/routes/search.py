"""GET /api/search?q=: artists from Ticketmaster's attraction search, with what we already imported.

Free of side effects (it only reads), and cached briefly in-process (`search_cache`). Upstream failures
answer 502 with a message that names the cause.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.settings import get_settings
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.ticketmaster.client import TicketmasterClient
from mysetlist_common.web.http_api import ErrorBody
from mysetlist_gateway.deps import SearchResultsCache, SearchUpstream, Sessions
from mysetlist_gateway.schemas.search import SearchHit, SearchResults
from mysetlist_gateway.search_cache import SearchCache

MAX_QUERY = 100


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
    sessions: Sessions,
    upstream: SearchUpstream,
    cache: SearchResultsCache,
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
    sessions: async_sessionmaker[AsyncSession], tm_attraction_ids: list[str]
) -> dict[str, tuple[UUID, str]]:
    """Which of these attractions we know already: one statement for the whole result list."""
    if not tm_attraction_ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            select(Artist.tm_attraction_id, Artist.id, Artist.slug).where(
                Artist.tm_attraction_id.in_(tm_attraction_ids)
            )
        )
        return {tm_attraction_id: (artist_id, slug) for tm_attraction_id, artist_id, slug in rows}
