"""The catalog decisions endpoint against a real PostgreSQL: what a person asks of it (why is this track
missing, which version was kept, how many were dropped for each reason) and its documented statuses."""

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from mysetlist_common.db.schema import Artist, CatalogDecision
from mysetlist_devtools.testing import lifespan_of

pytestmark = pytest.mark.real

LIVE_REASON = "live_qualifier: track title 'Harbour Lights - Live at Leeds': live qualifier 'Live at Leeds'"
DECISIONS = [
    # (track id, track, release, verdict, reason, duplicate_of)
    ("T1", "Harbour Lights", "Tidewater", "kept", "studio recording", None),
    ("T2", "Harbour Lights", "Harbour Lights (Single)", "duplicate", "same ISRC as 'Harbour Lights'", "T1"),
    ("T3", "Harbour Lights - Live at Leeds", "Live at Leeds", "live", LIVE_REASON, None),
    ("T4", "Paper Boats", "Tidewater", "kept", "studio recording", None),
    ("T5", "Guest Verse", "Someone Else's Album", "not_credited", "artist is not among the credited artists",
     None),
    ("T6", "", "Tidewater", "malformed", "Spotify's answer for this track could not be read: no name", None),
    ("T7", "100%_Pure", "Tidewater", "kept", "studio recording", None),
]  # fmt: skip


@pytest.fixture(scope="module")
async def seeded(stack_env: dict[str, str]) -> dict[str, UUID]:
    engine = create_async_engine(stack_env["DATABASE_URL"])
    artist_id, other_id, import_id = uuid4(), uuid4(), uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Artist),
            [
                {
                    "id": artist_id,
                    "name": "The Deciders",
                    "slug": "the-deciders",
                    "tm_attraction_id": "K8DEC1",
                },
                {"id": other_id, "name": "Quiet Ones", "slug": "quiet-ones", "tm_attraction_id": "K8DEC2"},
            ],
        )
        await conn.execute(
            insert(CatalogDecision),
            [
                {"artist_id": artist_id, "spotify_track_id": tid, "import_id": import_id, "track_name": name,
                 "album_id": f"A-{release}", "album_name": release, "decision": verdict, "reason": reason,
                 "duplicate_of": dup}
                for tid, name, release, verdict, reason, dup in DECISIONS
            ]
            + [{"artist_id": other_id, "spotify_track_id": "X1", "import_id": import_id,
                "track_name": "Harbour Lights", "album_id": "B", "album_name": "Elsewhere",
                "decision": "live", "reason": "live_title: album 'Live'", "duplicate_of": None}],
        )  # fmt: skip
    await engine.dispose()
    return {"artist": artist_id, "other": other_id}


