"""POST /api/artists/import: one transaction records the artist shell, the import and its ImportRequested."""

import time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import Artist, ImportRun, ImportStatus
from mysetlist_common.events import ALL_PHASES, ImportRequested, ImportRequestedEvent
from mysetlist_common.metrics import KICKOFF_LATENCY
from mysetlist_common.outbox import OutboxRelay, enqueue
from mysetlist_common.topics import IMPORTS_REQUESTED, topic

router = APIRouter(tags=["imports"])

# Ticketmaster attraction ids are short alphanumeric tokens such as "K8vZ9175BhV".
TM_ID_PATTERN = r"^[A-Za-z0-9_-]+$"


class ImportRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=True)
    tm_attraction_id: str = Field(
        alias="tmAttractionId",
        min_length=1,
        max_length=64,
        pattern=TM_ID_PATTERN,
        description="Ticketmaster attraction id: 1-64 letters, digits, '-' or '_'",
        examples=["K8vZ9171ob7"],
    )


class ImportAccepted(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    artist_id: UUID = Field(serialization_alias="artistId")
    slug: str
    import_id: UUID = Field(serialization_alias="importId")
    created: bool = Field(description="false when an import of this artist was already running")


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessions


def get_relay(request: Request) -> OutboxRelay:
    return request.app.state.relay


def shell_slug(tm_attraction_id: str) -> str:
    """Valid at once and forever; the shows phase later adds a name slug and keeps this one as an alias."""
    return f"tm-{tm_attraction_id.lower()}"


async def upsert_artist_shell(session: AsyncSession, tm_attraction_id: str) -> tuple[UUID, str]:
    await session.execute(
        insert(Artist)
        .values(name=tm_attraction_id, slug=shell_slug(tm_attraction_id), tm_attraction_id=tm_attraction_id)
        .on_conflict_do_nothing(index_elements=[Artist.tm_attraction_id])
    )
    row = (
        await session.execute(
            select(Artist.id, Artist.slug).where(Artist.tm_attraction_id == tm_attraction_id)
        )
    ).one()
    return row.id, row.slug


async def open_import(
    session: AsyncSession, artist_id: UUID, tm_attraction_id: str, reason: str
) -> tuple[UUID, bool]:
    """The running import of the artist, or a new one with its ImportRequested in the outbox."""
    new_id = await session.scalar(
        insert(ImportRun)
        .values(artist_id=artist_id, reason=reason, state="running")
        .on_conflict_do_nothing(index_elements=[ImportRun.artist_id], index_where=text("state = 'running'"))
        .returning(ImportRun.id)
    )
    if new_id is None:
        running = await session.scalar(
            select(ImportRun.id).where(ImportRun.artist_id == artist_id, ImportRun.state == "running")
        )
        if running is not None:
            return running, False
        raise RuntimeError("import run vanished between statements")  # settled concurrently: caller retries
    phases = {p.value: {"state": "pending", "done": 0, "total": None} for p in ALL_PHASES}
    status = {
        "import_id": new_id,
        "stage": "pending",
        "progress": 0,
        "message": "Import queued",
        "phases": phases,
    }
    await session.execute(
        insert(ImportStatus)
        .values(artist_id=artist_id, last_seq=0, **status)
        .on_conflict_do_update(
            index_elements=[ImportStatus.artist_id],
            set_={**status, "last_seq": 0, "updated_at": text("now()")},
        )
    )
    event = ImportRequestedEvent(
        import_id=new_id,
        artist_id=artist_id,
        payload=ImportRequested(tm_attraction_id=tm_attraction_id, reason=reason),
    )
    enqueue(session, topic(IMPORTS_REQUESTED), event)
    return new_id, True


async def kickoff(
    sessions: async_sessionmaker[AsyncSession],
    relay: OutboxRelay,
    tm_attraction_id: str,
    reason: str = "user",
) -> ImportAccepted:
    for attempt in range(3):
        try:
            async with sessions.begin() as session:
                artist_id, slug = await upsert_artist_shell(session, tm_attraction_id)
                import_id, created = await open_import(session, artist_id, tm_attraction_id, reason)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    if created:
        relay.wake()
    return ImportAccepted(artist_id=artist_id, slug=slug, import_id=import_id, created=created)


@router.post(
    "/api/artists/import",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    summary="Start importing an artist (or join the import already running)",
    responses={422: {"description": "tmAttractionId missing, empty, too long or malformed"}},
)
async def start_import(
    body: ImportRequest,
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    relay: Annotated[OutboxRelay, Depends(get_relay)],
) -> ImportAccepted:
    started = time.perf_counter()
    try:
        return await kickoff(sessions, relay, body.tm_attraction_id)
    finally:
        KICKOFF_LATENCY.observe(time.perf_counter() - started)
