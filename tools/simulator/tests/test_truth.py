"""The catalogs are realistic (every trap the issue lists is present) and the ground truth is consistent
with the documented dedupe rule, checked through the public API in Extended mode."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx
import pytest

from mysetlist_simulator.catalog import Catalog
from mysetlist_simulator.testing import configure, pick, spotify_headers, tm_walk
from mysetlist_simulator.words import normalise

UA = {"User-Agent": "SimTests/1.0 ( tests@example.org )"}
LIVE_MARKER = re.compile(r"( - |\()live\b", re.IGNORECASE)


async def _all(
    sim: httpx.AsyncClient, headers: dict[str, str], url: str, **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    body = (await sim.get(url, params={"limit": 50, **params}, headers=headers)).json()
    while True:
        items += body["items"]
        if not body["next"] or not body["items"]:
            return items
        body = (await sim.get(body["next"], headers=headers)).json()


async def visible(
    sim: httpx.AsyncClient, spotify_id: str, groups: str = "album,single"
) -> list[dict[str, Any]]:
    """Full track objects of every album in `groups`, as an Extended-mode import reads them."""
    await configure(sim, spotify_mode="extended")
    headers = await spotify_headers(sim)
    albums = await _all(sim, headers, f"/v1/artists/{spotify_id}/albums", include_groups=groups, market="US")
    track_ids = []
    for start in range(0, len(albums), 20):
        ids = ",".join(a["id"] for a in albums[start : start + 20])
        for album in (await sim.get("/v1/albums", params={"ids": ids}, headers=headers)).json()["albums"]:
            assert album["tracks"]["next"] is None
            track_ids += [t["id"] for t in album["tracks"]["items"]]
    tracks = []
    for start in range(0, len(track_ids), 50):
        ids = ",".join(track_ids[start : start + 50])
        tracks += (await sim.get("/v1/tracks", params={"ids": ids, "market": "US"}, headers=headers)).json()[
            "tracks"
        ]
    return tracks


async def live_titles(sim: httpx.AsyncClient, mbid: str) -> set[str]:
    query: dict[str, str | int] = {"query": f"arid:{mbid} AND secondarytype:live", "limit": 100}
    body = (await sim.get("/ws/2/release-group", params=query, headers=UA)).json()
    return {g["title"] for g in body["release-groups"]}


def same_recording(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The documented rule: same ISRC, or same normalised title and durations within 2 s."""
    isrc_a, isrc_b = a["external_ids"].get("isrc"), b["external_ids"].get("isrc")
    if isrc_a and isrc_a == isrc_b:
        return True
    return normalise(a["name"]) == normalise(b["name"]) and abs(a["duration_ms"] - b["duration_ms"]) <= 2000


def connected(group: list[dict[str, Any]]) -> bool:
    reached, frontier = {0}, [0]
    while frontier:
        i = frontier.pop()
        for j, other in enumerate(group):
            if j not in reached and same_recording(group[i], other):
                reached.add(j)
                frontier.append(j)
    return len(reached) == len(group)


@pytest.mark.parametrize("profile", ["sparse", "mid", "prolific"])
async def test_truth_groups_follow_the_dedupe_rule_and_nothing_else_is_kept(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]], sim_catalog: Catalog, profile: str
) -> None:
    artist = next(a for a in artists if a["profile"] == profile and a["spotify_id"])
    truth = (await sim.get(f"/_sim/truth/{artist['tm_attraction_id']}")).json()["recordings"]
    tracks = {t["id"]: t for t in await visible(sim, artist["spotify_id"])}
    ids = [i for group in truth for i in group]
    assert len(ids) == len(set(ids)) and set(ids) <= set(tracks)
    groups = [[tracks[i] for i in group] for group in truth]
    for group in groups:
        assert connected(group), [t["name"] for t in group]
        # Extended rule: highest popularity first; Development rule: album over single, then earliest
        # release, then non-remaster. The generator makes both agree.
        assert group[0]["popularity"] == max(t["popularity"] for t in group)
        assert len({t["popularity"] for t in group}) == len(group)
        albums = [sim_catalog.albums[t["album"]["id"]] for t in group]
        keys = [(a.album_type != "album", a.release_date, a.kind == "remaster") for a in albums]
        assert keys[0] == min(keys)
        assert all(artist["spotify_id"] in {x["id"] for x in t["artists"]} for t in group)
    owner = {t["id"]: n for n, group in enumerate(groups) for t in group}
    kept = list(owner)
    for i, a in enumerate(kept):  # no two recordings would merge under the rule
        for b in kept[i + 1 :]:
            if owner[a] != owner[b]:
                assert not same_recording(tracks[a], tracks[b]), (tracks[a]["name"], tracks[b]["name"])
    live_albums = await live_titles(sim, artist["mbid"])
    for track in tracks.values():
        if track["id"] in owner:
            continue
        credited = artist["spotify_id"] in {x["id"] for x in track["artists"]}
        assert track["album"]["name"] in live_albums or LIVE_MARKER.search(track["name"]) or not credited


