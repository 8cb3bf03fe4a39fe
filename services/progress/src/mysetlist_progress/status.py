"""GET /api/artists/{id}/status, and the same JSON as the first SSE event."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist, ImportStatus
from mysetlist_common.web.http_api import ErrorBody
from mysetlist_common.web.status import ImportStatusDocument as Status
from mysetlist_progress.state import load_phases

router = APIRouter(tags=["progress"])


async def load_status(session: AsyncSession, artist_id: UUID) -> Status | None:
    row = await session.get(ImportStatus, artist_id)
    if row is None:
        return None
    return Status(
        artist_id=artist_id,
        import_id=row.import_id,
        stage=row.stage,
        progress=row.progress,
        message=row.message,
        updated_at=row.updated_at,
        last_event_id=row.last_seq,
        phases={name: phase.status() for name, phase in load_phases(row.phases).items()},
    )


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]


async def require_status(sessions: async_sessionmaker[AsyncSession], artist_id: UUID) -> Status:
    async with sessions() as session:
        status = await load_status(session, artist_id)
        if status is None:
            known = await session.scalar(select(Artist.id).where(Artist.id == artist_id))
            raise HTTPException(404, "no import of this artist yet" if known else "unknown artist")
    return status


@router.get(
    "/api/artists/{artist_id:uuid}/status",
    response_model=Status,
    responses={404: {"model": ErrorBody, "description": "unknown artist, or never imported"}},
)
async def get_status(artist_id: UUID, sessions: Sessions) -> Status:
    return await require_status(sessions, artist_id)
