"""Set-based writes on the real database: upserts, no rewrite on a re-import, removals, returning shows."""

import copy
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from mysetlist_common.db.session import make_engine
from mysetlist_common.phases.identity import write_identity
from mysetlist_devtools.testing import NO_SHARED_DIR, shared_dir
from mysetlist_shows_ingest import store
from mysetlist_shows_ingest.mapping import map_events

FIXTURE = shared_dir() / "fixtures" / "upstream" / "ticketmaster" / "events_page_0.json"
pytestmark = pytest.mark.real
needs_recordings = pytest.mark.skipif(
    not FIXTURE.exists(),
    reason=NO_SHARED_DIR,
)


def _events(shift_days: int) -> list[dict[str, Any]]:
    """The recorded events moved into the future (so they count as upcoming)."""
    events = json.loads(FIXTURE.read_text())["_embedded"]["events"]
    for event in events:
        start = event["dates"]["start"]
        moment = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")) + timedelta(days=shift_days)
        start["dateTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        start["localDate"] = (
            (datetime.fromisoformat(start["localDate"]) + timedelta(days=shift_days)).date().isoformat()
        )
    return events


@pytest.fixture(scope="module")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = make_engine(database_url, pool_size=2)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def _artist(sessions: async_sessionmaker[AsyncSession], tm_attraction_id: str) -> UUID:
    async with sessions.begin() as session:
        return await session.scalar(
            text("INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:n, :s, :t) RETURNING id"),
            {"n": tm_attraction_id, "s": f"tm-{tm_attraction_id.lower()}", "t": tm_attraction_id},
        )


async def _import(
    sessions: async_sessionmaker[AsyncSession], artist_id: UUID, events: list
) -> tuple[int, int, int]:
    mapped = map_events(events, artist_id)
    async with sessions.begin() as session:
        venue_ids, venues_changed = await store.upsert_venues(session, list(mapped.venues.values()))
        shows_changed = await store.upsert_shows(session, mapped.shows, venue_ids)
        await store.link_shows(session, artist_id, [s["tm_event_id"] for s in mapped.shows])
        removed = await store.mark_removed(session, artist_id, sorted(mapped.seen_ids))
    return venues_changed, shows_changed, removed


async def _versions(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT 'show:' || tm_event_id, xmin::text FROM show"
                " UNION ALL SELECT 'venue:' || tm_venue_id, xmin::text FROM venue"
                " UNION ALL SELECT 'link:' || show_id || artist_id, xmin::text FROM show_artist"
            )
        )
        return dict(rows.all())


@needs_recordings
async def test_reimport_rewrites_nothing_and_removal_round_trip(sessions) -> None:
    artist_id = await _artist(sessions, "K8STORE1")
    events = _events(shift_days=2000)
    venues_changed, shows_changed, removed = await _import(sessions, artist_id, events)
    assert (shows_changed, removed) == (10, 0) and venues_changed == len(
        {e["_embedded"]["venues"][0]["id"] for e in events}
    )
    async with sessions() as session:
        linked = await session.scalar(text("SELECT count(*) FROM show WHERE venue_id IS NOT NULL"))
    assert linked == 10

    before = await _versions(sessions)
    assert await _import(sessions, artist_id, copy.deepcopy(events)) == (0, 0, 0)
    assert await _versions(sessions) == before  # not one row rewritten

    # Ticketmaster stops returning one upcoming show: it is marked removed, not deleted ...
    gone = events[3]["id"]
    assert (await _import(sessions, artist_id, [e for e in events if e["id"] != gone]))[2] == 1
    async with sessions() as session:
        removed_at = await session.scalar(
            text("SELECT removed_at FROM show WHERE tm_event_id = :i"), {"i": gone}
        )
    assert removed_at is not None
    # ... and when it comes back, removed_at is cleared
    assert (await _import(sessions, artist_id, events))[1] == 1
    async with sessions() as session:
        removed_at = await session.scalar(
            text("SELECT removed_at FROM show WHERE tm_event_id = :i"), {"i": gone}
        )
    assert removed_at is None


