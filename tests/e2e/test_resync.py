"""Incremental resync end to end: the whole stack, a simulator of its own (time passes in it), the CLI.

Every sample artist is imported; an unchanged artist's resync costs at most 2 Ticketmaster and 6 Spotify
requests besides a token (Extended mode); after `/_sim/advance {"days": 30}` `mysetlist resync --run`
brings every artist to the new truth, and a full re-import then changes nothing; with a daily quota of
50 the planner plans only what fits its share and says what it leaves for tomorrow. The requests of each
kind of import per profile are printed (run with -s to see them).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mysetlist_devtools.testing import simulator_process

pytestmark = pytest.mark.real

ADMIN_TOKEN = "resync-test-token"
TM_KEY = "sim-ticketmaster-key"


@pytest.fixture(scope="module")
def simulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A simulator process of this module's own: advancing its time changes its global state."""
    log = tmp_path_factory.mktemp("resync-simulator") / "simulator.log"
    with simulator_process(log, {"SIM_SPOTIFY_MODE": "extended", "SIM_LATENCY_MS": "0"}) as url:
        yield url


@pytest.fixture(scope="module", autouse=True)
def resync_env() -> Iterator[None]:
    """The admin token, and every artist due at once (they were all imported minutes ago)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMIN_TOKEN", ADMIN_TOKEN)
        mp.setenv("RESYNC_MIN_AGE_S", "0")
        yield


def call(url: str, method: str = "GET", body: Any = None, admin: bool = False) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if admin:
        request.add_header("Authorization", f"Bearer {ADMIN_TOKEN}")
    for _ in range(30):
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code != 429:  # the simulator's spike arrest (this test's own event listings)
                raise
            time.sleep(1)
    pytest.fail(f"{url}: still 429 after 30 s")


def mysetlist(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MYSETLIST_URL": stack.gateway_url,
        "MYSETLIST_ADMIN_TOKEN": ADMIN_TOKEN,
        "COLUMNS": "250",
    }
    return subprocess.run(
        [sys.executable, "-m", "mysetlist_cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def wait_settled(stack: Any, artist_ids: list[str], after: dict[str, str] | None = None) -> dict[str, Any]:
    """Each artist's status once its latest import (another one than `after[id]`) has ended."""
    deadline = time.monotonic() + 600
    done: dict[str, Any] = {}
    while len(done) < len(artist_ids):
        for artist_id in artist_ids:
            if artist_id in done:
                continue
            status = call(f"{stack.gateway_url}/api/artists/{artist_id}/status")
            fresh = after is None or status["importId"] != after.get(artist_id)
            if fresh and status["stage"] in ("completed", "failed"):
                done[artist_id] = status
        if time.monotonic() > deadline:
            pytest.fail(f"imports did not end: {set(artist_ids) - set(done)}\n{stack.log_tail()}")
        time.sleep(0.3)
    for artist_id, status in done.items():
        assert status["stage"] == "completed", (artist_id, status, stack.log_tail())
    return done


def import_ids(stack: Any, artist_ids: list[str]) -> dict[str, str]:
    return {a: call(f"{stack.gateway_url}/api/artists/{a}/status")["importId"] for a in artist_ids}


def sim_requests(stack: Any) -> dict[str, int]:
    stats = call(f"{stack.simulator_url}/_sim/stats")
    spotify = stats["spotify"]
    tm = stats["ticketmaster"]
    return {  # the planner reads the quota with one attractions search (imports never search)
        # spike-arrest 429s spend no quota
        "ticketmaster": tm["requests"] - tm["endpoints"].get("attractions", 0) - tm["rate_limited"],
        "spotify": spotify["requests"] - spotify["endpoints"].get("token", 0),
        "spotify_token": spotify["endpoints"].get("token", 0),
    }


def reset_stats(stack: Any) -> None:
    call(f"{stack.simulator_url}/_sim/stats/reset", "POST", {})


