"""Admin: re-import an artist on purpose (a new command with a new import id, never an offset replay)."""

import secrets
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_gateway.kickoff import ImportAccepted, get_relay, get_sessions, kickoff

router = APIRouter(prefix="/api/admin", tags=["admin"])


def require_admin(authorization: Annotated[str | None, Header()] = None) -> None:
    token = get_settings().admin_token.get_secret_value()
    if not token:
        raise HTTPException(503, "admin API disabled: set ADMIN_TOKEN")
    if authorization is None or not secrets.compare_digest(authorization, f"Bearer {token}"):
        raise HTTPException(401, "admin token required (Authorization: Bearer ...)")


@router.post(
    "/artists/{artist_id}/reimport",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "missing or wrong admin token"},
        404: {"description": "unknown artist"},
        503: {"description": "admin API disabled"},
    },
)
async def reimport(
    artist_id: UUID,
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    relay: Annotated[OutboxRelay, Depends(get_relay)],
    reason: Literal["resync", "replay"] = "resync",
) -> ImportAccepted:
    async with sessions() as session:
        tm_id = await session.scalar(select(Artist.tm_attraction_id).where(Artist.id == artist_id))
    if tm_id is None:
        raise HTTPException(404, "unknown artist")
    return await kickoff(sessions, relay, tm_id, reason)
