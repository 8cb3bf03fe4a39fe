"""The gateway relays the progress stream: unbuffered, with Last-Event-ID passed on, and it lets go of the
upstream as soon as the browser goes away. A stand-in progress service (a real HTTP server) records what
it was asked and when its stream was closed; the real progress service is in tests/e2e."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from mysetlist_common.web.sse import read_sse
from mysetlist_devtools.testing import running_app

pytestmark = pytest.mark.real


class StandInProgress:
    def __init__(self) -> None:
        self.app = FastAPI()
        self.seen: list[dict[str, Any]] = []
        self.closed = asyncio.Event()

        @self.app.get("/api/artists/{artist_id}/stream")
        async def stream(artist_id: str, request: Request) -> Any:
            self.seen.append({"last_event_id": request.headers.get("last-event-id"), **request.query_params})
            if artist_id.startswith("00000000"):
                return JSONResponse({"detail": "unknown artist"}, 404)

            async def events() -> AsyncIterator[str]:
                try:
                    yield 'event: status\ndata: {"stage": "running"}\n\n'
                    yield 'id: 7\nevent: PhaseStarted\ndata: {"payload": {"phase": "shows"}}\n\n'
                    await asyncio.sleep(3600)  # an import that goes quiet: the stream stays open
                finally:
                    self.closed.set()

            return StreamingResponse(events(), media_type="text/event-stream")

        @self.app.get("/api/artists/{artist_id}/status")
        async def status(artist_id: str) -> Any:
            return JSONResponse({"stage": "running", "artistId": artist_id})


@pytest.fixture
async def proxied(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, Any]]:
    from mysetlist_common.settings import get_settings
    from mysetlist_gateway.app import create_app

    progress = StandInProgress()
    async with running_app(progress.app) as progress_url:
        monkeypatch.setenv("PROGRESS_BASE_URL", progress_url)
        get_settings.cache_clear()
        try:
            async with running_app(create_app()) as gateway_url:
                yield gateway_url, progress
        finally:
            get_settings.cache_clear()


async def test_stream_is_relayed_live_and_closed_with_the_client(proxied: tuple[str, Any]) -> None:
    gateway_url, progress = proxied
    async with (
        httpx.AsyncClient(base_url=gateway_url, timeout=10) as http,
        http.stream("GET", f"/api/artists/{uuid4()}/stream", headers={"Last-Event-ID": "6"}) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-accel-buffering"] == "no"
        events = read_sse(response)
        # both arrive while the upstream is still open (for an hour): nothing waits for the end of the
        # stream; the bounds only keep a failure from taking that hour, a busy machine needs no less
        first = await asyncio.wait_for(anext(events), 30)
        second = await asyncio.wait_for(anext(events), 30)
        assert (first.event, second.event, second.id) == ("status", "PhaseStarted", 7)
        assert not progress.closed.is_set()
    # the client went away: the gateway must close its upstream request too
    await asyncio.wait_for(progress.closed.wait(), 10)
    assert progress.seen[0]["last_event_id"] == "6"


async def test_resume_by_query_parameter_is_passed_on(proxied: tuple[str, Any]) -> None:
    gateway_url, progress = proxied
    async with (
        httpx.AsyncClient(base_url=gateway_url, timeout=10) as http,
        http.stream("GET", f"/api/artists/{uuid4()}/stream?lastEventId=3") as response,
    ):
        assert response.status_code == 200
    assert progress.seen[-1]["lastEventId"] == "3"
    assert progress.seen[-1]["last_event_id"] is None


async def test_upstream_errors_and_status_are_passed_through(proxied: tuple[str, Any]) -> None:
    gateway_url, _ = proxied
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as http:
        missing = await http.get("/api/artists/00000000-0000-0000-0000-000000000000/stream")
        assert missing.status_code == 404 and missing.json() == {"detail": "unknown artist"}
        artist_id = str(uuid4())
        status = await http.get(f"/api/artists/{artist_id}/status")
        assert status.status_code == 200 and status.json() == {"stage": "running", "artistId": artist_id}


async def test_progress_down_is_a_clear_502(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mysetlist_common.settings import get_settings
    from mysetlist_devtools.testing import free_port
    from mysetlist_gateway.app import create_app

    monkeypatch.setenv("PROGRESS_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens there
    get_settings.cache_clear()
    try:
        async with running_app(create_app()) as gateway_url, httpx.AsyncClient(base_url=gateway_url) as http:
            for tail in ("stream", "status"):
                response = await http.get(f"/api/artists/{uuid4()}/{tail}")
                assert response.status_code == 502
                assert response.json() == {"detail": "progress service unreachable"}
    finally:
        get_settings.cache_clear()
