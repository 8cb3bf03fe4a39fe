"""Admin: re-import an artist on purpose (a new command with a new import id, never an offset replay)."""

import hmac
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist
from mysetlist_common.http_api import BODY_ERRORS, ErrorBody
from mysetlist_common.outbox import OutboxRelay
from mysetlist_common.settings import get_settings
from mysetlist_gateway.kickoff import ImportAccepted, get_relay, get_sessions, kickoff

router = APIRouter(prefix="/api/admin", tags=["admin"])


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
) -> ImportAccepted:
    async with sessions() as session:
        tm_id = await session.scalar(select(Artist.tm_attraction_id).where(Artist.id == artist_id))
    if tm_id is None:
        raise HTTPException(404, "unknown artist")
    return await kickoff(sessions, relay, tm_id, reason)
