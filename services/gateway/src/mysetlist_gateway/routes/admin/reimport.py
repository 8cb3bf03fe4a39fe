"""Admin: re-import an artist on purpose (a new command with a new import id, never an offset replay)."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select

from mysetlist_common.db.schema import Artist
from mysetlist_common.messaging.events import ImportMode
from mysetlist_common.web.http_api import BODY_ERRORS, ErrorBody
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
        tm_attraction_id = await session.scalar(select(Artist.tm_attraction_id).where(Artist.id == artist_id))
    if tm_attraction_id is None:
        raise HTTPException(404, "unknown artist")
    return await start_or_join(sessions, relay, tm_attraction_id, reason, mode)
