"""A client may hold SSE_STREAMS_PER_CLIENT open streams, on the progress service and through the gateway;
one more is 429 with Retry-After (counted), and a closed stream gives its slot back."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from prometheus_client import REGISTRY

from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

SLOTS = 2


@pytest.fixture(scope="module")
async def urls(stack_env: dict[str, str]) -> AsyncIterator[tuple[str, str]]:
    from mysetlist_common.settings import get_settings
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSE_STREAMS_PER_CLIENT", str(SLOTS))
        # the gateway's relayed streams count as the browser's own at the progress service
        mp.setenv("TRUSTED_PROXIES", "127.0.0.1")
        get_settings.cache_clear()
        async with running_app(progress_app()) as progress:
            mp.setenv("PROGRESS_BASE_URL", progress)
            get_settings.cache_clear()
            async with running_app(gateway_app()) as gateway:
                yield gateway, progress
    get_settings.cache_clear()


def _limited() -> float:
    return REGISTRY.get_sample_value("mysetlist_client_limited_total", {"limit": "sse_streams"}) or 0.0


async def _open(stack: AsyncExitStack, client: httpx.AsyncClient, url: str) -> httpx.Response:
    return await stack.enter_async_context(client.stream("GET", url))


async def _eventually_open(client: httpx.AsyncClient, url: str) -> int:
    """The server frees a slot once it notices the disconnect: ask until it has (bounded)."""
    for _ in range(100):
        async with client.stream("GET", url) as response:
            if response.status_code != 429:
                return response.status_code
        await asyncio.sleep(0.2)
    return 429


@pytest.mark.parametrize("via", ["progress", "gateway"])
async def test_one_stream_too_many_is_429_and_a_closed_one_frees_its_slot(
    urls: tuple[str, str], via: str
) -> None:
    gateway, progress = urls
    async with httpx.AsyncClient(timeout=30) as client:
        accepted = await client.post(
            f"{gateway}/api/artists/import", json={"tmAttractionId": f"K8vSlots{via}"}
        )
        # nothing runs the phases here: the import stays pending and its streams stay open
        url = f"{gateway if via == 'gateway' else progress}/api/artists/{accepted.json()['artistId']}/stream"
        before = _limited()
        async with AsyncExitStack() as held:
            streams = [await _open(held, client, url) for _ in range(SLOTS)]
            assert [s.status_code for s in streams] == [200] * SLOTS
            async with client.stream("GET", url) as refused:
                assert refused.status_code == 429, refused.headers  # before reading: a stream never ends
                body = json.loads(await refused.aread())
            assert body["detail"] == f"too many open streams: at most {SLOTS} per client"
            assert int(refused.headers["retry-after"]) >= 1
            assert _limited() >= before + 1
        assert await _eventually_open(client, url) == 200
