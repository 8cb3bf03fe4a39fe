"""Admin: re-import an artist on purpose (a new command with a new import id, never an offset replay)."""

from typing import Annotated, Any, Literal
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.events import ImportMode
from mysetlist_common.http_api import BODY_ERRORS, ErrorBody
from mysetlist_common.settings import get_settings
from mysetlist_gateway import resync
from mysetlist_gateway.deps import ADMIN_ERRORS, Relay, Sessions, require_admin
from mysetlist_gateway.imports import start_or_join
from mysetlist_gateway.schemas.imports import ImportAccepted

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.post(
    "/artists/{artist_id:uuid}/reimport",
    operation_id="reimport",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    dependencies=[Depends(require_admin)],
    responses={**ADMIN_ERRORS, 404: {"model": ErrorBody, "description": "unknown artist"}, **BODY_ERRORS},
)
async def reimport(
    artist_id: UUID,
    sessions: Sessions,
    relay: Relay,
    reason: Literal["resync", "replay"] = "resync",
    mode: ImportMode = "incremental",
) -> ImportAccepted:
    async with sessions() as session:
        tm_id = await session.scalar(select(Artist.tm_attraction_id).where(Artist.id == artist_id))
    if tm_id is None:
        raise HTTPException(404, "unknown artist")
    return await start_or_join(sessions, relay, tm_id, reason, mode)


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
    sessions: Sessions,
    limit: Limit = None,
    artist: OnlyArtist = None,
    mode: ImportMode = "incremental",
) -> dict[str, Any]:
    """Which artists a resync would refresh now, why, what each costs, and what waits for tomorrow."""
    return (await _plan(sessions, limit, artist, mode)).as_json()


@router.post("/resync", dependencies=[Depends(require_admin)], responses={**ADMIN_ERRORS, **BODY_ERRORS})
async def resync_run(
    sessions: Sessions,
    relay: Relay,
    limit: Limit = None,
    artist: OnlyArtist = None,
    mode: ImportMode = "incremental",
) -> dict[str, Any]:
    """Request the planned artists' imports as background work (reason "resync": users' imports go first)."""
    planned = await _plan(sessions, limit, artist, mode)
    started = []
    for item in planned.chosen:
        accepted = await start_or_join(sessions, relay, item.tm_attraction_id, "resync", item.mode)
        started.append(
            {
                "artistId": str(item.artist_id),
                "importId": str(accepted.import_id),
                "created": accepted.created,
            }
        )
    return {**planned.as_json(), "started": started}
