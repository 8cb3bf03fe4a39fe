"""Start an artist's import, or join the one already running: the kickoff, one SQL statement.

Every way an import begins goes through here: the fan's POST /api/artists/import, an admin's reimport,
a resync and a replay. The statement records the artist shell, the import and its status row, and puts
its ImportRequested in the outbox, which the relay publishes.
"""

import json
from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import ImportMode, ImportReason, ImportRequested, ImportRequestedEvent
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, topic
from mysetlist_common.web.status import pending_phases
from mysetlist_gateway.schemas.imports import ImportAccepted


def shell_slug(tm_attraction_id: str) -> str:
    """Valid at once and forever; the shows phase later adds a name slug and keeps this one as an alias."""
    return f"tm-{tm_attraction_id.lower()}"


# One statement, one round trip: the artist shell, the running import (or a new one), its status row and
# its ImportRequested in the outbox. The artist id is known only inside the statement, so the statement
# adds it to the event it is given. A row committed concurrently after this statement's snapshot leaves
# the result empty; the caller simply runs it again.
KICKOFF_SQL = text(
    """
WITH new_artist AS (
    INSERT INTO artist (name, slug, tm_attraction_id)
    VALUES (CAST(:tm_attraction_id AS text), :shell_slug, CAST(:tm_attraction_id AS text))
    -- no conflict target: a concurrent first kickoff of the artist trips the slug's unique index before
    -- tm_attraction_id's, and only a target-less DO NOTHING turns that into "exists" instead of an error
    ON CONFLICT DO NOTHING
    RETURNING id, slug
), the_artist AS (
    SELECT id, slug FROM new_artist
    UNION ALL
    SELECT id, slug FROM artist WHERE tm_attraction_id = CAST(:tm_attraction_id AS text)
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
    SELECT :topic, artist_id::text,
        CAST(:event_but_artist AS jsonb) || jsonb_build_object('artist_id', artist_id)
    FROM new_run
)
SELECT a.id AS artist_id, a.slug, coalesce(n.id, r.id) AS import_id, n.id IS NOT NULL AS created
FROM the_artist a
LEFT JOIN new_run n ON true
LEFT JOIN import_run r ON r.artist_id = a.id AND r.state = 'running'
"""
)
PENDING_PHASES = json.dumps(pending_phases())
ATTEMPTS = 5


async def start_or_join(
    sessions: async_sessionmaker[AsyncSession],
    relay: OutboxRelay,
    tm_attraction_id: str,
    reason: ImportReason = "user",
    mode: ImportMode = "incremental",
) -> ImportAccepted:
    """Join the artist's running import, or open a new one whose ImportRequested the relay will publish."""
    import_id = uuid4()
    requested = ImportRequested(tm_attraction_id=tm_attraction_id, reason=reason, mode=mode)
    params = {
        "tm_attraction_id": tm_attraction_id,
        "shell_slug": shell_slug(tm_attraction_id),
        "import_id": import_id,
        "reason": reason,
        "phases": PENDING_PHASES,
        "topic": topic(IMPORTS_REQUESTED),
        "event_but_artist": ImportRequestedEvent.json_but_artist(import_id, requested),
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
