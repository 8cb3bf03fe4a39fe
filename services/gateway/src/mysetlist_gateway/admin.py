"""Admin: re-import an artist on purpose (a new command with a new import id, never an offset replay)."""

import hmac
from typing import Annotated, Any, Literal
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.messaging.events import ImportMode
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_common.web.http_api import BODY_ERRORS, ErrorBody
from mysetlist_gateway import resync
from mysetlist_gateway.kickoff import ImportAccepted, get_relay, get_sessions, kickoff

router = APIRouter(prefix="/api/admin", tags=["admin"])
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or wrong admin token"},
    503: {"model": ErrorBody, "description": "admin API disabled (no ADMIN_TOKEN), or PostgreSQL down"},
}


# documented as a security scheme; auto_error=False: a missing or malformed header is our 401, not 403
bearer = HTTPBearer(auto_error=False, description="ADMIN_TOKEN")


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


@router.post(
    "/artists/{artist_id:uuid}/reimport",
    operation_id="reimport",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"model": ErrorBody, "description": "missing or wrong admin token"},
        404: {"model": ErrorBody, "description": "unknown artist"},
        503: {"model": ErrorBody, "description": "admin API disabled (no ADMIN_TOKEN), or PostgreSQL down"},
        **BODY_ERRORS,
    },
)
async def reimport(
    artist_id: UUID,
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    relay: Annotated[OutboxRelay, Depends(get_relay)],
    reason: Literal["resync", "replay"] = "resync",
    mode: ImportMode = "incremental",
) -> ImportAccepted:
    async with sessions() as session:
        tm_id = await session.scalar(select(Artist.tm_attraction_id).where(Artist.id == artist_id))
    if tm_id is None:
        raise HTTPException(404, "unknown artist")
    return await kickoff(sessions, relay, tm_id, reason, mode)


async def _plan(
    sessions: async_sessionmaker[AsyncSession], limit: int | None, artist: UUID | None, mode: ImportMode
) -> resync.Plan:
    settings = get_settings()
    async with sessions() as session, httpx.AsyncClient(timeout=settings.http_timeout_s) as http:
        quota = await resync.ticketmaster_quota(session, settings, http)
        return await resync.plan(session, settings, quota, limit=limit, artist=artist, mode=mode)


Limit = Annotated[int | None, Query(ge=1, le=10000, description="refresh at most this many artists")]
OnlyArtist = Annotated[UUID | None, Query(description="only this artist (due or not)")]


@router.get("/resync/plan", dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS)
async def resync_plan(
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    limit: Limit = None,
    artist: OnlyArtist = None,
    mode: ImportMode = "incremental",
) -> dict[str, Any]:
    """Which artists a resync would refresh now, why, what each costs, and what waits for tomorrow."""
    return (await _plan(sessions, limit, artist, mode)).as_json()


@router.post("/resync", dependencies=[Depends(require_admin)], responses={**ADMIN_ERRORS, **BODY_ERRORS})
async def resync_run(
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    relay: Annotated[OutboxRelay, Depends(get_relay)],
    limit: Limit = None,
    artist: OnlyArtist = None,
    mode: ImportMode = "incremental",
) -> dict[str, Any]:
    """Request the planned artists' imports as background work (reason "resync": users' imports go first)."""
    planned = await _plan(sessions, limit, artist, mode)
    started = []
    for item in planned.chosen:
        accepted = await kickoff(sessions, relay, item.tm_attraction_id, "resync", item.mode)
        started.append(
            {
                "artistId": str(item.artist_id),
                "importId": str(accepted.import_id),
                "created": accepted.created,
            }
        )
    return {**planned.as_json(), "started": started}
