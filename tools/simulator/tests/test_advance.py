"""POST /_sim/advance: cumulative, deterministic, undone by reset, followed by the truth and the listings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mysetlist_simulator.app import create_app
from mysetlist_simulator.config import SimConfig
from mysetlist_simulator.testing import FAST, TM_KEY


@pytest.fixture(scope="module")
async def own_sim() -> AsyncIterator[httpx.AsyncClient]:
    """A catalog of its own: advancing changes it, and the session catalog is shared by other tests."""
    app = create_app(SimConfig(seed=1, **FAST))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.test"
    ) as client:
        yield client


async def truths(sim: httpx.AsyncClient) -> dict[str, Any]:
    artists = (await sim.get("/_sim/artists")).json()
    return {
        a["tm_attraction_id"]: (await sim.get(f"/_sim/truth/{a['tm_attraction_id']}")).json() for a in artists
    }


async def prolific(sim: httpx.AsyncClient) -> dict[str, Any]:
    return next(a for a in (await sim.get("/_sim/artists")).json() if a["profile"] == "prolific")


async def events(sim: httpx.AsyncClient, tm_attraction_id: str) -> dict[str, dict[str, Any]]:
    """Every event of the attraction by id, in two date windows (each under the deep-paging limit)."""
    found: dict[str, dict[str, Any]] = {}
    for window in ({"endDateTime": "2024-06-30T23:59:59Z"}, {"startDateTime": "2024-07-01T00:00:00Z"}):
        for page in range(5):
            params = {"apikey": TM_KEY, "attractionId": tm_attraction_id, "size": 200, "page": page}
            params |= {"includeTBA": "yes", "includeTBD": "yes", **window}
            body = (await sim.get("/discovery/v2/events.json", params=params)).json()
            found |= {e["id"]: e for e in body.get("_embedded", {}).get("events", [])}
            if "next" not in body["_links"]:
                break
    return found


async def test_thirty_days_change_the_prolific_artist_and_reset_undoes_it(own_sim: httpx.AsyncClient) -> None:
    await own_sim.post("/_sim/advance", json={"reset": True})
    before = await truths(own_sim)
    artist = await prolific(own_sim)
    listed_before = await events(own_sim, artist["tm_attraction_id"])

    answer = (await own_sim.post("/_sim/advance", json={"days": 30})).json()
    assert answer["days"] == 30
    after = await truths(own_sim)
    tm_attraction_id = artist["tm_attraction_id"]
    old, new = before[tm_attraction_id], after[tm_attraction_id]
    assert len(set(new["shows"]) - set(old["shows"])) >= 3
    listed = await events(own_sim, tm_attraction_id)
    assert set(listed) == set(new["shows"])  # the listing and the truth agree
    changed = {i for i in set(listed) & set(listed_before) if listed[i] != listed_before[i]}
    statuses = {listed[i]["dates"]["status"]["code"] for i in changed}
    assert "cancelled" in statuses or set(old["shows"]) - set(new["shows"])
    assert "postponed" in statuses or any(
        listed[i]["_embedded"]["venues"][0]["id"] != listed_before[i]["_embedded"]["venues"][0]["id"]
        for i in changed
    )
    old_tracks = {t for r in old["recordings"] for t in r}
    new_tracks = {t for r in new["recordings"] for t in r}
    assert new_tracks - old_tracks, "a new release"
    assert old_tracks - new_tracks, "a take-down"

    assert (await own_sim.post("/_sim/advance", json={"reset": True})).json()["days"] == 0
    assert await truths(own_sim) == before

    await own_sim.post("/_sim/advance", json={"days": 10})
    await own_sim.post("/_sim/advance", json={"days": 20})
    assert await truths(own_sim) == after  # cumulative and deterministic
    await own_sim.post("/_sim/advance", json={"reset": True})


async def test_bad_bodies_are_400(own_sim: httpx.AsyncClient) -> None:
    for body in ({"days": -1}, {"days": "3"}, {"weeks": 1}, [1]):
        assert (await own_sim.post("/_sim/advance", json=body)).status_code == 400