def sim_events(stack: Any, tm_attraction_id: str) -> dict[str, dict[str, Any]]:
    """Every event of the attraction as the simulator lists it now (date windows under the paging limit)."""
    found: dict[str, dict[str, Any]] = {}
    for window in ("endDateTime=2024-06-30T23:59:59Z", "startDateTime=2024-07-01T00:00:00Z"):
        for page in range(5):
            url = (
                f"{stack.simulator_url}/discovery/v2/events.json?apikey={TM_KEY}&attractionId={tm_attraction_id}"
                f"&size=200&page={page}&includeTBA=yes&includeTBD=yes&{window}"
            )
            body = call(url)
            found |= {e["id"]: e for e in body.get("_embedded", {}).get("events", [])}
            if "next" not in body["_links"]:
                break
    return found


async def _stored(database_url: str, artist_id: str) -> dict[str, Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            params = {"a": artist_id}
            shows = (
                await conn.execute(
                    text(
                        "SELECT s.tm_event_id, s.status, v.tm_venue_id, s.starts_at FROM show_artist sa "
                        "JOIN show s ON s.id = sa.show_id LEFT JOIN venue v ON v.id = s.venue_id "
                        "WHERE sa.artist_id = :a"
                    ),
                    params,
                )
            ).all()
            songs = (
                await conn.execute(
                    text(
                        "SELECT s.spotify_id FROM artist_song l JOIN song s ON s.id = l.song_id "
                        "WHERE l.artist_id = :a"
                    ),
                    params,
                )
            ).scalars()
            decisions = (
                await conn.execute(
                    text(
                        "SELECT spotify_track_id, decision, duplicate_of FROM catalog_decision "
                        "WHERE artist_id = :a"
                    ),
                    params,
                )
            ).all()
            return {
                "shows": {r.tm_event_id: r for r in shows},
                "songs": set(songs),
                "decisions": {r.spotify_track_id: (r.decision, r.duplicate_of) for r in decisions},
            }
    finally:
        await engine.dispose()


def assert_at_truth(stack: Any, artist: dict[str, Any], artist_id: str) -> None:
    truth = call(f"{stack.simulator_url}/_sim/truth/{artist['tm_attraction_id']}")
    stored = asyncio.run(_stored(stack.env["DATABASE_URL"], artist_id))
    name = artist["name"]
    assert set(stored["shows"]) == set(truth["shows"]), name
    venues = {r.tm_venue_id for r in stored["shows"].values() if r.tm_venue_id}
    assert venues == set(truth["venues"]), name
    if truth["shows"]:
        listed = sim_events(stack, artist["tm_attraction_id"])
        for event_id, row in stored["shows"].items():
            event = listed[event_id]
            status = event["dates"]["status"]["code"].replace("canceled", "cancelled")
            assert row.status == status, (name, event_id)
            venue = (event.get("_embedded", {}).get("venues") or [{}])[0].get("id")
            assert row.tm_venue_id == venue, (name, event_id)
    assert stored["songs"] == {r[0] for r in truth["recordings"]}, name
    for recording in truth["recordings"]:
        assert stored["decisions"][recording[0]][0] == "kept", (name, recording)
        for other in recording[1:]:
            assert stored["decisions"][other] == ("duplicate", recording[0]), (name, recording)


def reimport(stack: Any, artist_id: str, mode: str) -> dict[str, Any]:
    before = import_ids(stack, [artist_id])
    call(f"{stack.gateway_url}/api/admin/artists/{artist_id}/reimport?mode={mode}", "POST", {}, admin=True)
    return wait_settled(stack, [artist_id], before)[artist_id]


@pytest.mark.timeout(1800)  # a dozen imports of every profile on a busy 2-core machine
def test_resync_within_the_quota(live_stack: Any) -> None:
    stack = live_stack
    artists = call(f"{stack.simulator_url}/_sim/artists")
    ids: dict[str, str] = {}
    for artist in artists:
        accepted = call(
            f"{stack.gateway_url}/api/artists/import", "POST", {"tmAttractionId": artist["tm_attraction_id"]}
        )
        ids[artist["tm_attraction_id"]] = accepted["artistId"]
    wait_settled(stack, list(ids.values()))
    for artist in artists:
        assert_at_truth(stack, artist, ids[artist["tm_attraction_id"]])

    # One artist of each profile, one import at a time: what each kind of import asks for.
    sample = {p: next(a for a in artists if a["profile"] == p and a["events"] and a["recordings"]) for p in
              ("sparse", "mid", "prolific")}  # fmt: skip
    figures: dict[str, dict[str, Any]] = {}
    for profile, artist in sample.items():
        artist_id = ids[artist["tm_attraction_id"]]
        for label, mode in (("full", "full"), ("unchanged", "incremental")):
            reset_stats(stack)
            status = reimport(stack, artist_id, mode)
            figures.setdefault(profile, {})[label] = sim_requests(stack)
            assert status["phases"]["shows"]["counts"]["incremental"] == (mode == "incremental")
        unchanged = figures[profile]["unchanged"]
        assert unchanged["ticketmaster"] <= 2 and unchanged["spotify"] <= 6, (profile, unchanged)

    # Thirty days pass: a resync of each sample artist alone (its cost), then `mysetlist resync --run`.
    call(f"{stack.simulator_url}/_sim/advance", "POST", {"days": 30})
    for profile, artist in sample.items():
        reset_stats(stack)
        reimport(stack, ids[artist["tm_attraction_id"]], "incremental")
        figures[profile]["after_30_days"] = sim_requests(stack)
        assert_at_truth(stack, artist, ids[artist["tm_attraction_id"]])
    print("\nrequests per import (Ticketmaster, Spotify besides tokens):", flush=True)
    for profile, kinds in figures.items():
        print(f"  {profile}: " + "; ".join(f"{k} {v['ticketmaster']} TM, {v['spotify']} Spotify" for k, v in
                                          kinds.items()), flush=True)  # fmt: skip

    call(f"{stack.simulator_url}/_sim/advance", "POST", {"days": 30})  # another month: every artist changed
    before = import_ids(stack, list(ids.values()))
    run = mysetlist(stack, "resync", "--run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "7 resync imports requested" in run.stdout, run.stdout
    wait_settled(stack, list(ids.values()), before)
    for artist in artists:
        assert_at_truth(stack, artist, ids[artist["tm_attraction_id"]])

    # What an incremental resync stored is what a full import stores: a full one changes nothing.
    prolific = ids[sample["prolific"]["tm_attraction_id"]]
    counts = reimport(stack, prolific, "full")["phases"]
    for phase, key in (("shows", "shows_changed"), ("shows", "shows_removed"), ("shows", "venues_changed"),
                       ("catalog", "songs_written"), ("catalog", "links_removed")):  # fmt: skip
        assert counts[phase]["counts"][key] == 0, (phase, key, counts)

    # A small daily quota: plans fit 60 % of it, and what does not fit is left for tomorrow.
    call(f"{stack.simulator_url}/_sim/config", "POST", {"rate_limits": {"ticketmaster_daily": 50}})
    reset_stats(stack)  # a fresh quota day
    deferred = False
    for _ in range(6):
        plan = mysetlist(stack, "resync", "--plan")
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "of 50 requests left today" in plan.stdout and "may use 60%" in plan.stdout, plan.stdout
        if "Left for tomorrow" in plan.stdout:
            deferred = True
            break
        before = import_ids(stack, list(ids.values()))
        assert mysetlist(stack, "resync", "--run").returncode == 0
        wait_settled(stack, list(ids.values()), before)
    assert deferred, "the quota share ran out"
    assert sim_requests(stack)["ticketmaster"] <= 30  # what the resyncs spent (the planner's probes aside)
