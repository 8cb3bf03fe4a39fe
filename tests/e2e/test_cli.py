"""The `mysetlist` command as a person runs it, against the whole running stack and the simulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

pytestmark = pytest.mark.real


def mysetlist(stack: Any, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYSETLIST_URL": stack.gateway_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "mysetlist_cli", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def pick(artists: list[dict[str, Any]], profile: str) -> dict[str, Any]:
    return next(a for a in artists if a["profile"] == profile and a["events"] and a["recordings"])


def test_import_by_name_follows_progress_to_a_summary(
    live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    artist = pick(sample_artists, "sparse")
    run = mysetlist(live_stack, "import", artist["name"])
    assert run.returncode == 0, run.stdout + run.stderr + live_stack.log_tail()
    out = run.stdout
    assert f"import of {artist['name']} ({artist['tm_attraction_id']}) started" in out
    assert "shows: completed" in out and "catalog: completed" in out
    assert f"{artist['name']}: import completed" in out
    found = get(f"{live_stack.gateway_url}/api/artists/by-slug/tm-{artist['tm_attraction_id'].lower()}")
    # the summary's figures are the stored ones
    shows = found["counts"]["upcomingShows"] + found["counts"]["pastShows"]
    assert f"{shows} shows stored" in out
    assert f"{found['counts']['songs']} songs" in out
    assert f"page: {live_stack.gateway_url}/artists/{found['slug']}" in out


def test_status_and_search_of_the_imported_artist(
    live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    artist = pick(sample_artists, "sparse")
    if mysetlist(live_stack, "status", artist["name"]).returncode != 0:
        assert mysetlist(live_stack, "import", artist["tm_attraction_id"]).returncode == 0
    for query in (artist["name"], artist["tm_attraction_id"]):
        status = mysetlist(live_stack, "status", query)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "completed" in status.stdout and "upcoming shows" in status.stdout
    search = mysetlist(live_stack, "search", artist["name"].split()[-1])
    assert search.returncode == 0
    assert artist["name"] in search.stdout and artist["tm_attraction_id"] in search.stdout


def test_a_failing_import_says_why_and_exits_non_zero(live_stack: Any) -> None:
    run = mysetlist(live_stack, "import", "--id", "K8vZ9170NOPE")  # an attraction Ticketmaster does not know
    assert run.returncode == 1, run.stdout + run.stderr
    assert "import failed" in run.stdout
    assert "K8vZ9170NOPE" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "zzqq no such artist"), "error: no artist matches 'zzqq no such artist'"),
        (("status", "zzqq no such artist"), "error: no artist matches 'zzqq no such artist'"),
        (("search", " "), "error: GET /api/search: 422 q must not be empty"),
        (("import", "--id", "bad id!"), "error: POST /api/artists/import: 422"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(
    live_stack: Any, args: tuple[str, ...], message: str
) -> None:
    run = mysetlist(live_stack, *args)
    assert run.returncode == 1
    assert run.stderr.strip().startswith(message), run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
