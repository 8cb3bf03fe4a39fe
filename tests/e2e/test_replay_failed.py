"""`mysetlist replay --failed-since` against the whole running stack: some imports really fail (attraction
ids Ticketmaster does not know), and the replay re-imports exactly those, as new imports (reason replay)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

# four imports end to end on a shared 2-core machine: bounded generously, never by a fixed sleep
pytestmark = [pytest.mark.real, pytest.mark.timeout(600)]

TOKEN = "test-e2e-admin-token"
UNKNOWN = ["K8vNoSuchArtist1", "K8vNoSuchArtist2"]


@pytest.fixture(scope="module")
def admin_token_env(stack_env: dict[str, str]) -> Iterator[None]:
    """Before `live_stack`: its services inherit the environment, the gateway gets the admin token."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMIN_TOKEN", TOKEN)
        yield


def mysetlist(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYSETLIST_URL": stack.gateway_url, "MYSETLIST_ADMIN_TOKEN": TOKEN, "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, "-m", "mysetlist_cli", *args],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


def finished(http: httpx.Client, artist_id: str, stack: Any) -> str:
    """Wait for the import's end (an event the progress service records), up to a generous bound."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        stage = http.get(f"/api/artists/{artist_id}/status").json().get("stage")
        if stage in ("completed", "failed"):
            return str(stage)
        time.sleep(0.5)
    raise AssertionError(f"import of {artist_id} did not finish\n{stack.log_tail()}")


def test_replay_failed_since_reimports_exactly_the_failed(
    admin_token_env: None, live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    since = datetime.now(UTC).isoformat()
    good = [a["tm_attraction_id"] for a in sample_artists if a["profile"] == "sparse" and a["events"]][:2]
    with httpx.Client(base_url=live_stack.gateway_url, timeout=30) as http:
        started = {
            tm_attraction_id: http.post(
                "/api/artists/import", json={"tmAttractionId": tm_attraction_id}
            ).json()
            for tm_attraction_id in good + UNKNOWN
        }
        stages = {
            tm_attraction_id: finished(http, s["artistId"], live_stack)
            for tm_attraction_id, s in started.items()
        }
        assert stages == {**dict.fromkeys(good, "completed"), **dict.fromkeys(UNKNOWN, "failed")}

        dry = mysetlist(live_stack, "replay", "--failed-since", since, "--dry-run")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert all(tm_attraction_id in dry.stdout for tm_attraction_id in UNKNOWN) and not any(
            tm_attraction_id in dry.stdout for tm_attraction_id in good
        )
        assert "would start" in dry.stdout
        assert all(http.get(f"/api/artists/{started[t]['artistId']}").json()["lastImport"]["importId"]
                   == started[t]["importId"] for t in UNKNOWN), "a dry run starts nothing"  # fmt: skip

        run = mysetlist(live_stack, "replay", "--failed-since", since)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "replayed: 2 new, 0 joining" in run.stdout
        for tm_attraction_id in UNKNOWN:
            latest = http.get(f"/api/artists/{started[tm_attraction_id]['artistId']}").json()["lastImport"]
            assert latest["importId"] != started[tm_attraction_id]["importId"], "a replay is a new import"
            assert latest["importId"] in run.stdout
        for tm_attraction_id in good:
            latest = http.get(f"/api/artists/{started[tm_attraction_id]['artistId']}").json()["lastImport"]
            assert latest["importId"] == started[tm_attraction_id]["importId"], (
                "a completed import is not replayed"
            )
