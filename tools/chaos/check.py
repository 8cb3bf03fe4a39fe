"""What a trial left behind: each import's end, each artist's rows against the simulator's truth
(mysetlist_devtools.truth, the comparison the end-to-end tests and benchmarks use), and duplicate rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from mysetlist_devtools import truth

# Natural keys: a row twice under one of these is a duplicate (the schema has unique constraints on
# them too; counting says so even if a migration ever dropped one).
NATURAL_KEYS = {
    "show": "tm_event_id",
    "venue": "tm_venue_id",
    "song": "spotify_id",
    "show_artist": "show_id, artist_id",
    "artist_song": "artist_id, song_id",
    "progress_event": "event_id",
}


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(plain(database_url))


async def reset(database_url: str) -> None:
    """An empty database for the next trial."""
    conn = await connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        await conn.execute(f"TRUNCATE {', '.join(r['tablename'] for r in tables)} CASCADE")
    finally:
        await conn.close()


async def stages(database_url: str, import_ids: list[UUID]) -> dict[UUID, str]:
    """Each import's stage (pending | running | completed | failed) as the status service recorded it."""
    conn = await connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT import_id, stage FROM import_status WHERE import_id = ANY($1::uuid[])", import_ids
        )
    finally:
        await conn.close()
    return {row["import_id"]: row["stage"] for row in rows}


@dataclass
class Verdict:
    rows_lost: int = 0  # true shows, venues and recordings not stored
    rows_duplicated: int = 0  # rows under one natural key, and recordings stored more than once
    rows_wrong: int = 0  # stored rows that are no part of the truth
    phase_starts: int = 0  # PhaseStarted events beyond one per phase (a phase begun again)
    problems: list[str] = field(default_factory=list)


async def artists(database_url: str, simulator_url: str, imported: dict[str, UUID]) -> Verdict:
    """Every imported artist (tm_attraction_id -> artist id) against the simulator's truth."""
    verdict = Verdict()
    conn = await connect(database_url)
    try:
        async with httpx.AsyncClient(base_url=simulator_url, timeout=30) as sim:
            for tm_attraction_id, artist_id in imported.items():
                expected = (await sim.get(f"/_sim/truth/{tm_attraction_id}")).raise_for_status().json()
                found = await truth.stored(conn, artist_id)
                verdict.problems += [f"{tm_attraction_id}: {p}" for p in truth.problems(found, expected)]
                count(verdict, found, expected)
        verdict.rows_duplicated += await duplicates(conn)
        verdict.phase_starts = int(
            await conn.fetchval(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM progress_event"
                " WHERE type = 'PhaseStarted' GROUP BY import_id, data->'payload'->>'phase') AS starts"
            )
        )
    finally:
        await conn.close()
    return verdict


def count(verdict: Verdict, found: truth.Stored, expected: dict[str, Any]) -> None:
    shows, venues, songs = set(found.shows), set(found.venues), set(found.songs)
    verdict.rows_lost += len(set(expected["shows"]) - shows) + len(set(expected["venues"]) - venues)
    verdict.rows_wrong += len(shows - set(expected["shows"])) + len(venues - set(expected["venues"]))
    verdict.rows_duplicated += len(found.shows) - len(shows) + len(found.songs) - len(songs)
    recordings: list[list[str]] = expected["recordings"]
    kept = {track for recording in recordings for track in recording}
    verdict.rows_wrong += len(songs - kept)
    for recording in recordings:
        stored = len(songs & set(recording))
        verdict.rows_lost += stored == 0
        verdict.rows_duplicated += max(0, stored - 1)


async def duplicates(conn: asyncpg.Connection) -> int:
    total = 0
    for table, key in NATURAL_KEYS.items():
        total += await conn.fetchval(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}")
    return int(total)
