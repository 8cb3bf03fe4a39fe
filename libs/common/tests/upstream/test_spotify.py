"""Spotify client: parsing the recorded real answers, mode detection, audio features switching off.

The mode tests use httpx.MockTransport (an in-memory double that answers like the real API does in each
mode); the real behaviour is exercised end to end against the simulator in the catalog-ingest tests.
"""

import asyncio
import bisect
import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from mysetlist_common.settings import Settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.ledger import MemoryLedger
from mysetlist_common.upstream.budget.policy import window_policy
from mysetlist_common.upstream.http.errors import MalformedAnswer, UpstreamError
from mysetlist_common.upstream.spotify.client import BatchUnavailable, ProcessState, SpotifyClient
from mysetlist_common.upstream.spotify.models import (
    SpotifyMode,
    parse_album,
    parse_album_with_tracks,
    parse_artist,
    parse_audio_features,
    parse_page,
    parse_track,
)


def test_recorded_answers_parse(shared_dir: Path) -> None:
    def fixture(name: str) -> dict:
        return json.loads((shared_dir / "fixtures" / "upstream" / "spotify" / name).read_text())

    albums = [parse_album(a) for a in parse_page(fixture("artist_albums.json")).items]
    assert albums and all(a.id and a.album_type in ("album", "single", "compilation") for a in albums)
    assert albums[0].album_group == "single"

    album, page = parse_album_with_tracks(fixture("album.json"))
    tracks = [parse_track(t, album.id) for t in page.items]
    assert album.name == "She's So Unusual" and tracks[0].name == "Money Changes Everything"
    assert all(t.isrc is None and t.album_id == album.id for t in tracks)  # simplified: no ISRC

    several = fixture("several_albums.json")["albums"]
    assert all(parse_album_with_tracks(a)[1].items for a in several)

    full = [parse_track(t) for t in fixture("several_tracks.json")["tracks"]]
    assert all(t.isrc and t.popularity is not None and t.duration_ms > 0 for t in full)
    one = parse_track(fixture("track.json"))
    assert (one.name, one.isrc, one.popularity) == ("Mr. Brightside", "GBFFP0300052", 73)

    simplified = [parse_track(t, "album") for t in parse_page(fixture("album_tracks.json")).items]
    assert simplified and all(t.artist_ids for t in simplified)

    artists = [parse_artist(a) for a in parse_page(fixture("search_artists.json")["artists"]).items]
    assert artists and all(a.name for a in artists)

    liveness = parse_audio_features(fixture("several_audio_features.json"))
    assert liveness and all(0 <= v <= 1 for v in liveness.values())


def _development_api(calls: list[str], inflation: int = 3) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        calls.append(f"{path}?{request.url.query.decode()}")
        if path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 3600})
        if request.headers.get("authorization") != "Bearer t":
            return httpx.Response(401, json={"error": {"status": 401}})
        if path.endswith("/albums") and "/artists/" in path:
            limit = int(request.url.params["limit"])
            if limit > 10:
                return httpx.Response(400, json={"error": {"status": 400, "message": "Invalid limit"}})
            offset = int(request.url.params["offset"])
            count = max(0, min(limit, 13 - offset))
            items = [
                {"id": f"a{offset + i}", "name": f"Album {offset + i}", "album_type": "album", "artists": []}
                for i in range(count)
            ]
            # Development mode's unreliable paging: `next` even on the last page, inflated total.
            body = {"items": items, "next": "more", "total": 13 + inflation, "limit": limit}
            return httpx.Response(200, json=body)
        if path in ("/v1/albums", "/v1/tracks", "/v1/audio-features"):
            return httpx.Response(403, json={"error": {"status": 403, "message": "Forbidden"}})
        return httpx.Response(404, json={"error": {"status": 404}})

    return httpx.MockTransport(handler)


def _settings(**kw: object) -> Settings:
    return Settings(
        spotify_api_base_url="http://spotify.test/v1",
        spotify_accounts_base_url="http://accounts.test/api",
        spotify_client_id=f"id-{id(kw)}",
        **kw,  # type: ignore[arg-type]
    )


async def test_development_mode_is_detected_from_a_400_on_the_limit_and_remembered() -> None:
    calls: list[str] = []
    state = ProcessState()
    async with httpx.AsyncClient(transport=_development_api(calls)) as http:
        client = SpotifyClient(_settings(), http, state)
        albums = [a async for page in client.artist_albums("x", "album") for a in page]
        assert [a.id for a in albums] == [f"a{i}" for i in range(13)]  # stopped on the short page
        assert state.mode is SpotifyMode.DEVELOPMENT
        listing = [c for c in calls if "/artists/" in c]
        assert len(listing) == 3  # one 400 at limit 50, then pages of 10 (10 + 3)

        with pytest.raises(BatchUnavailable):  # remembered: no request is spent on a batch endpoint
            await client.several_tracks(["t1"])
        again = SpotifyClient(_settings(), http, state)  # another import of the same process
        calls.clear()
        _ = [a async for page in again.artist_albums("x", "single") for a in page]
        assert all("limit=10" in c for c in calls if "/artists/" in c)
        assert not any("/v1/tracks" in c for c in calls)


