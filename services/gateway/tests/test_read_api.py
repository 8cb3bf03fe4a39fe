"""The read API against a real PostgreSQL: slugs and aliases, show order and paging, song sorting,
ETag revalidation that changes when an import finishes, and a complete OpenAPI document."""

from collections.abc import AsyncIterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from mysetlist_common.db.schema import (
    Artist,
    ArtistSlugAlias,
    ArtistSong,
    ImportStatus,
    Show,
    ShowArtist,
    Song,
    Venue,
)
from mysetlist_devtools.testing import lifespan_of

pytestmark = pytest.mark.real

TODAY = date.today()


@pytest.fixture(scope="module")
async def seeded(stack_env: dict[str, str]) -> dict[str, UUID]:
    """One artist with an old slug, two venues, shows of every kind, five songs, a finished import."""
    engine = create_async_engine(stack_env["DATABASE_URL"])
    artist_id, other_id, import_id = uuid4(), uuid4(), uuid4()
    arena, club = uuid4(), uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Artist),
            [
                {"id": artist_id, "name": "The Testers", "slug": "the-testers",
                 "tm_attraction_id": "K8TEST1"},
                {"id": other_id, "name": "Others", "slug": "others", "tm_attraction_id": "K8OTHER"},
            ],
        )  # fmt: skip
        await conn.execute(insert(ArtistSlugAlias).values(slug="tm-k8test1", artist_id=artist_id))
        await conn.execute(
            insert(Venue),
            [
                {"id": arena, "tm_venue_id": "V1", "name": "Big Arena", "city": "Austin", "state_code": "TX",
                 "country_code": "US", "latitude": 30.1, "longitude": -97.7},
                {"id": club, "tm_venue_id": "V2", "name": "Small Club", "city": "Leeds", "state_code": None,
                 "country_code": "GB", "latitude": None, "longitude": None},
            ],
        )  # fmt: skip
        shows = [
            ("E-up-far", TODAY + timedelta(days=90), "onsale", arena, None),
            ("E-up-soon", TODAY + timedelta(days=3), "onsale", club, None),
            ("E-up-cancelled", TODAY + timedelta(days=10), "cancelled", arena, None),
            ("E-up-postponed", TODAY + timedelta(days=20), "postponed", None, None),
            ("E-tba", None, "onsale", club, None),
            ("E-past-recent", TODAY - timedelta(days=5), "offsale", arena, None),
            ("E-past-old", TODAY - timedelta(days=400), "offsale", club, None),
            ("E-removed", TODAY + timedelta(days=4), "onsale", arena, "now"),
        ]
        await conn.execute(
            insert(Show),
            [
                {"tm_event_id": tm, "artist_id": artist_id, "venue_id": venue, "name": f"Show {tm}",
                 "local_date": day, "status": status, "date_tba": day is None}
                for tm, day, status, venue, _removed in shows
            ],
        )  # fmt: skip
        await conn.execute(
            update(Show).where(Show.tm_event_id == "E-removed").values(removed_at=Show.created_at)
        )
        # a show of another artist must never leak in
        await conn.execute(
            insert(Show).values(
                tm_event_id="E-other", artist_id=other_id, name="Other", status="onsale", local_date=TODAY
            )
        )
        # each show is its first importer's; Others also plays E-up-soon, billed as a support act
        links = ["show_id", "artist_id"]
        await conn.execute(insert(ShowArtist).from_select(links, select(Show.id, Show.artist_id)))
        await conn.execute(
            insert(ShowArtist).from_select(
                links, select(Show.id, literal(other_id)).where(Show.tm_event_id == "E-up-soon")
            )
        )
        songs = [
            ("S1", "Alpha", 30, "2001-05-01"),
            ("S2", "bravo", 90, "2019"),
            ("S3", "Charlie", None, "2010-02"),
            ("S4", "Delta", 60, None),
            ("S5", "echo", 10, "2023-01-01"),
        ]
        song_ids = {sid: uuid4() for sid, *_ in songs}
        await conn.execute(
            insert(Song),
            [
                {"id": song_ids[sid], "spotify_id": sid, "name": name, "popularity": pop, "release_date": rel,
                 "isrc": f"US{sid}", "duration_ms": 200_000}
                for sid, name, pop, rel in songs
            ],
        )  # fmt: skip
        await conn.execute(
            insert(ArtistSong),
            [{"artist_id": artist_id, "song_id": song_ids[sid], "isrc": f"US{sid}"} for sid in song_ids],
        )
        await conn.execute(
            insert(ImportStatus).values(
                artist_id=artist_id, import_id=import_id, stage="running", progress=50, message="importing"
            )
        )
    await engine.dispose()
    return {"artist": artist_id, "import": import_id, "other": other_id}


