"""`mysetlist replay` and `mysetlist dlq` against a stand-in gateway (httpx.MockTransport): what they send,
what they print, one-line errors, and the admin token sent but never printed. The real thing runs in
tests/ops and tests/e2e/test_replay_failed.py."""

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mysetlist_cli import admin
from mysetlist_cli.main import app

TOKEN = "cli-secret-token"
REF = "imports.requested.dlq:3:7"


def stand_in(monkeypatch: pytest.MonkeyPatch, seen: list[httpx.Request]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if request.url.path == "/api/admin/replay":
            body = json.loads(request.content)
            item = {"tmAttractionId": "K8vZ917cuWc", "artistId": None, "replayOf": None,
                    "outcome": "would start" if body["dryRun"] else "started", "importId": None}  # fmt: skip
            return httpx.Response(
                200, json={"dryRun": body["dryRun"], "started": 1, "joined": 0, "items": [item]}
            )
        if request.url.path == f"/api/admin/dlq/{REF}/replay":
            return httpx.Response(409, json={"detail": f"{REF} was sent back already"})
        return httpx.Response(404, json={"detail": "no such thing"})

    transport = httpx.MockTransport(answer)
    real = admin.AdminGateway
    monkeypatch.setattr(admin, "AdminGateway", lambda: real("http://gateway.test", transport=transport))


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"MYSETLIST_ADMIN_TOKEN": TOKEN, "COLUMNS": "200"})


def test_replay_sends_one_selection_and_prints_the_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    stand_in(monkeypatch, seen)
    result = run("replay", "--requested-between", "2026-11-30T00:00", "2026-11-30T01:00+01:00", "--dry-run")
    assert result.exit_code == 0, result.output
    assert json.loads(seen[0].content) == {
        "dryRun": True,
        "requestedBetween": ["2026-11-30T00:00:00+00:00", "2026-11-30T01:00:00+01:00"],
    }
    assert "would replay: 1 new" in result.output and "would start" in result.output
    assert TOKEN not in result.output
    assert run("replay", "--artist", "a", "--import", "b").exit_code == 2
    assert run("replay", "--failed-since", "yesterday").exit_code == 2


def test_dlq_replay_refused_twice_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    stand_in(monkeypatch, seen)
    result = run("dlq", "replay", REF)
    assert result.exit_code == 1
    assert "409" in result.output and "sent back already" in result.output and TOKEN not in result.output


def test_no_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("MYSETLIST_LOCAL_DIR", str(tmp_path))  # no admin-token file there
    result = CliRunner().invoke(app, ["dlq", "list"], env={"MYSETLIST_ADMIN_TOKEN": ""})
    assert result.exit_code == 1 and "no admin token" in result.output