async def test_paging_ends_on_the_short_page_whatever_total_says() -> None:
    calls: list[str] = []
    state = ProcessState(mode=SpotifyMode.DEVELOPMENT)
    async with httpx.AsyncClient(transport=_development_api(calls, inflation=500)) as http:
        client = SpotifyClient(_settings(), http, state)
        albums = [a async for page in client.artist_albums("x", "album") for a in page]
    assert [a.id for a in albums] == [f"a{i}" for i in range(13)]
    assert len(calls) <= 2 + 8  # token, first page, at most 8 pages asked for at once


async def test_a_403_on_a_batch_endpoint_means_development_mode() -> None:
    calls: list[str] = []
    state = ProcessState()
    async with httpx.AsyncClient(transport=_development_api(calls)) as http:
        client = SpotifyClient(_settings(), http, state)
        with pytest.raises(BatchUnavailable):
            await client.several_albums(["a1", "a2"])
        assert state.mode is SpotifyMode.DEVELOPMENT


async def test_forced_mode_skips_detection() -> None:
    calls: list[str] = []
    state = ProcessState()
    async with httpx.AsyncClient(transport=_development_api(calls)) as http:
        client = SpotifyClient(_settings(spotify_mode="development"), http, state)
        _ = [a async for page in client.artist_albums("x", "album") for a in page]
        assert not any("limit=50" in c for c in calls)


async def test_audio_features_403_switches_them_off_for_the_process() -> None:
    calls: list[str] = []
    state = ProcessState(mode=SpotifyMode.EXTENDED)
    async with httpx.AsyncClient(transport=_development_api(calls)) as http:
        client = SpotifyClient(_settings(), http, state)
        assert await client.audio_features(["t1", "t2"]) == {}
        assert state.audio_features is False
        calls.clear()
        assert await client.audio_features(["t3"]) == {}
        assert calls == []  # never asked again