@pytest.fixture(scope="module")
async def client(stack_env: dict[str, str], seeded: dict[str, UUID]) -> AsyncIterator[httpx.AsyncClient]:
    from mysetlist_gateway.app import create_app

    app = create_app()
    async with (
        lifespan_of(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://gw") as http,
    ):
        yield http


async def test_artist_by_current_slug_and_id(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    by_slug = await client.get("/api/artists/by-slug/the-testers")
    assert by_slug.status_code == 200
    body = by_slug.json()
    assert body["id"] == str(seeded["artist"])
    assert body["name"] == "The Testers"
    assert body["counts"] == {"upcomingShows": 5, "pastShows": 2, "songs": 5}
    assert body["lastImport"]["stage"] == "running"
    by_id = await client.get(f"/api/artists/{seeded['artist']}")
    assert by_id.status_code == 200
    assert by_id.json() == body


async def test_old_slug_redirects_to_the_current_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/artists/by-slug/tm-k8test1")
    assert response.status_code == 308
    assert response.headers["location"].endswith("/api/artists/by-slug/the-testers")
    followed = await client.get("/api/artists/by-slug/tm-k8test1", follow_redirects=True)
    assert followed.json()["slug"] == "the-testers"


async def test_unknown_artist_is_404_with_a_message(client: httpx.AsyncClient) -> None:
    for path in ("/api/artists/by-slug/nobody", f"/api/artists/{uuid4()}", f"/api/artists/{uuid4()}/shows"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "unknown artist"}
    # an id that is no UUID names no artist
    assert (await client.get("/api/artists/not-a-uuid/songs")).json() == {"detail": "Not Found"}


async def test_shows_upcoming_soonest_first_then_past_latest_first(
    client: httpx.AsyncClient, seeded: dict[str, UUID]
) -> None:
    response = await client.get(f"/api/artists/{seeded['artist']}/shows")
    assert response.status_code == 200
    page = response.json()
    order = [item["tmEventId"] for item in page["items"]]
    upcoming = ["E-up-soon", "E-up-cancelled", "E-up-postponed", "E-up-far", "E-tba"]
    assert order == [*upcoming, "E-past-recent", "E-past-old"]
    assert page["total"] == 7 and page["nextOffset"] is None
    by_id = {item["tmEventId"]: item for item in page["items"]}
    assert by_id["E-up-cancelled"]["status"] == "cancelled"
    assert by_id["E-up-postponed"]["venue"] is None
    assert by_id["E-up-far"]["venue"]["name"] == "Big Arena"
    assert by_id["E-up-far"]["venue"]["latitude"] == pytest.approx(30.1)
    assert by_id["E-past-old"]["upcoming"] is False and by_id["E-tba"]["upcoming"] is True


async def test_a_show_billed_to_two_artists_is_listed_and_counted_for_both(
    client: httpx.AsyncClient, seeded: dict[str, UUID]
) -> None:
    page = (await client.get(f"/api/artists/{seeded['other']}/shows")).json()
    assert [item["tmEventId"] for item in page["items"]] == ["E-other", "E-up-soon"]
    artist = (await client.get(f"/api/artists/{seeded['other']}")).json()
    assert artist["counts"] == {"upcomingShows": 2, "pastShows": 0, "songs": 0}


async def test_shows_are_paged(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = (await client.get(f"/api/artists/{seeded['artist']}/shows?limit=3&offset={offset}")).json()
        assert page["total"] == 7
        seen += [item["tmEventId"] for item in page["items"]]
        offset = page["nextOffset"]
    assert len(seen) == 7 and len(set(seen)) == 7
    past_end = (await client.get(f"/api/artists/{seeded['artist']}/shows?limit=3&offset=50")).json()
    assert past_end["items"] == [] and past_end["total"] == 7
    past_only = (await client.get(f"/api/artists/{seeded['artist']}/shows?when=past")).json()
    assert [i["tmEventId"] for i in past_only["items"]] == ["E-past-recent", "E-past-old"]
    assert (await client.get(f"/api/artists/{seeded['artist']}/shows?limit=0")).status_code == 422


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha", "bravo", "Charlie", "Delta", "echo"]),
        ("?sort=name&order=desc", ["echo", "Delta", "Charlie", "bravo", "Alpha"]),
        ("?sort=popularity", ["bravo", "Delta", "Alpha", "echo", "Charlie"]),
        ("?sort=release_date", ["echo", "bravo", "Charlie", "Alpha", "Delta"]),
        ("?sort=popularity&limit=2&offset=1", ["Delta", "Alpha"]),
    ],
)
async def test_songs_sorted_and_paged(
    client: httpx.AsyncClient, seeded: dict[str, UUID], query: str, expected: list[str]
) -> None:
    page = (await client.get(f"/api/artists/{seeded['artist']}/songs{query}")).json()
    assert [song["name"] for song in page["items"]] == expected
    assert page["total"] == 5


async def test_bad_song_sort_is_422(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    assert (await client.get(f"/api/artists/{seeded['artist']}/songs?sort=loudness")).status_code == 422


async def test_etag_revalidates_and_changes_when_the_import_finishes(
    client: httpx.AsyncClient, stack_env: dict[str, str], seeded: dict[str, UUID]
) -> None:
    paths = [f"/api/artists/{seeded['artist']}{tail}" for tail in ("", "/shows", "/songs")]
    tags = {}
    for path in paths:
        first = await client.get(path)
        assert first.headers["cache-control"] == "public, no-cache"
        tags[path] = first.headers["etag"]
        again = await client.get(path, headers={"If-None-Match": tags[path]})
        assert again.status_code == 304
        assert again.headers["etag"] == tags[path]
    assert len(set(tags.values())) == 3  # each representation has its own tag

    engine = create_async_engine(stack_env["DATABASE_URL"])
    async with engine.begin() as conn:  # what the progress service does when it settles an import
        await conn.execute(
            update(ImportStatus)
            .where(ImportStatus.artist_id == seeded["artist"])
            .values(stage="completed", updated_at=ImportStatus.updated_at + timedelta(seconds=1))
        )
    await engine.dispose()
    for path in paths:
        fresh = await client.get(path, headers={"If-None-Match": tags[path]})
        assert fresh.status_code == 200, path
        assert fresh.headers["etag"] != tags[path]
    assert (await client.get(paths[0])).json()["lastImport"]["stage"] == "completed"


async def test_openapi_documents_every_response(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for name in ("ArtistOut", "ShowPage", "SongPage", "ShowOut", "VenueOut", "SongOut", "ErrorBody"):
        assert name in schemas
    paths = spec["paths"]
    for path in (
        "/api/artists/by-slug/{slug}",
        "/api/artists/{artist_id}",
        "/api/artists/{artist_id}/shows",
        "/api/artists/{artist_id}/songs",
    ):
        responses = paths[path]["get"]["responses"]
        assert {"200", "304", "404", "422"} <= set(responses), path
        assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        assert "ETag" in responses["200"]["headers"]
    assert "308" in paths["/api/artists/by-slug/{slug}"]["get"]["responses"]
    assert {"200", "422", "502"} <= set(paths["/api/search"]["get"]["responses"])
    assert {"200", "404", "502"} <= set(paths["/api/artists/{artist_id}/stream"]["get"]["responses"])
