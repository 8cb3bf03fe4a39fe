"""Set-based writes of the shows phase: one statement per batch, nothing rewritten when nothing changed."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, exists, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import bindparam

from mysetlist_common.db.schema import Artist, Show, ShowArtist, Venue
from mysetlist_common.db.upsert import unnest_upsert

BATCH = 5000  # rows per statement (arrays: one bind parameter per column, whatever the batch size)

VENUE_COLUMNS = (
    "name", "city", "state_code", "country_code", "address", "postal_code", "timezone",
    "latitude", "longitude",
)  # fmt: skip
# artist_id is written on insert only (the first importer); which artists a show belongs to is show_artist
SHOW_COLUMNS = (
    "venue_id", "name", "starts_at", "local_date", "local_time", "timezone", "status", "date_tba", "time_tba",
    "url", "image_url", "removed_at",
)  # fmt: skip


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[dict[str, list[Any]]]:
    """The rows BATCH at a time, as one list per column."""
    for i in range(0, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        yield {name: [r[name] for r in batch] for name in batch[0]}


async def upsert_venues(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> tuple[dict[str, UUID], int]:
    """Upsert by tm_venue_id; return every venue's database id and how many rows changed."""
    changed = 0
    for batch in _batches(rows):
        upsert = unnest_upsert(Venue, batch, ["tm_venue_id"], VENUE_COLUMNS).returning(Venue.id)
        changed += len((await session.execute(upsert)).all())
    ids: dict[str, UUID] = {}
    wanted = [r["tm_venue_id"] for r in rows]
    for i in range(0, len(wanted), 10 * BATCH):
        found = await session.execute(
            select(Venue.tm_venue_id, Venue.id).where(
                Venue.tm_venue_id
                == func.any(bindparam("ids", wanted[i : i + 10 * BATCH], type_=ARRAY(Venue.tm_venue_id.type)))
            )
        )
        ids.update({tm_venue_id: db_id for tm_venue_id, db_id in found.all()})
    return ids, changed


async def upsert_shows(
    session: AsyncSession, rows: Sequence[dict[str, Any]], venue_ids: dict[str, UUID]
) -> int:
    ready = [
        {k: v for k, v in row.items() if k != "tm_venue_id"}
        | {"venue_id": venue_ids.get(row["tm_venue_id"] or "")}
        for row in rows
    ]
    changed = 0
    for batch in _batches(ready):
        upsert = unnest_upsert(Show, batch, ["tm_event_id"], SHOW_COLUMNS).returning(Show.id)
        changed += len((await session.execute(upsert)).all())
    return changed


async def link_shows(session: AsyncSession, artist_id: UUID, event_ids: Sequence[str]) -> int:
    """Each of these shows belongs to this artist too (headliner or support act); return the links added.

    One statement; a link that exists is left alone, so a re-import writes nothing.
    """
    wanted = bindparam("event_ids", list(event_ids), type_=ARRAY(Show.tm_event_id.type))
    stmt = (
        insert(ShowArtist)
        .from_select(
            ["show_id", "artist_id"],
            select(Show.id, literal(artist_id)).where(Show.tm_event_id == func.any(wanted)),
        )
        .on_conflict_do_nothing()
        .returning(ShowArtist.show_id)
    )
    return len((await session.execute(stmt)).all())


async def mark_removed(session: AsyncSession, artist_id: UUID, returned_ids: Sequence[str]) -> int:
    """Upcoming shows this artist's listing no longer returns stop being its shows; past shows stay.

    removed_at says Ticketmaster lists the show for nobody: it is set only once no artist is linked, so a
    support act dropped from an event never hides the event from its headliner. Returns the shows unlinked.
    """
    now = datetime.now(UTC)
    upcoming = or_(
        Show.starts_at >= now,
        and_(Show.starts_at.is_(None), or_(Show.local_date.is_(None), Show.local_date >= now.date())),
    )
    returned = bindparam("returned", list(returned_ids), type_=ARRAY(Show.tm_event_id.type))
    gone = (
        delete(ShowArtist)
        .where(
            ShowArtist.artist_id == artist_id,
            ShowArtist.show_id == Show.id,
            upcoming,
            Show.tm_event_id != func.all(returned),
        )
        .returning(ShowArtist.show_id)
        .cte("gone")
    )
    # the statement sees the links as they were before the delete: other artists' links are what count
    other = exists().where(ShowArtist.show_id == Show.id, ShowArtist.artist_id != artist_id)
    orphaned = (
        update(Show)
        .where(Show.id.in_(select(gone.c.show_id)), Show.removed_at.is_(None), ~other)
        .values(removed_at=func.now(), updated_at=func.now())
        .cte("orphaned")
    )
    # a data-modifying CTE runs to completion even though nothing reads its rows
    unlinked = await session.scalar(select(func.count()).select_from(gone).add_cte(orphaned))
    return int(unlinked or 0)


async def mark_shows_synced(session: AsyncSession, artist_id: UUID) -> None:
    await session.execute(update(Artist).where(Artist.id == artist_id).values(shows_synced_at=func.now()))
