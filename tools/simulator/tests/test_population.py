"""The population: generated artists beside the fixed ones, deterministic per seed and index, made when
first asked for, served and given a truth exactly like the fixed artists. Each test generates its own
catalog so that members made here never leak into the session catalog other tests share."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson

from mysetlist_simulator.app import create_app
from mysetlist_simulator.catalog import Catalog
from mysetlist_simulator.config import SimConfig
from mysetlist_simulator.testing import FAST, TM_KEY, configure, spotify_headers, tm_walk

SEED = 1
Client = Callable[..., Any]


@asynccontextmanager
async def simulator(population: int, seed: int = SEED) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimConfig(seed=seed, population=population, **FAST), Catalog(seed))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        yield client


async def population(sim: httpx.AsyncClient) -> list[dict[str, Any]]:
    return [a for a in (await sim.get("/_sim/artists")).json() if a["population"]]


async def content(sim: httpx.AsyncClient, artist: dict[str, Any]) -> dict[str, Any]:
    """Everything an import reads about one artist, plus its truth."""
    headers = await spotify_headers(sim)
    albums = []
    if artist["spotify_id"]:
        url = f"/v1/artists/{artist['spotify_id']}/albums?market=US&limit=10"
        while url:
            page = (await sim.get(url, headers=headers)).json()
            albums += page["items"]
            url = page["next"]
    query = f"arid:{artist['mbid']} AND secondarytype:live"
    groups = (
        await sim.get("/ws/2/release-group", params={"query": query}, headers={"User-Agent": "t"})
    ).json()
    groups.pop("created")  # the answer's own timestamp
    return {
        "events": await tm_walk(sim, attractionId=artist["tm_attraction_id"]),
        "albums": albums,
        "release_groups": groups,
        "truth": (await sim.get(f"/_sim/truth/{artist['tm_attraction_id']}")).json(),
    }


async def test_listed_with_profiles_in_about_80_17_3_shares() -> None:
    async with simulator(1000) as sim:
        members = await population(sim)
        fixed = [a for a in (await sim.get("/_sim/artists")).json() if not a["population"]]
    assert len(members) == 1000 and len(fixed) == 7
    shares = Counter(a["profile"] for a in members)
    assert 740 <= shares["sparse"] <= 860 and 120 <= shares["mid"] <= 220 and 10 <= shares["prolific"] <= 60
    assert len({a["tm_attraction_id"] for a in members + fixed}) == 1007
    assert len({a["name"] for a in members + fixed}) == 1007
    assert all(a["recordings"] is None for a in members)  # listing generated nobody


async def test_same_seed_same_members_whatever_n_and_order() -> None:
    async with simulator(150) as small, simulator(200) as large:
        first, second = await population(small), await population(large)
        assert first == second[:150]
        # generated in opposite orders, the members still come out the same, byte for byte
        picks = [next(a for a in first if a["profile"] == p) for p in ("sparse", "mid")]
        small_content = [await content(small, a) for a in picks]
        large_content = [await content(large, a) for a in reversed(picks)][::-1]
    assert orjson.dumps(small_content) == orjson.dumps(large_content)
    async with simulator(150, seed=2) as other:
        assert [a["tm_attraction_id"] for a in await population(other)] != [
            a["tm_attraction_id"] for a in first
        ]


async def test_members_exercise_what_the_fixed_profiles_do() -> None:
    async with simulator(50) as sim:
        member = next(a for a in await population(sim) if a["profile"] == "mid" and a["spotify_id"])
        seen = await content(sim, member)
        listed = next(a for a in await population(sim) if a["tm_attraction_id"] == member["tm_attraction_id"])
        headers = await spotify_headers(sim)
        album_ids = [a["id"] for a in seen["albums"]]
        isrcs: Counter[str] = Counter()
        for album_id in album_ids:
            tracks = (await sim.get(f"/v1/albums/{album_id}/tracks?limit=50", headers=headers)).json()
            for item in tracks["items"]:
                track = (await sim.get(f"/v1/tracks/{item['id']}", headers=headers)).json()
                isrcs[track["external_ids"].get("isrc", "")] += 1
        support = member["support_acts"][0]
        support_truth = (await sim.get(f"/_sim/truth/{support}")).json()
        support_events = await tm_walk(sim, attractionId=support)
    truth = seen["truth"]
    assert len(seen["events"]) == member["events"] == 250 == len(truth["shows"])
    assert {e["id"] for e in seen["events"]} == set(truth["shows"])
    assert sum(1 for e in seen["events"] if e.get("_embedded", {}).get("venues")) >= 240
    assert listed["recordings"] == len(truth["recordings"]) > 100  # known once generated
    live_groups = seen["release_groups"]["release-groups"]
    assert live_groups and all("Live" in g["secondary-types"] for g in live_groups)
    assert {g["title"] for g in live_groups} <= {a["name"] for a in seen["albums"]}
    assert any(count > 1 for isrc, count in isrcs.items() if isrc)  # the same recording twice
    assert {e["id"] for e in support_events} == set(support_truth["shows"])


async def test_config_and_env_set_it_and_a_stats_reset_keeps_it() -> None:
    async with simulator(0) as sim:
        assert await population(sim) == []
        assert (await configure(sim, population=25))["population"] == 25
        assert len(await population(sim)) == 25
        await sim.post("/_sim/stats/reset")
        assert (await sim.get("/_sim/config")).json()["population"] == 25
        assert (await sim.post("/_sim/config", json={"population": -1})).status_code == 400
        assert (await sim.post("/_sim/config", json={"population": 10**9})).status_code == 400
        member = (await population(sim))[24]
        await configure(sim, population=10)  # beyond N: unknown again
        assert (await sim.get(f"/_sim/truth/{member['tm_attraction_id']}")).status_code == 404
        found = await sim.get(
            "/discovery/v2/attractions.json", params={"apikey": TM_KEY, "keyword": member["name"]}
        )
        assert member["tm_attraction_id"] not in found.text
    assert SimConfig.from_env({"SIM_POPULATION": "150"}).population == 150