async def test_prolific_catalog_has_every_trap(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]], sim_catalog: Catalog
) -> None:
    artist = pick(artists, "prolific")
    truth = (await sim.get(f"/_sim/truth/{artist['tm_attraction_id']}")).json()["recordings"]
    tracks = {t["id"]: t for t in await visible(sim, artist["spotify_id"])}
    everything = await visible(sim, artist["spotify_id"], "album,single,appears_on,compilation")
    kept = {i for group in truth for i in group}
    live_albums = await live_titles(sim, artist["mbid"])
    releases = {t["album"]["id"] for t in everything}
    assert 200 <= len(releases) <= 300 and 2000 <= len(everything) <= 3000
    assert len(live_albums) >= 25
    assert any(not re.search(r"\blive\b", title, re.IGNORECASE) for title in live_albums)
    kept_names = [tracks[i]["name"] for i in kept]
    for word in ("live", "alive", "at", "concerto"):
        assert any(re.search(rf"\b{word}\b", n, re.IGNORECASE) for n in kept_names), word
    assert any("Remix" in n for n in kept_names)
    assert any(len(tracks[i]["artists"]) > 1 for i in kept), "featured-artist tracks are kept"
    assert any(not tracks[i]["external_ids"] for i in kept), "tracks without ISRC"
    isrc_groups = [
        g
        for g in truth
        if len({tracks[i]["external_ids"].get("isrc") for i in g} - {None}) == 1 and len(g) > 1
    ]
    assert isrc_groups, "reissues and singles sharing ISRCs"
    assert any(any(not tracks[i]["external_ids"] for i in g) and len(g) > 1 for g in truth), (
        "no-ISRC duplicates"
    )
    album_types = Counter(tracks[g[0]]["album"]["album_type"] for g in truth)
    assert album_types["album"] > album_types["single"] > 0
    studio_live = [
        t for t in tracks.values() if LIVE_MARKER.search(t["name"]) and t["album"]["name"] not in live_albums
    ]
    assert studio_live and not kept & {t["id"] for t in studio_live}, (
        "live tracks on studio albums are dropped"
    )
    uncredited = [t for t in tracks.values() if artist["spotify_id"] not in {x["id"] for x in t["artists"]}]
    assert uncredited and not kept & {t["id"] for t in uncredited}
    remastered = {t["id"] for t in tracks.values() if "Remaster" in t["album"]["name"]}
    assert remastered & kept, "remasters are versions of the same recordings"
    assert not remastered & {g[0] for g in truth}, "the original is preferred over the remaster"
    other_groups = {t["id"] for t in everything} - set(tracks)
    assert other_groups and not other_groups & kept, "compilations and appears_on are not the catalog"


async def test_shows_and_venues_truth(sim: httpx.AsyncClient, artists: list[dict[str, Any]]) -> None:
    for artist in artists:
        truth = (await sim.get(f"/_sim/truth/{artist['tm_attraction_id']}")).json()
        assert len(truth["shows"]) == len(set(truth["shows"])) == artist["events"]
        assert len(truth["venues"]) == len(set(truth["venues"]))
        if artist["spotify_id"] is None:
            assert truth["recordings"] == []


def billed(event: dict[str, Any]) -> list[str]:
    """The attraction ids an event embeds: the headliner first, then its support acts."""
    return [a["id"] for a in event.get("_embedded", {}).get("attractions", [])]


async def test_a_support_act_has_the_truth_of_every_event_billing_it(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    mid = pick(artists, "mid")
    events = await tm_walk(sim, attractionId=mid["tm_attraction_id"])
    supports = sorted({s for e in events for s in billed(e)[1:]})
    assert supports and supports == mid["support_acts"], "the control surface names its support acts"
    for support in supports:
        truth = (await sim.get(f"/_sim/truth/{support}")).json()
        # what Ticketmaster lists for the support act: its shows and their venues, nothing of Spotify
        listed = await tm_walk(sim, attractionId=support)
        assert all(support in billed(e) for e in listed)
        assert truth["shows"] and sorted(truth["shows"]) == sorted(e["id"] for e in listed)
        venues = {v["id"] for e in listed for v in e["_embedded"].get("venues", [])}
        assert sorted(truth["venues"]) == sorted(venues)
        assert truth["recordings"] == []
        # the headliner's shows that bill it are among them
        assert {e["id"] for e in events if support in billed(e)} <= set(truth["shows"])
    assert (await sim.get("/_sim/truth/K8vZ917NOPE")).status_code == 404
