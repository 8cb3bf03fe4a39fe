"""A shows-ingest process killed mid-import (SIGKILL, like a crashed pod): its replacement redoes the phase
from the uncommitted ImportRequested, and the import still ends with exactly the true shows and venues."""

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from mysetlist_devtools.truth import stored as stored_rows

pytestmark = pytest.mark.real

SLOW_TICKETMASTER_MS = 400  # so the kill lands while pages are still being fetched


async def stored(database_url: str, artist_id: str) -> tuple[list[str], list[str]]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        found = await stored_rows(conn, uuid.UUID(artist_id))
    finally:
        await conn.close()
    return found.shows, found.venues


def wait_for(http: httpx.Client, artist_id: str, done: Any, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status = http.get(f"/api/artists/{artist_id}/status").json()
        if done(status):
            return status
        assert time.monotonic() < deadline, f"timed out; last status {status}"
        time.sleep(0.05)


def test_killed_worker_mid_import_loses_nothing_and_duplicates_nothing(
    live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    artist = next(a for a in sample_artists if a["profile"] == "prolific")
    with (
        httpx.Client(base_url=live_stack.simulator_url, timeout=10) as sim,
        httpx.Client(base_url=live_stack.gateway_url, timeout=10) as http,
    ):
        before = sim.get("/_sim/config").json()
        sim.post("/_sim/config", json={"latency_ms": {"ticketmaster": SLOW_TICKETMASTER_MS}})
        try:
            started = http.post(
                "/api/artists/import", json={"tmAttractionId": artist["tm_attraction_id"]}
            ).json()
            artist_id = started["artistId"]
            mid = wait_for(http, artist_id, lambda s: s["phases"]["shows"]["done"] > 0, 60)
            assert mid["phases"]["shows"]["state"] == "running", "the kill must land mid-phase"
            live_stack.kill("shows-ingest")
            live_stack.start("shows-ingest")
            final = wait_for(http, artist_id, lambda s: s["stage"] in ("completed", "failed"), 240)
        finally:
            sim.post("/_sim/config", json={"latency_ms": before["latency_ms"]})
        truth = sim.get(f"/_sim/truth/{artist['tm_attraction_id']}").json()
    assert final["stage"] == "completed", final
    assert final["importId"] == started["importId"], "the same import finished: no second import was started"
    shows, venues = asyncio.run(stored(live_stack.env["DATABASE_URL"], artist_id))
    assert len(shows) == len(set(shows)), "no duplicate show"
    assert sorted(shows) == sorted(truth["shows"])
    assert sorted(venues) == sorted(truth["venues"])
