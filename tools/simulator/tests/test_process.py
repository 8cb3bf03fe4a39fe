"""The simulator as its own process (`python -m mysetlist_simulator --port N`), configured by SIM_*."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mysetlist_simulator.testing import TM_KEY, spotify_headers, tm_events


@pytest.fixture(scope="module")
def process_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from mysetlist_devtools.testing import simulator_process

    sim_env = {"SIM_SEED": "5", "SIM_LATENCY_MS": "0", "SIM_JITTER_MS": "0", "SIM_SPOTIFY_MODE": "extended"}
    with simulator_process(tmp_path_factory.mktemp("simulator") / "simulator.log", sim_env) as url:
        yield url


async def test_running_process_serves_every_upstream_at_the_real_paths(process_url: str) -> None:
    async with httpx.AsyncClient(base_url=process_url, timeout=10) as sim:
        config = (await sim.get("/_sim/config")).json()
        assert config["seed"] == 5 and config["spotify_mode"] == "extended"
        artists = (await sim.get("/_sim/artists")).json()
        prolific = next(a for a in artists if a["profile"] == "prolific")
        events = await tm_events(sim, attractionId=prolific["tm_attraction_id"], size=200)
        assert events.status_code == 200 and len(events.json()["_embedded"]["events"]) == 200
        attraction = await sim.get(
            f"/discovery/v2/attractions/{prolific['tm_attraction_id']}.json", params={"apikey": TM_KEY}
        )
        assert attraction.json()["name"] == prolific["name"]
        headers = await spotify_headers(sim)
        url = f"/v1/artists/{prolific['spotify_id']}/albums"
        albums = await sim.get(url, params={"limit": 50, "market": "US"}, headers=headers)
        assert albums.json()["next"].startswith(f"{process_url}/v1/")
        query = {"query": f"arid:{prolific['mbid']} AND secondarytype:live"}
        agent = {"User-Agent": "ProcessTest/1.0 ( t@example.org )"}
        live = await sim.get("/ws/2/release-group", params=query, headers=agent)
        assert live.json()["count"] >= 25
        stats = (await sim.get("/_sim/stats")).json()
        assert stats["ticketmaster"]["requests"] == 2 and stats["spotify"]["requests"] == 2
        assert stats["musicbrainz"]["requests"] == 1


async def test_running_process_counts_429s_from_its_real_clock(process_url: str) -> None:
    async with httpx.AsyncClient(base_url=process_url, timeout=10) as sim:
        await sim.post("/_sim/stats/reset")
        statuses = [(await tm_events(sim, size=1)).status_code for _ in range(8)]
        assert statuses[:5] == [200] * 5 and 429 in statuses
        stats = (await sim.get("/_sim/stats")).json()["ticketmaster"]
        assert stats["rate_limited"] == statuses.count(429)
