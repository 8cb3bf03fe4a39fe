"""MusicBrainz release-group search and browse, in-process."""

from __future__ import annotations

import re
from typing import Any

import httpx

from mysetlist_simulator.testing import configure, pick

UA = {"User-Agent": "SimTests/1.0 ( tests@example.org )"}


async def test_requests_without_user_agent_are_403(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    mbid = pick(artists, "mid")["mbid"]
    response = await sim.get(
        "/ws/2/release-group", params={"query": f"arid:{mbid}", "fmt": "json"}, headers={"User-Agent": ""}
    )
    assert response.status_code == 403


async def test_live_search_lists_every_live_release_group_including_untitled_ones(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    mbid = pick(artists, "prolific")["mbid"]
    query = f"arid:{mbid} AND secondarytype:live"
    body = (
        await sim.get("/ws/2/release-group", params={"query": query, "fmt": "json", "limit": 100}, headers=UA)
    ).json()
    groups = body["release-groups"]
    assert body["count"] == len(groups) >= 25
    assert all(
        "Live" in g["secondary-types"] and g["artist-credit"][0]["artist"]["id"] == mbid for g in groups
    )
    without_word = [g["title"] for g in groups if not re.search(r"\blive\b", g["title"], re.IGNORECASE)]
    assert without_word, "some live albums say nothing about it in their title"
    everything: list[dict[str, Any]] = []
    while True:  # page through the artist's release groups, 100 at a time
        params: dict[str, str | int] = {"query": f"arid:{mbid}", "limit": 100, "offset": len(everything)}
        page = (await sim.get("/ws/2/release-group", params=params, headers=UA)).json()
        everything += page["release-groups"]
        if not page["release-groups"]:
            break
    assert page["count"] == len(everything) > body["count"]
    assert {"Album", "Single", "EP"} <= {g["primary-type"] for g in everything}


async def test_browse_by_artist_and_type(sim: httpx.AsyncClient, artists: list[dict[str, Any]]) -> None:
    mbid = pick(artists, "mid")["mbid"]
    body = (
        await sim.get("/ws/2/release-group", params={"artist": mbid, "type": "ep", "fmt": "json"}, headers=UA)
    ).json()
    assert body["release-group-count"] == len(body["release-groups"]) > 0
    assert all(g["primary-type"] == "EP" for g in body["release-groups"])


async def test_more_than_one_request_per_second_is_503(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    await configure(sim, rate_limits={"musicbrainz_per_s": 1})
    params = {"query": f"arid:{pick(artists, 'mid')['mbid']}", "fmt": "json"}
    answers = [await sim.get("/ws/2/release-group", params=params, headers=UA) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 503]
    assert (await sim.get("/_sim/stats")).json()["musicbrainz"]["rate_limited"] == 1
