"""Spotify accounts and Web API behaviour in both app modes, in-process."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from mysetlist_simulator.testing import configure, pick, spotify_headers

REMOVED_IN_DEVELOPMENT = ("popularity", "album_group", "linked_from", "available_markets", "label")


def keys_anywhere(body: Any) -> set[str]:
    if isinstance(body, dict):
        return set(body) | {k for v in body.values() for k in keys_anywhere(v)}
    if isinstance(body, list):
        return {k for v in body for k in keys_anywhere(v)}
    return set()


async def configured(sim: httpx.AsyncClient, **config: Any) -> dict[str, str]:
    """Apply the config, then take a token under it (its lifetime and mode are part of the config)."""
    await configure(sim, **config)
    return await spotify_headers(sim)


async def walk(
    sim: httpx.AsyncClient, headers: dict[str, str], url: str, **params: Any
) -> list[dict[str, Any]]:
    """Follow `next` (absolute URLs) until a short or empty page."""
    items: list[dict[str, Any]] = []
    response = await sim.get(url, params=params, headers=headers)
    while True:
        body = response.raise_for_status().json()
        items += body["items"]
        if not body["next"] or len(body["items"]) < body["limit"]:
            return items
        response = await sim.get(body["next"], headers=headers)


async def test_token_client_credentials(sim: httpx.AsyncClient) -> None:
    ok = await sim.post(
        "/api/token",
        data={"grant_type": "client_credentials"},
        auth=("sim-spotify-client", "sim-spotify-secret"),
    )
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "Bearer" and ok.json()["expires_in"] == 3600
    assert "refresh_token" not in ok.json()
    bad = await sim.post(
        "/api/token", data={"grant_type": "client_credentials"}, auth=("sim-spotify-client", "wrong")
    )
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    grant = await sim.post(
        "/api/token", data={"grant_type": "password"}, auth=("sim-spotify-client", "sim-spotify-secret")
    )
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


async def test_api_needs_a_valid_token(sim: httpx.AsyncClient, artists: list[dict[str, Any]]) -> None:
    url = f"/v1/artists/{pick(artists, 'sparse', events=15)['spotify_id']}"
    assert (await sim.get(url)).status_code == 401
    assert (await sim.get(url, headers={"Authorization": "Bearer forged"})).status_code == 401
    assert (await sim.get(url, headers=await spotify_headers(sim))).status_code == 200


async def test_expired_token_is_401(sim: httpx.AsyncClient, artists: list[dict[str, Any]]) -> None:
    headers = await configured(sim, token_ttl_s=0)
    response = await sim.get(f"/v1/artists/{pick(artists, 'mid')['spotify_id']}", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["message"] == "The access token expired"


async def test_development_mode_limits_and_removed_fields(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await configured(sim, spotify_mode="development")
    artist_id = pick(artists, "mid")["spotify_id"]
    url = f"/v1/artists/{artist_id}/albums"
    too_big = await sim.get(url, params={"limit": 11, "market": "US"}, headers=headers)
    assert too_big.status_code == 400 and too_big.json()["error"]["message"] == "Invalid limit"
    page = (await sim.get(url, params={"limit": 10, "market": "US"}, headers=headers)).json()
    album_id = page["items"][0]["id"]
    tracks = (await sim.get(f"/v1/albums/{album_id}/tracks", params={"market": "US"}, headers=headers)).json()
    track_id = tracks["items"][0]["id"]
    for path in (
        f"/v1/albums?ids={album_id}",
        f"/v1/tracks?ids={track_id}",
        f"/v1/artists?ids={artist_id}",
        f"/v1/artists/{artist_id}/top-tracks?market=US",
        f"/v1/audio-features?ids={track_id}",
    ):
        assert (await sim.get(path, headers=headers)).status_code == 403, path
    album = (await sim.get(f"/v1/albums/{album_id}", headers=headers)).json()
    track = (await sim.get(f"/v1/tracks/{track_id}", headers=headers)).json()
    for body in (page, tracks, album, track):
        assert not keys_anywhere(body) & set(REMOVED_IN_DEVELOPMENT)
    assert "album_type" in page["items"][0]
    assert "external_ids" not in tracks["items"][0]  # simplified tracks carry no ISRC
    with_isrc = [
        t
        for t in tracks["items"]
        if (await sim.get(f"/v1/tracks/{t['id']}", headers=headers)).json()["external_ids"]
    ]
    assert with_isrc, "full track objects still carry external_ids.isrc"
    search = await sim.get("/v1/search", params={"q": "a", "type": "artist", "limit": 11}, headers=headers)
    assert search.status_code == 400


async def test_extended_mode_batches_and_fields(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await configured(sim, spotify_mode="extended")
    artist_id = pick(artists, "prolific")["spotify_id"]
    page = (
        await sim.get(
            f"/v1/artists/{artist_id}/albums",
            params={"limit": 50, "market": "US", "include_groups": "album,single"},
            headers=headers,
        )
    ).json()
    assert len(page["items"]) == 50 and {i["album_group"] for i in page["items"]} <= {"album", "single"}
    assert (
        await sim.get(f"/v1/artists/{artist_id}/albums", params={"limit": 51}, headers=headers)
    ).status_code == 400
    ids = [i["id"] for i in page["items"]]
    albums = (await sim.get("/v1/albums", params={"ids": ",".join(ids[:20])}, headers=headers)).json()[
        "albums"
    ]
    assert [a["id"] for a in albums] == ids[:20] and all("popularity" in a and "label" in a for a in albums)
    assert (
        await sim.get("/v1/albums", params={"ids": ",".join(ids[:21])}, headers=headers)
    ).status_code == 400
    track_ids = [t["id"] for a in albums for t in a["tracks"]["items"]][:50]
    tracks = (await sim.get("/v1/tracks", params={"ids": ",".join(track_ids)}, headers=headers)).json()[
        "tracks"
    ]
    assert len(tracks) == 50 and all("popularity" in t for t in tracks)
    top = (
        await sim.get(f"/v1/artists/{artist_id}/top-tracks", params={"market": "US"}, headers=headers)
    ).json()
    assert len(top["tracks"]) == 10


async def test_audio_features_only_for_grandfathered_extended_apps(
    sim: httpx.AsyncClient, sim_catalog: Any
) -> None:
    live = next(t for t in sim_catalog.tracks.values() if t.recording.kind == "live" and t.base is None)
    studio = next(t for t in sim_catalog.tracks.values() if t.recording.kind == "studio" and t.base is None)
    url = f"/v1/audio-features?ids={live.id},{studio.id}"
    headers = await configured(sim, spotify_mode="extended", audio_features_grandfathered=False)
    assert (await sim.get(url, headers=headers)).status_code == 403
    await configure(sim, audio_features_grandfathered=True)
    features = (await sim.get(url, headers=headers)).json()["audio_features"]
    assert features[0]["liveness"] > 0.7 > 0.4 > features[1]["liveness"]


async def test_without_market_albums_repeat_under_other_ids(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await spotify_headers(sim)
    url = f"/v1/artists/{pick(artists, 'sparse', events=15)['spotify_id']}/albums"
    with_market = await walk(sim, headers, url, market="US", limit=10)
    without = await walk(sim, headers, url, limit=10)
    assert len(without) == 3 * len(with_market)
    names = Counter(a["name"] for a in with_market)
    assert Counter(a["name"] for a in without) == Counter({name: 3 * n for name, n in names.items()})
    assert len({a["id"] for a in without}) == len(without)
    assert {a["id"] for a in with_market} < {a["id"] for a in without}


async def test_paging_next_is_absolute_on_the_same_host(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await spotify_headers(sim)
    url = f"/v1/artists/{pick(artists, 'prolific')['spotify_id']}/albums"
    first = (
        await sim.get(url, params={"limit": 10, "market": "US", "include_groups": "album"}, headers=headers)
    ).json()
    assert first["next"].startswith("http://sim.test/v1/artists/") and "offset=10" in first["next"]
    everything = await walk(sim, headers, url, limit=10, market="US", include_groups="album")
    assert len(everything) == first["total"] and len({a["id"] for a in everything}) == first["total"]


async def test_unreliable_paging_gives_next_with_no_items_and_inflated_total(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await configured(sim, unreliable_paging=True)
    url = f"/v1/artists/{pick(artists, 'mid')['spotify_id']}/albums"
    real = len(await walk(sim, headers, url, limit=10, market="US"))
    page = (
        await sim.get(
            url, params={"limit": 10, "market": "US", "offset": real - real % 10 + 10}, headers=headers
        )
    ).json()
    assert page["items"] == [] and page["next"] is not None and page["total"] > real


async def test_rolling_window_429_with_retry_after_and_early_retry_penalty(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await configured(sim, rate_limits={"spotify_per_30s": 3})
    url = f"/v1/artists/{pick(artists, 'mid')['spotify_id']}"
    answers = [await sim.get(url, headers=headers) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    first, early = int(answers[3].headers["Retry-After"]), int(answers[4].headers["Retry-After"])
    assert 1 <= first <= 30 and early >= first  # calling early never shortens the wait
    assert (await sim.get("/_sim/stats")).json()["spotify"]["rate_limited"] == 2


async def test_configured_retry_after_and_quota_exceeded(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    headers = await spotify_headers(sim)
    url = f"/v1/artists/{pick(artists, 'mid')['spotify_id']}"
    await configure(sim, rate_limits={"spotify_per_30s": 1}, spotify_retry_after_s=3600)
    await sim.get(url, headers=headers)
    assert (await sim.get(url, headers=headers)).headers["Retry-After"] == "3600"
    await configure(sim, spotify_quota_exceeded=True)
    quota = await sim.get(url, headers=headers)
    assert quota.status_code == 429 and quota.json()["error"]["reason"] == "QUOTA_EXCEEDED"


async def test_market_relinks_a_market_copy_to_the_canonical_track(
    sim: httpx.AsyncClient, sim_catalog: Any
) -> None:
    headers = await configured(sim, spotify_mode="extended")
    copy = next(t for t in sim_catalog.tracks.values() if t.base is not None)
    relinked = (await sim.get(f"/v1/tracks/{copy.id}", params={"market": "US"}, headers=headers)).json()
    assert relinked["id"] == copy.base.id and relinked["linked_from"]["id"] == copy.id
    plain = (await sim.get(f"/v1/tracks/{copy.id}", headers=headers)).json()
    assert plain["id"] == copy.id and plain["external_ids"] == relinked["external_ids"]


@pytest.mark.parametrize("mode", ["development", "extended"])
async def test_search_finds_artists_by_name(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]], mode: str
) -> None:
    headers = await configured(sim, spotify_mode=mode)
    target = pick(artists, "mid")
    body = (
        await sim.get("/v1/search", params={"q": target["name"], "type": "artist"}, headers=headers)
    ).json()
    assert body["artists"]["items"][0]["id"] == target["spotify_id"]
    assert body["artists"]["limit"] == (5 if mode == "development" else 20)
