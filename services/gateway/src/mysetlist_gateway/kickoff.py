"""POST /api/artists/import: one statement records the artist shell, the import and its ImportRequested."""

import json
import time
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import ImportMode, ImportReason, ImportRequested, ImportRequestedEvent
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, topic
from mysetlist_common.metrics import KICKOFF_LATENCY
from mysetlist_common.web.client_limits import RateLimit
from mysetlist_common.web.http_api import BODY_ERRORS, RATE_LIMITED
from mysetlist_common.web.status import pending_phases

router = APIRouter(tags=["imports"])

# Ticketmaster attraction ids are short alphanumeric tokens such as "K8vZ9175BhV".
TM_ID_PATTERN = r"^[A-Za-z0-9_-]+$"


class ImportRequest(BaseModel):
    # exactly what the schema says: no snake_case alias, no silently stripped whitespace
    model_config = ConfigDict(populate_by_name=False)
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


def kickoff_allowed(request: Request) -> None:
    """429 once this client has used its kickoffs of the minute (KICKOFF_LIMIT_PER_CLIENT_PER_MIN)."""
    limit: RateLimit = request.app.state.kickoff_limit
    limit.check(request)


def shell_slug(tm_attraction_id: str) -> str:
    """Valid at once and forever; the shows phase later adds a name slug and keeps this one as an alias."""
    return f"tm-{tm_attraction_id.lower()}"


# One statement, one round trip: the artist shell, the running import (or a new one), its status row and
# its ImportRequested in the outbox. The artist id is known only inside the statement, so the event's
# artist_id is filled in there. A row committed concurrently after this statement's snapshot leaves the
# result empty; the caller simply runs it again.
KICKOFF_SQL = text(
    """
WITH new_artist AS (
    INSERT INTO artist (name, slug, tm_attraction_id)
    VALUES (CAST(:tm_id AS text), :shell_slug, CAST(:tm_id AS text))
    ON CONFLICT (tm_attraction_id) DO NOTHING
    RETURNING id, slug
), the_artist AS (
    SELECT id, slug FROM new_artist
    UNION ALL
    SELECT id, slug FROM artist WHERE tm_attraction_id = CAST(:tm_id AS text)
    LIMIT 1
), new_run AS (
    INSERT INTO import_run (id, artist_id, reason, state)
    SELECT CAST(:import_id AS uuid), id, :reason, 'running' FROM the_artist
    ON CONFLICT (artist_id) WHERE state = 'running' DO NOTHING
    RETURNING id, artist_id
), new_status AS (
    INSERT INTO import_status (artist_id, import_id, stage, progress, message, phases, last_seq)
    SELECT artist_id, id, 'pending', 0, 'Import queued', CAST(:phases AS jsonb), 0 FROM new_run
    ON CONFLICT (artist_id) DO UPDATE SET
        import_id = EXCLUDED.import_id, stage = EXCLUDED.stage, progress = 0, message = EXCLUDED.message,
        phases = EXCLUDED.phases, last_seq = 0, updated_at = now()
), queued AS (
    INSERT INTO outbox (topic, key, payload)
    SELECT :topic, artist_id::text, jsonb_set(CAST(:event AS jsonb), '{artist_id}', to_jsonb(artist_id::text))
    FROM new_run
)
SELECT a.id AS artist_id, a.slug, coalesce(n.id, r.id) AS import_id, n.id IS NOT NULL AS created
FROM the_artist a
LEFT JOIN new_run n ON true
LEFT JOIN import_run r ON r.artist_id = a.id AND r.state = 'running'
"""
)
# OpenAPI links: what a client (and Schemathesis' stateful tests) can do next with the answer.
_ARTIST_ID = {"artist_id": "$response.body#/artistId"}
ARTIST_LINKS = {
    name: {"operationId": operation_id, "parameters": _ARTIST_ID}
    for name, operation_id in (
        ("artist", "artist_by_id"),
        ("shows", "artist_shows"),
        ("songs", "artist_songs"),
        ("decisions", "catalog_decisions"),
        ("status", "import_status"),
        ("reimport", "reimport"),
    )
}
PENDING_PHASES = json.dumps(pending_phases())
ATTEMPTS = 5


async def kickoff(
    sessions: async_sessionmaker[AsyncSession],
    relay: OutboxRelay,
    tm_attraction_id: str,
    reason: ImportReason = "user",
    mode: ImportMode = "incremental",
) -> ImportAccepted:
    """Join the artist's running import, or open a new one whose ImportRequested the relay will publish."""
    import_id = uuid4()
    event = ImportRequestedEvent(
        import_id=import_id,
        artist_id=UUID(int=0),  # set by the statement
        payload=ImportRequested(tm_attraction_id=tm_attraction_id, reason=reason, mode=mode),
    )
    params = {
        "tm_id": tm_attraction_id,
        "shell_slug": shell_slug(tm_attraction_id),
        "import_id": import_id,
        "reason": reason,
        "phases": PENDING_PHASES,
        "topic": topic(IMPORTS_REQUESTED),
        "event": event.model_dump_json(),
    }
    for _ in range(ATTEMPTS):
        async with sessions.begin() as session:
            row = (await session.execute(KICKOFF_SQL, params)).first()
        if row is not None and row.import_id is not None:
            break
    else:
        raise RuntimeError(f"kickoff of {tm_attraction_id} kept racing with concurrent kickoffs")
    if row.created:
        relay.wake()
    return ImportAccepted(
        artist_id=row.artist_id, slug=row.slug, import_id=row.import_id, created=row.created
    )


@router.post(
    "/api/artists/import",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    summary="Start importing an artist (or join the import already running)",
    dependencies=[Depends(kickoff_allowed)],
    responses={
        200: {"links": ARTIST_LINKS},
        **BODY_ERRORS,
        **RATE_LIMITED,
    },
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
