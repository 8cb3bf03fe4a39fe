"""What an operator's replay re-imports: the selection, from PostgreSQL or from the imports.requested topic.

A replay never rewinds a consumer: each target becomes a new import (reason `replay`) through the ordinary
kickoff, so it is deduplicated, ordered and reported like any other import.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.messaging.topic_reader import read_between
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, topic

log = logging.getLogger(__name__)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Target:
    tm_attraction_id: str
    artist_id: UUID | None = None
    replay_of: UUID | None = None  # the import (or the request on the topic) this replays


def as_utc(moment: datetime) -> datetime:
    """Operators type times without a zone; they mean UTC, as every time in the system is."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def unique(targets: list[Target]) -> list[Target]:
    """One replay per artist: a second kickoff of the same artist would only join the first."""
    seen: set[str] = set()
    kept = []
    for target in targets:
        if target.tm_attraction_id not in seen:
            seen.add(target.tm_attraction_id)
            kept.append(target)
    return kept


async def by_artist(session: AsyncSession, ref: str) -> list[Target]:
    """An artist by its id or its Ticketmaster attraction id, with its latest import."""
    where = "a.id = CAST(:ref AS uuid)" if _UUID.match(ref) else "a.tm_attraction_id = :ref"
    rows = await session.execute(
        text(
            "SELECT a.id, a.tm_attraction_id, (SELECT r.id FROM import_run r WHERE r.artist_id = a.id "
            f"ORDER BY r.requested_at DESC LIMIT 1) AS latest FROM artist a WHERE {where}"
        ),
        {"ref": ref},
    )
    return [Target(r.tm_attraction_id, r.id, r.latest) for r in rows]


async def by_import(session: AsyncSession, import_id: UUID) -> list[Target]:
    rows = await session.execute(
        text(
            "SELECT r.id, a.id AS artist_id, a.tm_attraction_id FROM import_run r "
            "JOIN artist a ON a.id = r.artist_id WHERE r.id = :id"
        ),
        {"id": import_id},
    )
    return [Target(r.tm_attraction_id, r.artist_id, r.id) for r in rows]


# The artists whose latest import failed since then. An artist imported again later (a user's retry, an
# earlier replay) is left out: its failure is already superseded, and running the same replay twice (or
# again after an interruption) only picks up what is still failed.
FAILED_SINCE_SQL = text(
    """
SELECT r.id, r.artist_id, a.tm_attraction_id
FROM (
    SELECT DISTINCT ON (artist_id) id, artist_id, state, coalesce(finished_at, requested_at) AS at
    FROM import_run ORDER BY artist_id, requested_at DESC
) r
JOIN artist a ON a.id = r.artist_id
WHERE r.state = 'failed' AND r.at >= :since
ORDER BY r.at, r.id
"""
)


async def failed_since(session: AsyncSession, since: datetime) -> list[Target]:
    rows = await session.execute(FAILED_SINCE_SQL, {"since": as_utc(since)})
    return [Target(r.tm_attraction_id, r.artist_id, r.id) for r in rows]


async def requested_between(start: datetime, end: datetime) -> list[Target]:
    """What imports.requested really holds from `start` (inclusive) to `end` (exclusive), oldest first."""
    records = await read_between(topic(IMPORTS_REQUESTED), as_utc(start), as_utc(end))
    targets = []
    for record in records:
        try:
            event = ImportRequestedEvent.model_validate_json(record.value or b"")
        except ValidationError:  # unreadable requests are dead letters: `mysetlist dlq` handles them
            log.info("replay: skipping unreadable %s:%d:%d", record.topic, record.partition, record.offset)
            continue
        targets.append(Target(event.payload.tm_attraction_id, event.artist_id, event.import_id))
    return unique(targets)


async def running_imports(session: AsyncSession, tm_attraction_ids: list[str]) -> dict[str, UUID]:
    """The running import of each of these artists (those a kickoff would join)."""
    rows = await session.execute(
        text(
            "SELECT a.tm_attraction_id, r.id FROM artist a JOIN import_run r ON r.artist_id = a.id "
            "WHERE r.state = 'running' AND a.tm_attraction_id = ANY(:ids)"
        ),
        {"ids": tm_attraction_ids},
    )
    return {r.tm_attraction_id: r.id for r in rows}