@needs_recordings
async def test_past_shows_stay_when_no_longer_returned(sessions) -> None:
    artist_id = await _artist(sessions, "K8STORE2")
    past = _events(shift_days=-30)  # recorded in 2022, moved further into the past
    for event in past:
        event["id"] += "-past"
    await _import(sessions, artist_id, past)
    assert (await _import(sessions, artist_id, []))[2] == 0
    assert len(await _shows_of(sessions, artist_id)) == 10


async def _shows_of(sessions: async_sessionmaker[AsyncSession], artist_id: UUID) -> set[str]:
    async with sessions() as session:
        found = await session.scalars(
            text(
                "SELECT s.tm_event_id FROM show s JOIN show_artist l ON l.show_id = s.id"
                " WHERE l.artist_id = :a AND s.removed_at IS NULL"
            ),
            {"a": artist_id},
        )
        return set(found)


@needs_recordings
async def test_a_shared_show_is_removed_only_when_no_artist_lists_it(sessions) -> None:
    headliner = await _artist(sessions, "K8STORE3")
    support = await _artist(sessions, "K8STORE4")
    events = _events(shift_days=2100)
    for event in events:
        event["id"] += "-shared"
    shared = [events[0], events[1]]
    await _import(sessions, headliner, events)
    # the support act is billed on two of the headliner's shows: they become its shows too
    await _import(sessions, support, shared)
    every = {e["id"] for e in events}
    assert await _shows_of(sessions, headliner) == every
    assert await _shows_of(sessions, support) == {e["id"] for e in shared}

    # the support act is dropped from one show: it leaves the support's listing, stays the headliner's
    assert (await _import(sessions, support, [events[1]]))[2] == 1
    assert await _shows_of(sessions, support) == {events[1]["id"]}
    assert await _shows_of(sessions, headliner) == every

    # the headliner's listing drops it too: now nobody lists it, so it is removed
    assert (await _import(sessions, headliner, events[1:]))[2] == 1
    assert await _shows_of(sessions, headliner) == every - {events[0]["id"]}
    async with sessions() as session:
        removed_at = await session.scalar(
            text("SELECT removed_at FROM show WHERE tm_event_id = :i"), {"i": events[0]["id"]}
        )
    assert removed_at is not None


async def test_identity_never_replaces_a_known_value_with_a_missing_one(sessions) -> None:
    from mysetlist_common.upstream.ticketmaster.models import Attraction

    artist_id = await _artist(sessions, "K8vIdentityKeep")
    full = Attraction.model_validate(
        {
            "id": "K8vIdentityKeep",
            "name": "Sigur Rós",
            "images": [
                {"ratio": "4_3", "url": "https://img.example/wide-4-3.jpg", "width": 2048, "height": 1536},
                {"ratio": "16_9", "url": "https://img.example/small.jpg", "width": 640, "height": 360},
                {"ratio": "16_9", "url": "https://img.example/large.jpg", "width": 1920, "height": 1080},
            ],
            "externalLinks": {
                "spotify": [{"url": "https://open.spotify.com/artist/6UUrUCIZtQeOf8tC0WuzRy"}],
                "musicbrainz": [{"id": "f6f2326f-6b25-4170-b89d-e235b25508e8"}],
            },
        }
    )
    bare = Attraction.model_validate({"id": "K8vIdentityKeep", "name": "Sigur Rós"})
    for attraction in (full, bare):  # the second answer lacks links and images
        async with sessions.begin() as session:
            await write_identity(session, artist_id, attraction)
    async with sessions() as session:
        row = (
            await session.execute(
                text("SELECT name, slug, image_url, spotify_id, mbid FROM artist WHERE id = :id"),
                {"id": artist_id},
            )
        ).one()
        aliases = (
            await session.scalars(
                text("SELECT slug FROM artist_slug_alias WHERE artist_id = :id"), {"id": artist_id}
            )
        ).all()
    assert tuple(row) == (
        "Sigur Rós",
        "sigur-ros",
        "https://img.example/large.jpg",  # the widest 16:9
        "6UUrUCIZtQeOf8tC0WuzRy",
        "f6f2326f-6b25-4170-b89d-e235b25508e8",
    )
    assert "tm-k8videntitykeep" in aliases, "the shell slug keeps resolving"
