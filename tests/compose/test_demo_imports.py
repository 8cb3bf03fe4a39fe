"""The demo imports in the system docker compose runs (`make compose-test`): each demo artist's import
completed, and what it stored is exactly the simulator's truth. The comparisons are the ones the e2e and
catalog tests make (loaded from there, not copied). Runs only when compose_test.sh names the system."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

REPO = Path(__file__).resolve().parents[2]
GATEWAY = os.environ.get("MYSETLIST_COMPOSE_GATEWAY_URL", "")
SIMULATOR = os.environ.get("MYSETLIST_COMPOSE_SIMULATOR_URL", "")
DATABASE = os.environ.get("MYSETLIST_COMPOSE_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(not GATEWAY, reason="needs the compose system: `make compose-test` runs it")


def load(path: str) -> ModuleType:
    """A test module by path (test folders are no packages): its helpers, not its tests."""
    name = "compose_uses_" + Path(path).stem
    spec = importlib.util.spec_from_file_location(name, REPO / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def demo_artists() -> list[dict[str, Any]]:
    """The artists tools/stack/demo.sh imports: per profile the first with shows and a Spotify catalog."""
    artists = get(f"{SIMULATOR}/_sim/artists")
    picked = []
    for profile in ("sparse", "mid", "prolific"):
        full = [a for a in artists if a["profile"] == profile and a["events"] and a["recordings"]]
        picked += [a for a in full if a["spotify_id"]][:1]
    return picked


async def stored_songs(artist_id: str) -> list[str]:
    conn = await asyncpg.connect(DATABASE)
    try:
        rows = await conn.fetch(
            "SELECT s.spotify_id FROM song s JOIN artist_song l ON l.song_id = s.id WHERE l.artist_id = $1",
            artist_id,
        )
    finally:
        await conn.close()
    return [r["spotify_id"] for r in rows]


@pytest.mark.parametrize("profile", ["sparse", "mid", "prolific"])
def test_demo_import_stored_exactly_the_truth(profile: str) -> None:
    resilience = load("tests/e2e/test_resilience.py")  # stored(): the artist's shows and venues
    catalog = load("services/catalog-ingest/tests/test_catalog_real.py")  # check_against_truth()
    artist = next(a for a in demo_artists() if a["profile"] == profile)
    tm_attraction_id = artist["tm_attraction_id"]
    found = get(f"{GATEWAY}/api/artists/by-slug/tm-{tm_attraction_id.lower()}")
    status = get(f"{GATEWAY}/api/artists/{found['id']}/status")
    assert status["stage"] == "completed", status
    truth = get(f"{SIMULATOR}/_sim/truth/{tm_attraction_id}")

    shows, venues = asyncio.run(resilience.stored(DATABASE, found["id"]))
    assert len(shows) == len(set(shows)), "no duplicate show"
    assert sorted(shows) == sorted(truth["shows"])
    assert sorted(venues) == sorted(truth["venues"])
    songs = asyncio.run(stored_songs(found["id"]))
    assert catalog.check_against_truth(songs, truth["recordings"]) == []
    assert found["counts"]["songs"] == len(truth["recordings"])