@pytest.fixture(scope="module")
async def client(stack_env: dict[str, str], seeded: dict[str, UUID]) -> AsyncIterator[httpx.AsyncClient]:
    from mysetlist_gateway.app import create_app

    app = create_app()
    async with (
        lifespan_of(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://gw") as http,
    ):
        yield http


def url(artist: UUID, query: str = "") -> str:
    return f"/api/artists/{artist}/catalog/decisions{query}"


async def test_a_duplicate_names_the_kept_version(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    page = (await client.get(url(seeded["artist"], "?q=harbour"))).json()
    by_id = {item["spotifyTrackId"]: item for item in page["items"]}
    assert set(by_id) == {"T1", "T2", "T3"}  # the other artist's "Harbour Lights" is not here
    duplicate = by_id["T2"]
    assert duplicate["outcome"] == "dropped" and duplicate["rule"] == "duplicate"
    assert duplicate["releaseName"] == "Harbour Lights (Single)"
    assert duplicate["reason"] == "same ISRC as 'Harbour Lights'"
    assert duplicate["keptVersion"] == {
        "spotifyTrackId": "T1", "trackName": "Harbour Lights", "releaseName": "Tidewater"
    }  # fmt: skip
    assert by_id["T1"]["outcome"] == "kept" and by_id["T1"]["keptVersion"] is None


async def test_a_live_track_carries_its_classifier_rule_and_reason(
    client: httpx.AsyncClient, seeded: dict[str, UUID]
) -> None:
    page = (await client.get(url(seeded["artist"], "?rule=live_qualifier"))).json()
    assert [item["spotifyTrackId"] for item in page["items"]] == ["T3"]
    live = page["items"][0]
    assert live["verdict"] == "live" and live["outcome"] == "dropped"
    assert live["reason"] == "track title 'Harbour Lights - Live at Leeds': live qualifier 'Live at Leeds'"


async def test_outcome_filters_and_counts(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    dropped = (await client.get(url(seeded["artist"], "?outcome=dropped"))).json()
    assert {item["spotifyTrackId"] for item in dropped["items"]} == {"T2", "T3", "T5", "T6"}
    assert dropped["total"] == 4
    # the counts describe all of the artist's decisions, whatever the filters
    assert dropped["counts"] == {
        "byOutcome": {"kept": 3, "dropped": 4, "pending": 0},
        "byRule": {"duplicate": 1, "live_qualifier": 1, "not_credited": 1, "malformed": 1},
    }
    kept = (await client.get(url(seeded["artist"], "?outcome=kept"))).json()
    assert {item["trackName"] for item in kept["items"]} == {"Harbour Lights", "Paper Boats", "100%_Pure"}
    # nothing is pending today: the filter is valid and answers an empty page
    pending = (await client.get(url(seeded["artist"], "?outcome=pending"))).json()
    assert pending["items"] == [] and pending["total"] == 0


async def test_search_matches_track_or_release_and_takes_wildcards_literally(
    client: httpx.AsyncClient, seeded: dict[str, UUID]
) -> None:
    by_release = (await client.get(url(seeded["artist"], "?q=someone else"))).json()
    assert [item["trackName"] for item in by_release["items"]] == ["Guest Verse"]
    literal = (await client.get(url(seeded["artist"], "?q=0%25_P"))).json()  # "0%_P"
    assert [item["spotifyTrackId"] for item in literal["items"]] == ["T7"]
    assert (await client.get(url(seeded["artist"], "?q=%25%25"))).json()["total"] == 0


async def test_paging(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = (await client.get(url(seeded["artist"], f"?limit=3&offset={offset}"))).json()
        assert page["total"] == len(DECISIONS)
        seen += [item["spotifyTrackId"] for item in page["items"]]
        offset = page["nextOffset"]
    assert sorted(seen) == sorted(d[0] for d in DECISIONS)
    past_end = (await client.get(url(seeded["artist"], "?offset=99"))).json()
    assert past_end["items"] == [] and past_end["total"] == len(DECISIONS)


async def test_errors(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    unknown = await client.get(url(uuid4()))
    assert unknown.status_code == 404 and unknown.json() == {"detail": "unknown artist"}
    for query in ("?outcome=gone", "?limit=0", "?limit=201", "?offset=-1", "?q=" + "x" * 201):
        assert (await client.get(url(seeded["artist"], query))).status_code == 422, query
    # an id that is no UUID names no artist (ids are matched as UUIDs, see test_contract.py)
    assert (await client.get("/api/artists/not-a-uuid/catalog/decisions")).status_code == 404


async def test_revalidation_answers_304(client: httpx.AsyncClient, seeded: dict[str, UUID]) -> None:
    first = await client.get(url(seeded["artist"]))
    again = await client.get(url(seeded["artist"]), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


async def test_openapi_documents_the_statuses(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/artists/{artist_id}/catalog/decisions"]["get"]
    assert {"200", "304", "404", "422"} <= set(operation["responses"])
    params = {p["name"] for p in operation["parameters"]}
    assert {"outcome", "rule", "q", "limit", "offset"} <= params
    assert "DecisionPage" in spec["components"]["schemas"]
