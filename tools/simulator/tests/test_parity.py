"""Shape parity with the recorded real responses in <shared>/fixtures/upstream: every key path of a real
answer exists in the simulator's answer to the same request, with the same JSON type. Development-mode
answers are the same minus the fields removed in February 2026."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mysetlist_simulator.catalog import Catalog
from mysetlist_simulator.testing import TM_KEY, configure, pick, spotify_headers

REMOVED_IN_DEVELOPMENT = {"popularity", "album_group", "linked_from", "available_markets", "label"}
JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def key_paths(value: Any, path: str = "$", out: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every key path (arrays as []) with the JSON types seen there."""
    out = {} if out is None else out
    out.setdefault(path, set()).add("null" if value is None else JSON_TYPES[type(value)])
    if isinstance(value, dict):
        for key, item in value.items():
            key_paths(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            key_paths(item, f"{path}[]", out)
    return out


def removed(path: str) -> bool:
    return any(part.removesuffix("[]") in REMOVED_IN_DEVELOPMENT for part in path.split("."))


Request = Callable[[httpx.AsyncClient, dict[str, Any], Catalog], Awaitable[httpx.Response]]


def _ids(catalog: Catalog, artist: dict[str, Any], count: int, isrc: bool = False) -> list[str]:
    albums = [
        a for a in catalog.albums_by_artist[artist["spotify_id"]] if a.base is None and a.kind == "studio"
    ]
    return [t.id for a in albums for t in a.tracks if t.isrc or not isrc][:count]


def _album_ids(catalog: Catalog, artist: dict[str, Any], count: int) -> list[str]:
    return [
        a.id for a in catalog.albums_by_artist[artist["spotify_id"]] if a.base is None and a.kind == "studio"
    ][:count]


async def _spotify(sim: httpx.AsyncClient, url: str, **params: Any) -> httpx.Response:
    return await sim.get(url, params=params, headers=await spotify_headers(sim))


REQUESTS: dict[str, Request] = {
    "ticketmaster/events_page_0.json": lambda sim, a, c: sim.get(
        "/discovery/v2/events.json",
        params={"apikey": TM_KEY, "attractionId": a["tm_attraction_id"], "size": 50},
    ),
    "ticketmaster/events_empty_page.json": lambda sim, a, c: sim.get(
        "/discovery/v2/events.json",
        params={
            "apikey": TM_KEY,
            "startDateTime": "2000-01-01T00:00:00Z",
            "endDateTime": "2000-01-02T00:00:00Z",
            "includeTBA": "yes",
            "includeTBD": "yes",
            "page": 1,
            "size": 10,
        },
    ),
    "spotify/artist_albums.json": lambda sim, a, c: _spotify(
        sim, f"/v1/artists/{a['spotify_id']}/albums", offset=0, limit=2, include_groups="single", market="ES"
    ),
    "spotify/album_tracks.json": lambda sim, a, c: _spotify(
        sim, f"/v1/albums/{_album_ids(c, a, 1)[0]}/tracks", offset=0, limit=2
    ),
    "spotify/album.json": lambda sim, a, c: _spotify(sim, f"/v1/albums/{_album_ids(c, a, 1)[0]}"),
    "spotify/several_albums.json": lambda sim, a, c: _spotify(
        sim, "/v1/albums", ids=",".join(_album_ids(c, a, 3))
    ),
    "spotify/several_tracks.json": lambda sim, a, c: _spotify(
        sim, "/v1/tracks", ids=",".join(_ids(c, a, 2, True))
    ),
    "spotify/track.json": lambda sim, a, c: _spotify(sim, f"/v1/tracks/{_ids(c, a, 1, True)[0]}"),
    "spotify/several_audio_features.json": lambda sim, a, c: _spotify(
        sim, "/v1/audio-features", ids=",".join(_ids(c, a, 3))
    ),
    "spotify/search_artists.json": lambda sim, a, c: _spotify(
        sim, "/v1/search", q="e", type="artist", market="US", offset=5, limit=10
    ),
}
DEVELOPMENT_403 = {
    "spotify/several_albums.json",
    "spotify/several_tracks.json",
    "spotify/several_audio_features.json",
}


@pytest.fixture(scope="module")
def fixtures(shared_dir: Path) -> Path:
    path = shared_dir / "fixtures" / "upstream"
    assert path.is_dir(), path
    return path


def test_every_recorded_fixture_has_a_parity_check(fixtures: Path) -> None:
    recorded = {str(p.relative_to(fixtures)) for p in fixtures.rglob("*.json")}
    assert recorded == set(REQUESTS)


@pytest.mark.parametrize("fixture", sorted(REQUESTS))
async def test_extended_mode_answers_have_every_real_key_path(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]], sim_catalog: Catalog, fixtures: Path, fixture: str
) -> None:
    await configure(sim, spotify_mode="extended", audio_features_grandfathered=True)
    real = key_paths(json.loads((fixtures / fixture).read_text()))
    response = await REQUESTS[fixture](sim, pick(artists, "prolific"), sim_catalog)
    assert response.status_code == 200, response.text
    ours = key_paths(response.json())
    missing = {p: t for p, t in real.items() if not t <= ours.get(p, set())}
    assert not missing, f"paths missing or of another type: {missing}"


@pytest.mark.parametrize(
    "fixture", sorted(f for f in REQUESTS if f.startswith("spotify/") and f not in DEVELOPMENT_403)
)
async def test_development_mode_answers_lack_only_the_removed_fields(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]], sim_catalog: Catalog, fixtures: Path, fixture: str
) -> None:
    await configure(sim, spotify_mode="development")
    real = key_paths(json.loads((fixtures / fixture).read_text()))
    response = await REQUESTS[fixture](sim, pick(artists, "prolific"), sim_catalog)
    assert response.status_code == 200, response.text
    ours = key_paths(response.json())
    assert not [p for p in ours if removed(p)]
    missing = {p: t for p, t in real.items() if not removed(p) and not t <= ours.get(p, set())}
    assert not missing, f"paths missing or of another type: {missing}"
