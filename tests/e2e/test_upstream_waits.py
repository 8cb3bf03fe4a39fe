"""Rate limits and quotas never fail an import, through the real services: with Ticketmaster's quota used
up every few seconds and Spotify answering 429 with a Retry-After, the phases show `waiting` (with
`waitingFor` and `resumeAt`) and the import stays `running`; both ingest services killed (SIGKILL) while
their phases wait change nothing; the import then completes with exactly the simulator's truth.

The short equivalents of the long scenarios in `make scale`: a 6 s quota "day" and a 3 s Retry-After,
with phases allowed to wait at most 1 s in all before they park."""

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from mysetlist_devtools.truth import problems, stored

pytestmark = pytest.mark.real

LIMITED = {
    "SIM_SPOTIFY_MODE": "extended",
    "SIM_RATE_LIMITS_TICKETMASTER_DAILY": "1",  # one call per "day": every page waits for a reset
    "SIM_TICKETMASTER_QUOTA_PERIOD_S": "6",
    "SIM_RATE_LIMITS_SPOTIFY_PER_30S": "12",  # a mid artist's catalog needs more than this
    "SIM_SPOTIFY_RETRY_AFTER_S": "3",
}


def until(http: httpx.Client, artist_id: str, done: Any, what: str) -> dict[str, Any]:
    """Poll the status until `done` (bounded generously: a busy machine is slow, never wrong)."""
    deadline = time.monotonic() + 600
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = http.get(f"/api/artists/{artist_id}/status")
        if response.status_code == 200:
            status = response.json()
            if done(status):
                return status
        time.sleep(0.2)
    raise AssertionError(f"never {what}; last status {status}")


def test_waits_for_quota_and_retry_after_survive_kills_and_end_exact(
    stack_factory: Any, simulator_factory: Any
) -> None:
    sim_url = simulator_factory(LIMITED)
    stack = stack_factory(sim_url, extra_env={"PHASE_WAIT_CAP_S": "1"})
    with (
        httpx.Client(base_url=sim_url, timeout=10) as sim,
        httpx.Client(base_url=stack.gateway_url, timeout=30) as http,
    ):
        artist = next(a for a in sim.get("/_sim/artists").json() if a["profile"] == "mid" and a["spotify_id"])
        started = http.post("/api/artists/import", json={"tmAttractionId": artist["tm_attraction_id"]})
        assert started.status_code == 200, started.text
        artist_id = started.json()["artistId"]

        waiting = until(
            http, artist_id, lambda s: any(p["state"] == "waiting" for p in s["phases"].values()), "waiting"
        )
        assert waiting["stage"] == "running", "a wait is not a failure"
        parked = [p for p in waiting["phases"].values() if p["state"] == "waiting"]
        assert {p["waitingFor"] for p in parked} <= {"ticketmaster", "spotify"}
        assert all(p["resumeAt"] for p in parked)

        for name in ("shows-ingest", "catalog-ingest"):  # gone while their phases wait
            stack.kill(name)
        for name in ("shows-ingest", "catalog-ingest"):
            stack.start(name)

        final = until(http, artist_id, lambda s: s["stage"] in ("completed", "failed"), "settled")
        truth = sim.get(f"/_sim/truth/{artist['tm_attraction_id']}").json()
        rate_limited = sim.get("/_sim/stats").json()

    assert final["stage"] == "completed", final
    assert final["importId"] == started.json()["importId"], "the same import, resumed"
    assert rate_limited["ticketmaster"]["rate_limited"] + rate_limited["spotify"]["rate_limited"] > 0, (
        "the limits really bit"
    )

    async def found() -> list[str]:
        conn = await asyncpg.connect(
            stack.env["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
        )
        try:
            return problems(await stored(conn, uuid.UUID(artist_id)), truth)
        finally:
            await conn.close()

    assert asyncio.run(found()) == []
