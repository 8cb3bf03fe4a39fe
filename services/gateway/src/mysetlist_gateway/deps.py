"""The routes' FastAPI dependencies: what each request gets from the app, and the guards it passes.

`app.state` is filled by `app.py` (sessions, the outbox relay, the per-client limits) and by the lifespans
of the search and progress routers (the Ticketmaster search with its cache, the progress service client).
"""

import hmac
from typing import Annotated, Any

import httpx
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_common.web.client_limits import RateLimit, StreamSlots
from mysetlist_common.web.http_api import ErrorBody
from mysetlist_gateway.search_cache import Search, SearchCache


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


def get_relay(request: Request) -> OutboxRelay:
    return request.app.state.relay


def get_search(request: Request) -> Search:
    return request.app.state.search


def get_search_cache(request: Request) -> SearchCache:
    return request.app.state.search_cache


def get_progress_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.progress_client


def get_stream_slots(request: Request) -> StreamSlots:
    return request.app.state.stream_slots


Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
Relay = Annotated[OutboxRelay, Depends(get_relay)]
SearchUpstream = Annotated[Search, Depends(get_search)]
SearchResultsCache = Annotated[SearchCache, Depends(get_search_cache)]
ProgressClient = Annotated[httpx.AsyncClient, Depends(get_progress_client)]
Slots = Annotated[StreamSlots, Depends(get_stream_slots)]


def kickoff_allowed(request: Request) -> None:
    """429 once this client has used its kickoffs of the minute (KICKOFF_LIMIT_PER_CLIENT_PER_MIN)."""
    limit: RateLimit = request.app.state.kickoff_limit
    limit.check(request)


# documented as a security scheme; auto_error=False: a missing or malformed header is our 401, not 403
bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN")

# what require_admin (and the database behind every admin route) can answer, for the OpenAPI document
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or wrong admin token"},
    503: {"model": ErrorBody, "description": "admin API disabled (no ADMIN_TOKEN), or PostgreSQL down"},
}


def require_admin(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    token = get_settings().admin_token.get_secret_value()
    if not token:
        raise HTTPException(503, "admin API disabled: set ADMIN_TOKEN")
    given = credentials.credentials if credentials is not None else ""
    # constant time, on bytes: compare_digest refuses non-ASCII str, and a header can hold anything
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401, "admin token required (Authorization: Bearer ...)", headers={"WWW-Authenticate": "Bearer"}
        )
