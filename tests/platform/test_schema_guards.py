"""What the database itself refuses, whatever a service does: the duplicates the original app let in."""

import asyncpg
import pytest

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]


async def connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))


async def test_one_artist_never_holds_two_songs_of_one_isrc(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        artist = await conn.fetchval(
            "INSERT INTO artist (name, slug, tm_attraction_id) VALUES ('A', 'a-isrc', 'K8vIsrc') RETURNING id"
        )
        songs = [
            await conn.fetchval(
                "INSERT INTO song (spotify_id, isrc, name) VALUES ($1, 'USRC17607839', 'Song') RETURNING id",
                sid,
            )
            for sid in ("sp-original", "sp-remaster")
        ]
        await conn.execute(
            "INSERT INTO artist_song (artist_id, song_id, isrc) VALUES ($1, $2, 'USRC17607839')",
            artist,
            songs[0],
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO artist_song (artist_id, song_id, isrc) VALUES ($1, $2, 'USRC17607839')",
                artist,
                songs[1],
            )
        with pytest.raises(asyncpg.UniqueViolationError):  # nor one Spotify track twice
            await conn.execute("INSERT INTO song (spotify_id, name) VALUES ('sp-original', 'Again')")
    finally:
        await conn.close()


async def test_one_running_import_per_artist_and_natural_keys_are_unique(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        artist = await conn.fetchval(
            "INSERT INTO artist (name, slug, tm_attraction_id) VALUES ('B', 'b-run', 'K8vRun') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO import_run (artist_id, reason, state) VALUES ($1, 'user', 'running')", artist
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO import_run (artist_id, reason, state) VALUES ($1, 'user', 'running')", artist
            )
        await conn.execute(
            "INSERT INTO import_run (artist_id, reason, state) VALUES ($1, 'user', 'completed')", artist
        )
        with pytest.raises(asyncpg.UniqueViolationError):  # an attraction is one artist
            await conn.execute(
                "INSERT INTO artist (name, slug, tm_attraction_id) VALUES ('B2', 'b-other', 'K8vRun')"
            )
        await conn.execute("INSERT INTO venue (tm_venue_id, name) VALUES ('KovZ1', 'Roundhouse')")
        with pytest.raises(asyncpg.UniqueViolationError):  # a venue is one row, whatever its name
            await conn.execute(
                "INSERT INTO venue (tm_venue_id, name) VALUES ('KovZ1', 'Roundhouse (London)')"
            )
    finally:
        await conn.close()
