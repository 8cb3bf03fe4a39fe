"""The CLI commands against a stand-in gateway (httpx.MockTransport): choosing an artist, following the
progress stream to a summary, resuming a dropped stream, and one-line errors with non-zero exits.
The same commands run against the real stack in tests/e2e/test_cli.py."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mysetlist_cli import commands
from mysetlist_cli.gateway import Gateway
from mysetlist_cli.main import app
from mysetlist_common.web.sse import parse_sse
from mysetlist_devtools.testing import free_port

ARTIST_ID = "7de567d6-11b8-4363-b840-78e05ac6ea2d"
IMPORT_ID = "49f28636-a9af-4374-b755-077d6be566fb"
HITS: list[dict[str, Any]] = [
    {"tmAttractionId": "K8vZ917aaaa", "name": "The Waves Tribute", "imageUrl": None, "url": None,
     "spotifyId": None, "artistId": None, "slug": None},
    {"tmAttractionId": "K8vZ917bbbb", "name": "The Waves", "imageUrl": None, "url": None,
     "spotifyId": None, "artistId": ARTIST_ID, "slug": "the-waves"},
    {"tmAttractionId": "K8vZ917cccc", "name": "Waves of Sound", "imageUrl": None, "url": None,
     "spotifyId": None, "artistId": None, "slug": None},
]  # fmt: skip


def phases(shows: dict[str, Any], catalog: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "done": 0,
        "total": None,
        "percent": 0,
        "duration": None,
        "message": "",
        "counts": {},
        "error": None,
    }
    return {"shows": {**base, **shows}, "catalog": {**base, **catalog}}


def status(stage: str, last: int, **kw: Any) -> dict[str, Any]:
    return {
        "artistId": ARTIST_ID, "importId": IMPORT_ID, "stage": stage,
        "progress": 100 if stage != "running" else 40,
        "message": kw.get("message", stage), "updatedAt": "2026-11-24T04:00:00Z", "lastEventId": last,
        "phases": kw.get("phases", phases({"state": "pending"}, {"state": "pending"})),
    }  # fmt: skip


def sse(event: str, data: Any, id: int | None = None) -> str:
    return (f"id: {id}\n" if id is not None else "") + f"event: {event}\ndata: {json.dumps(data)}\n\n"


def envelope(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "import_id": IMPORT_ID, "artist_id": ARTIST_ID, "payload": payload}


EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("PhaseStarted", {"phase": "shows"}),
    ("PhaseStarted", {"phase": "catalog"}),
    ("PhaseProgress", {"phase": "shows", "done": 7, "total": 15, "percent": 46.7, "message": "page 1"}),
    ("PhaseCompleted", {"phase": "shows", "counts": {"shows": 15, "venues": 9}, "duration_s": 1.5}),
    ("PhaseCompleted", {"phase": "catalog", "counts": {"songs": 31}, "duration_s": 2.25}),
    ("ImportFinished", {"outcome": "completed", "phases": {}, "message": ""}),
]
DONE = phases(
    {"state": "completed", "done": 15, "total": 15, "duration": 1.5, "counts": {"shows": 15, "venues": 9}},
    {"state": "completed", "done": 31, "total": 31, "duration": 2.25, "counts": {"songs": 31}},
)


class FakeGateway:
    """Routes requests like the gateway; `stream_parts` is what each successive stream connection sends."""

    def __init__(self, final: dict[str, Any], stream_parts: list[list[str] | Exception]) -> None:
        self.final = final
        self.stream_parts = stream_parts
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/api/search":
            q = request.url.params["q"]
            if not q.strip():
                return httpx.Response(
                    422, json={"detail": "q must not be empty: type part of an artist's name"}
                )
            return httpx.Response(
                200, json={"query": q, "items": [h for h in HITS if q.lower() in h["name"].lower()]}
            )
        if path == "/api/artists/import":
            body = json.loads(request.content)
            return httpx.Response(
                200,
                json={"artistId": ARTIST_ID, "slug": f"tm-{body['tmAttractionId'].lower()}",
                      "importId": IMPORT_ID, "created": True},
            )  # fmt: skip
        if path.endswith("/stream"):
            part = self.stream_parts.pop(0)
            if isinstance(part, Exception):
                raise part
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, text="".join(part))
        if path.endswith("/status"):
            return httpx.Response(200, json=self.final)
        if path == f"/api/artists/{ARTIST_ID}" or path == "/api/artists/by-slug/the-waves":
            return httpx.Response(
                200,
                json={"id": ARTIST_ID, "name": "The Waves", "slug": "the-waves", "lastImport": {"stage": "x"},
                      "counts": {"upcomingShows": 10, "pastShows": 5, "songs": 31}},
            )  # fmt: skip
        return httpx.Response(404, json={"detail": "unknown artist"})


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch) -> Callable[[FakeGateway], None]:
    def install(fake: FakeGateway) -> None:
        monkeypatch.setattr(
            commands, "make_gateway", lambda: Gateway("http://gw", transport=httpx.MockTransport(fake))
        )

    return install


runner = CliRunner()


def full_stream() -> list[str]:
    parts = [sse("status", status("pending", 0))]
    parts += [sse(kind, envelope(kind, payload), id=i + 1) for i, (kind, payload) in enumerate(EVENTS)]
    return parts


def test_import_by_name_picks_the_exact_match_and_prints_a_summary(
    use: Callable[[FakeGateway], None],
) -> None:
    fake = FakeGateway(status("completed", 6, phases=DONE), [full_stream()])
    use(fake)
    result = runner.invoke(app, ["import", "the waves"])
    assert result.exit_code == 0, result.output
    started = next(r for r in fake.requests if r.url.path == "/api/artists/import")
    assert json.loads(started.content) == {"tmAttractionId": "K8vZ917bbbb"}
    assert "import completed" in result.output
    for figure in ("15 shows, 9 venues", "31 songs", "1.5 s", "2.2 s", "15 of 15"):
        assert figure in result.output
    assert "http://gw/artists/the-waves" in result.output


def test_import_by_id_skips_the_search(use: Callable[[FakeGateway], None]) -> None:
    fake = FakeGateway(status("completed", 6, phases=DONE), [full_stream()])
    use(fake)
    assert runner.invoke(app, ["import", "K8vZ917zzzz"]).exit_code == 0
    assert all(r.url.path != "/api/search" for r in fake.requests)


def test_ambiguous_name_lists_the_choices_and_exits_2(use: Callable[[FakeGateway], None]) -> None:
    fake = FakeGateway(status("completed", 0), [])
    use(fake)
    result = runner.invoke(app, ["import", "wave"])
    assert result.exit_code == 2
    assert "The Waves Tribute" in result.output and "K8vZ917cccc" in result.output
    assert "none exactly" in result.output
    assert all(r.url.path != "/api/artists/import" for r in fake.requests)


def test_failed_import_shows_the_reason_and_exits_1(use: Callable[[FakeGateway], None]) -> None:
    failed = phases(
        {"state": "completed", "done": 15, "total": 15, "duration": 1.0, "counts": {"shows": 15}},
        {"state": "failed", "error": "Spotify asked us to wait 2 h, more than the 60 s cap"},
    )
    stream = [
        sse("status", status("running", 0)),
        sse(
            "PhaseFailed",
            envelope("PhaseFailed", {"phase": "catalog", "error": "Spotify asked us to wait"}),
            1,
        ),
        sse("ImportFinished", envelope("ImportFinished", {"outcome": "failed", "phases": {}}), 2),
    ]
    use(
        FakeGateway(
            status("failed", 2, phases=failed, message="catalog failed: Spotify asked us to wait"), [stream]
        )
    )
    result = runner.invoke(app, ["import", "K8vZ917bbbb"])
    assert result.exit_code == 1
    assert "import failed" in result.output
    assert "more than the 60 s cap" in result.output


def test_a_dropped_stream_resumes_with_last_event_id(use: Callable[[FakeGateway], None]) -> None:
    events = full_stream()
    fake = FakeGateway(
        status("completed", 6, phases=DONE),
        [events[:3], httpx.ReadError("connection reset"), [sse("status", status("running", 2)), *events[3:]]],
    )
    use(fake)
    result = runner.invoke(app, ["import", "K8vZ917bbbb"])
    assert result.exit_code == 0, result.output
    streams = [r for r in fake.requests if r.url.path.endswith("/stream")]
    assert len(streams) == 3
    assert "last-event-id" not in streams[0].headers
    assert streams[1].headers["last-event-id"] == "2" and streams[2].headers["last-event-id"] == "2"


def test_status_of_an_imported_artist(use: Callable[[FakeGateway], None]) -> None:
    use(FakeGateway(status("completed", 6, phases=DONE), []))
    result = runner.invoke(app, ["status", "the-waves"])
    assert result.exit_code == 0, result.output
    assert "10 upcoming shows" in result.output and "completed" in result.output


def test_status_of_an_artist_never_imported(use: Callable[[FakeGateway], None]) -> None:
    use(FakeGateway(status("completed", 0), []))
    result = runner.invoke(app, ["status", "Waves of Sound"])
    assert result.exit_code == 1
    assert "has not been imported yet: run `mysetlist import K8vZ917cccc`" in result.output


def test_search_lists_artists(use: Callable[[FakeGateway], None]) -> None:
    use(FakeGateway(status("completed", 0), []))
    result = runner.invoke(app, ["search", "waves"])
    assert result.exit_code == 0
    assert "The Waves Tribute" in result.output and "the-waves" in result.output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "zzz"], "error: no artist matches 'zzz'"),
        (["search", " "], "error: GET /api/search: 422 q must not be empty"),
        (["status", "nobody-here"], "error: no artist matches 'nobody-here'"),
    ],
)
def test_errors_are_one_line_and_non_zero(
    use: Callable[[FakeGateway], None], argv: list[str], message: str
) -> None:
    use(FakeGateway(status("completed", 0), []))
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_unreadable_status_is_one_clear_line(use: Callable[[FakeGateway], None]) -> None:
    use(FakeGateway({"stage": "halfway"}, []))
    result = runner.invoke(app, ["status", "the-waves"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the gateway sent an import status the CLI cannot read: ")
    assert len(result.output.strip().splitlines()) == 1


def test_unreachable_gateway_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nobody listens there
    monkeypatch.setenv("MYSETLIST_URL", f"http://127.0.0.1:{port}")
    result = runner.invoke(app, ["search", "waves"])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"error: gateway unreachable at http://127.0.0.1:{port} (ConnectError); is the stack up?"
    )


def test_parse_sse_joins_data_lines_and_skips_comments() -> None:
    lines: Iterator[str] = iter(
        ["retry: 2000", "", ": heartbeat", "", "id: 3", "event: X", 'data: {"a":', "data: 1}", ""]
    )
    events = list(parse_sse(lines))
    assert [(e.event, e.data, e.id) for e in events] == [("X", {"a": 1}, 3)]
