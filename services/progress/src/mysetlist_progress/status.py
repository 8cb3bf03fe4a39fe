"""GET /api/artists/{id}/status, and the same JSON as the first SSE event."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist, ImportStatus

router = APIRouter(tags=["progress"])


class PhaseStatus(BaseModel):
    state: Literal["pending", "running", "completed", "failed"]
    done: int = 0
    total: int | None = None
    percent: float = 0.0
    duration: float | None = Field(default=None, description="seconds, once the phase ended")
    message: str = ""
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None


class Status(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    artist_id: UUID = Field(alias="artistId")
    import_id: UUID = Field(alias="importId")
    stage: Literal["pending", "running", "completed", "failed"]
    progress: int = Field(ge=0, le=100)
    message: str
    updated_at: datetime = Field(alias="updatedAt")
    last_event_id: int = Field(
        alias="lastEventId", description="sequence of the last event this status includes"
    )
    phases: dict[str, PhaseStatus]


def _phase(raw: dict[str, Any]) -> PhaseStatus:
    return PhaseStatus.model_validate({k: v for k, v in raw.items() if k in PhaseStatus.model_fields})


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
        phases={name: _phase(raw) for name, raw in (row.phases or {}).items()},
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
    "/api/artists/{artist_id}/status",
    response_model=Status,
    responses={404: {"description": "unknown artist, or never imported"}},
)
async def get_status(artist_id: UUID, sessions: Sessions) -> Status:
    return await require_status(sessions, artist_id)
