"""PostgreSQL unreachable: the gateway and the progress service answer a JSON 503 with Retry-After at once
(never a plain-text 500, never a hang), /readyz says unready, /healthz stays alive.

Two outages: a port nothing listens on (refused), and a port that accepts and then says nothing (a
server gone silent), which only a bounded connect attempt (DATABASE_CONNECT_TIMEOUT_S) turns into a 503.
"""

import asyncio
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from uuid import uuid4

import httpx
import pytest

from mysetlist_devtools.testing import free_port, running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

# generous: a request must come back well before asyncpg's own 60 s connect timeout, however busy the box
CLIENT_TIMEOUT_S = 40


def _on_port(url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(
        parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{port}")
    )


@pytest.fixture(scope="module")
async def silent_port() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers them."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    for writer in held:
        writer.close()


@pytest.fixture(scope="module", params=["refused", "silent"])
def outage_env(request: pytest.FixtureRequest, stack_env: dict[str, str], silent_port: int) -> Iterator[str]:
    from mysetlist_common.db.session import get_engine
    from mysetlist_common.settings import get_settings

    port = free_port() if request.param == "refused" else silent_port
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", _on_port(stack_env["DATABASE_URL"], port))
        mp.setenv("DATABASE_CONNECT_TIMEOUT_S", "0.5")
        get_settings.cache_clear()
        get_engine.cache_clear()
        yield str(request.param)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="module")
async def urls(outage_env: str) -> AsyncIterator[tuple[str, str]]:
    from mysetlist_common.settings import get_settings
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    async with running_app(progress_app()) as progress:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PROGRESS_BASE_URL", progress)
            get_settings.cache_clear()
            async with running_app(gateway_app()) as gateway:
                yield gateway, progress


def _is_retryable_json_503(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"] == "application/json"
        and isinstance(response.json().get("detail"), str)
        and int(response.headers["retry-after"]) > 0
    )


async def test_gateway_kickoff_and_reads_answer_503_with_retry_after(urls: tuple[str, str]) -> None:
    gateway, _ = urls
    artist = uuid4()
    async with httpx.AsyncClient(base_url=gateway, timeout=CLIENT_TIMEOUT_S) as client:
        answers = [
            await client.post("/api/artists/import", json={"tmAttractionId": "K8vOutage"}),
            await client.get(f"/api/artists/{artist}"),
            await client.get(f"/api/artists/{artist}/shows"),
            await client.get("/api/artists/by-slug/someone"),
            await client.get(f"/api/artists/{artist}/status"),  # relayed from progress
        ]
    for response in answers:
        assert _is_retryable_json_503(response), (response.request.url, response.status_code, response.text)


async def test_progress_status_and_stream_answer_503_with_retry_after(urls: tuple[str, str]) -> None:
    _, progress = urls
    artist = uuid4()
    async with httpx.AsyncClient(base_url=progress, timeout=CLIENT_TIMEOUT_S) as client:
        answers = [
            await client.get(f"/api/artists/{artist}/status"),
            await client.get(f"/api/artists/{artist}/stream"),
        ]
    for response in answers:
        assert _is_retryable_json_503(response), (response.request.url, response.status_code, response.text)


async def test_readiness_fails_and_liveness_holds(urls: tuple[str, str]) -> None:
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as client:
        for base in urls:
            ready = await client.get(f"{base}/readyz")
            assert ready.status_code == 503 and ready.json()["status"] == "unready", ready.text
            alive = await client.get(f"{base}/healthz")
            assert alive.status_code == 200
