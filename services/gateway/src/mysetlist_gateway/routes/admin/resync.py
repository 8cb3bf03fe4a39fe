"""Admin: plan and run resyncs, the background refresh of imported artists within Ticketmaster's quota
share (`resync_planner` decides who and what it costs)."""

from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import ImportMode
from mysetlist_common.settings import get_settings
from mysetlist_common.web.http_api import BODY_ERRORS
from mysetlist_gateway import resync_planner
from mysetlist_gateway.deps import ADMIN_ERRORS, Relay, Sessions, require_admin
from mysetlist_gateway.imports import start_or_join

router = APIRouter(prefix="/api/admin", tags=["admin"])

Limit = Annotated[int | None, Query(ge=1, le=10000, description="refresh at most this many artists")]
OnlyArtist = Annotated[UUID | None, Query(description="only this artist (due or not)")]


async def _plan(
    sessions: async_sessionmaker[AsyncSession], limit: int | None, artist: UUID | None, mode: ImportMode
) -> resync_planner.Plan:
    settings = get_settings()
    async with sessions() as session, httpx.AsyncClient(timeout=settings.http_timeout_s) as http:
        quota = await resync_planner.ticketmaster_quota(session, settings, http)
        return await resync_planner.plan(session, settings, quota, limit=limit, artist=artist, mode=mode)


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
