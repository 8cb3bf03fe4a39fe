"""Migration 0002 on the real PostgreSQL: shows stored before it belong to their artist afterwards,
and it goes down and up again with data in place."""

import asyncio

import asyncpg
import pytest

from mysetlist_common.db import migrate

pytestmark = pytest.mark.real


async def _migrate(action: str, url: str, revision: str) -> None:
    """Alembic's env.py runs its own event loop: keep it off the test's loop."""
    await asyncio.to_thread(migrate.upgrade if action == "upgrade" else migrate.downgrade, url, revision)


async def test_existing_shows_are_linked_to_their_artist_and_downgrade_keeps_them(database_url: str) -> None:
    await _migrate("downgrade", database_url, "0001")
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        artists = await conn.fetch(
            "INSERT INTO artist (name, slug, tm_attraction_id) VALUES ('A', 'a', 'K8A'), ('B', 'b', 'K8B')"
            " RETURNING id"
        )
        await conn.execute(
            "INSERT INTO show (tm_event_id, artist_id, name, status)"
            " VALUES ('E1', $1, 'one', 'onsale'), ('E2', $1, 'two', 'onsale'), ('E3', $2, 'three', 'onsale')",
            artists[0]["id"],
            artists[1]["id"],
        )
        await _migrate("upgrade", database_url, "head")
        links = await conn.fetch(
            "SELECT s.tm_event_id, a.tm_attraction_id FROM show_artist l JOIN show s ON s.id = l.show_id"
            " JOIN artist a ON a.id = l.artist_id ORDER BY 1"
        )
        assert [tuple(r) for r in links] == [("E1", "K8A"), ("E2", "K8A"), ("E3", "K8B")]

        await _migrate("downgrade", database_url, "0001")
        assert await conn.fetchval("SELECT to_regclass('show_artist')") is None
        assert await conn.fetchval("SELECT count(*) FROM show") == 3
        await _migrate("upgrade", database_url, "head")
        assert await conn.fetchval("SELECT count(*) FROM show_artist") == 3
    finally:
        await conn.close()
