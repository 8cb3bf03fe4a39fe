"""`mysetlist why` against a stand-in gateway: in the catalog, left out (with rule, reason and the kept
version of a duplicate), every version of a title, and a title nobody fetched. The real stack version is
tests/e2e/test_browser.py's agreement test."""

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mysetlist_cli import commands
from mysetlist_cli.gateway import Gateway
from mysetlist_cli.main import app

ARTIST_ID = "7de567d6-11b8-4363-b840-78e05ac6ea2d"
ARTIST = {"id": ARTIST_ID, "name": "The Waves", "slug": "the-waves", "lastImport": {"stage": "completed"},
          "counts": {"upcomingShows": 0, "pastShows": 0, "songs": 2}}  # fmt: skip


def decision(tid: str, name: str, release: str, outcome: str, rule: str, reason: str, **kw: Any) -> Any:
    return {"spotifyTrackId": tid, "trackName": name, "releaseId": "R", "releaseName": release,
            "outcome": outcome, "verdict": kw.get("verdict", rule), "rule": rule, "reason": reason,
            "keptVersion": kw.get("kept")}  # fmt: skip


DECISIONS = [
    decision("T1", "Harbour Lights", "Tidewater", "kept", "kept", "studio recording"),
    decision("T2", "Harbour Lights", "Harbour Lights (Single)", "dropped", "duplicate",
             "same ISRC as 'Harbour Lights'",
             kept={"spotifyTrackId": "T1", "trackName": "Harbour Lights", "releaseName": "Tidewater"}),
    decision("T3", "Harbour Lights - Live at Leeds", "Live at Leeds", "dropped", "live_qualifier",
             "track title 'Harbour Lights - Live at Leeds': live qualifier 'Live at Leeds'", verdict="live"),
    decision("T4", "Don't Look Down - Live", "Loud Nights", "dropped", "live_qualifier",
             "track title \"Don't Look Down - Live\": live qualifier 'Live'", verdict="live"),
]  # fmt: skip


def gateway(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path in (f"/api/artists/{ARTIST_ID}", "/api/artists/by-slug/the-waves"):
        return httpx.Response(200, json=ARTIST)
    if path == f"/api/artists/{ARTIST_ID}/catalog/decisions":
        q = request.url.params.get("q", "").casefold()
        items = [d for d in DECISIONS if q in d["trackName"].casefold()]
        return httpx.Response(200, json={"items": items, "total": len(items), "limit": 200, "offset": 0,
                                         "nextOffset": None, "counts": {}})  # fmt: skip
    return httpx.Response(404, json={"detail": "unknown artist"})


@pytest.fixture(autouse=True)
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    transport = httpx.MockTransport(gateway)
    monkeypatch.setattr(commands, "make_gateway", lambda: Gateway("http://gw", transport=transport))


def why(*args: str) -> Any:
    return CliRunner().invoke(app, ["why", *args], env={"COLUMNS": "250"})


def test_a_kept_track_is_in_the_catalog_and_its_other_versions_say_why_not() -> None:
    result = why("the-waves", "Harbour Lights")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "'Harbour Lights' is in the catalog of The Waves:"
    assert "'Harbour Lights' on 'Tidewater': in the catalog (studio recording)" in lines[1]
    # an exact title wins: the live version of the same song is not listed for "Harbour Lights"
    assert "'Harbour Lights' on 'Harbour Lights (Single)': dropped, rule duplicate: same ISRC as " in lines[3]
    assert lines[3].endswith("kept version: 'Harbour Lights' on 'Tidewater'")
    assert "Live at Leeds" not in result.output


def test_a_live_only_title_is_not_in_the_catalog_with_its_rule_and_reason() -> None:
    result = why("the-waves", "Don't Look Down")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == '"Don\'t Look Down" is not in the catalog of The Waves:'
    assert (
        "rule live_qualifier: track title \"Don't Look Down - Live\": live qualifier 'Live'" in result.output
    )


def test_a_title_spelt_differently_is_still_found() -> None:
    assert "is not in the catalog of The Waves" in why("the-waves", "dont look down").output


def test_a_title_nobody_fetched_is_one_error_line() -> None:
    result = why("the-waves", "Nothing Like It")
    assert result.exit_code == 1
    assert result.output.strip() == "error: no track titled 'Nothing Like It' was fetched for The Waves"