async def test_quota_exceeded_is_not_retried() -> None:
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        attempts += 1
        body = {"error": {"status": 429, "message": "quota", "reason": "QUOTA_EXCEEDED"}}
        return httpx.Response(429, json=body, headers={"Retry-After": "1"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = SpotifyClient(_settings(), http, ProcessState())
        with pytest.raises(UpstreamError, match="QUOTA_EXCEEDED"):
            await client.track("t1")
    assert attempts == 1


class FakeTime:
    """A clock that moves only when slept on (each sleep also lets the other tasks run)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_window_budget_lets_a_burst_through_and_never_fills_a_window_beyond_its_number() -> None:
    time = FakeTime()
    policy = window_policy("spotify", "client", per_window=300, window_s=30.0)
    budget = KeyBudget(policy, MemoryLedger(clock=time.clock), bookers=1, clock=time.clock, sleep=time.sleep)
    sent: list[float] = []
    for _ in range(1000):
        sent.append((await budget.acquire(max_wait_s=math.inf)).at)
    burst = sum(t == 0.0 for t in sent)
    assert burst >= 20  # a tenth of the window at once: independent calls need not queue
    # no 30 s window (half-open, as Spotify's rolling one) ever holds more than its 300
    assert max(bisect.bisect_left(sent, t + 30.0) - i for i, t in enumerate(sent)) <= 300
    await budget.pause_for(5.0, "429")  # a 429's Retry-After holds everyone back
    before = time.now
    assert (await budget.acquire()).at >= before + 5.0


async def test_a_429_voids_the_slots_booked_before_it_until_its_pause_ends() -> None:
    time = FakeTime()
    policy = window_policy("spotify", "client", per_window=300, window_s=30.0)
    budget = KeyBudget(policy, MemoryLedger(clock=time.clock), bookers=1, clock=time.clock, sleep=time.sleep)
    sent: list[float] = []
    paused_at: list[float] = []

    async def call() -> None:
        sent.append((await budget.acquire(max_wait_s=math.inf)).at)
        if len(sent) == 40:  # the 40th request is answered 429, Retry-After 5 s
            paused_at.append(time.now)
            await budget.pause_for(5.0, "429")

    await asyncio.gather(*(call() for _ in range(80)))
    # the key's slots past the burst were booked before the 429: not one goes out inside the pause
    # (Spotify would lengthen its penalty for each), and the calls resume when the pause ends
    assert len(sent) == 80
    assert not [t for t in sent if paused_at[0] <= t < paused_at[0] + 5.0]


async def test_a_learned_rate_climbs_back_only_while_the_key_is_not_paused() -> None:
    time = FakeTime()
    policy = window_policy("spotify", "client", per_window=3000, window_s=30.0)
    ledger = MemoryLedger(clock=time.clock)
    await ledger.book(policy, 1, 0.0)
    halved = await ledger.slow_down(policy, booked_at=time.now + 1)
    assert halved == pytest.approx(policy.rate_per_s / 2)
    await ledger.pause(policy, 60.0, "429")
    time.now += 60.0
    assert (await ledger.book(policy, 1, 0.0)).rate_per_s == halved  # sixty paused seconds: no climb
    time.now += 10.0
    climbed = (await ledger.book(policy, 1, 0.0)).rate_per_s
    assert climbed == pytest.approx(halved + 10.0 * policy.increase_per_s2)


def _answering(routes: dict[str, Any]) -> httpx.MockTransport:
    """A Spotify that answers each path suffix with the given body (a callable gets the request)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        for suffix, body in routes.items():
            if request.url.path.endswith(suffix):
                return httpx.Response(200, json=body(request) if callable(body) else body)
        return httpx.Response(404, json={"error": {"status": 404}})

    return httpx.MockTransport(handler)


def _track(n: int, **override: Any) -> dict[str, Any]:
    return {"id": f"t{n}", "name": f"Song {n}", "duration_ms": 200_000, "artists": [{"id": "x"}]} | override


async def test_a_malformed_track_is_skipped_and_recorded_the_rest_kept() -> None:
    items = [_track(0), _track(1, duration_ms="long"), _track(2, name=None), _track(3), "junk"]
    transport = _answering({"/albums/al1/tracks": {"items": items, "limit": 50}})
    async with httpx.AsyncClient(transport=transport) as http:
        client = SpotifyClient(_settings(), http, ProcessState(mode=SpotifyMode.DEVELOPMENT))
        tracks = await client.album_tracks("al1")
    assert [t.id for t in tracks] == ["t0", "t3"]
    assert [(m.kind, m.id, m.album_id) for m in client.malformed] == [
        ("track", "t1", "al1"),
        ("track", "t2", "al1"),
        ("track", None, "al1"),
    ]
    assert "duration_ms" in client.malformed[0].reason and "name" in client.malformed[1].reason


async def test_a_malformed_album_is_skipped_and_recorded() -> None:
    albums = [{"id": "a1", "name": "One", "album_type": "album"}, {"name": "no id"}, {"id": "a3"}]
    transport = _answering({"/artists/x/albums": {"items": albums, "limit": 10, "total": 3}})
    async with httpx.AsyncClient(transport=transport) as http:
        client = SpotifyClient(_settings(), http, ProcessState(mode=SpotifyMode.DEVELOPMENT))
        listed = [a async for page in client.artist_albums("x", "album") for a in page]
    assert [a.id for a in listed] == ["a1"]
    assert [(m.kind, m.id) for m in client.malformed] == [("album", None), ("album", "a3")]


async def test_a_malformed_full_track_in_a_batch_is_skipped() -> None:
    transport = _answering({"/v1/tracks": {"tracks": [_track(1, album={"id": "al"}), _track(2), None]}})
    async with httpx.AsyncClient(transport=transport) as http:
        client = SpotifyClient(_settings(), http, ProcessState(mode=SpotifyMode.EXTENDED))
        full = await client.several_tracks(["t1", "t2", "t3"])
    assert [t.id for t in full] == ["t1"]  # t3 unknown to Spotify (null): not malformed
    assert [(m.kind, m.id) for m in client.malformed] == [("full_track", "t2")]


async def test_a_malformed_releases_page_is_asked_again_then_fails_clearly() -> None:
    asked = 0

    def page(request: httpx.Request) -> Any:
        nonlocal asked
        asked += 1
        return {"items": {"id": "a1"}, "total": 1}

    async with httpx.AsyncClient(transport=_answering({"/artists/x/albums": page})) as http:
        client = SpotifyClient(_settings(), http, ProcessState(mode=SpotifyMode.DEVELOPMENT))
        with pytest.raises(MalformedAnswer) as caught:
            _ = [a async for p in client.artist_albums("x", "album") for a in p]
    assert str(caught.value) == (
        "Spotify sent a malformed releases page of artist x: releases page items is not a list"
    )
    assert caught.value.retryable and asked == 3


async def test_one_malformed_releases_page_is_survived() -> None:
    answers = iter([["not a page"], {"items": [{"id": "a1", "name": "One"}], "limit": 10}])
    transport = _answering({"/artists/x/albums": lambda request: next(answers)})
    async with httpx.AsyncClient(transport=transport) as http:
        client = SpotifyClient(_settings(), http, ProcessState(mode=SpotifyMode.DEVELOPMENT))
        listed = [a async for page in client.artist_albums("x", "album") for a in page]
    assert [a.id for a in listed] == ["a1"] and client.api.stats.retries == 1
