"""Hostile clients meet the gateway's guards: an oversized body is 413, a client past its kickoffs of the
minute is 429 with Retry-After (counted), X-Forwarded-For counts only from a trusted proxy, CORS only for
configured origins, security headers on every answer, and the admin token never lets a stranger in."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from mysetlist_devtools.testing import lifespan_of

pytestmark = pytest.mark.real

ADMIN_TOKEN = "guard-admin-token"
ClientFor = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def settings_env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    from mysetlist_common.settings import get_settings

    monkeypatch.setenv("ADMIN_TOKEN", ADMIN_TOKEN)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@asynccontextmanager
async def gateway(mp: pytest.MonkeyPatch, **env: str) -> AsyncIterator[tuple[FastAPI, ClientFor]]:
    """The gateway app with these settings, and clients that connect from a given peer address."""
    from mysetlist_common.settings import get_settings
    from mysetlist_gateway.app import create_app

    for key, value in env.items():
        mp.setenv(key, value)
    get_settings.cache_clear()
    app = create_app()
    async with lifespan_of(app) as manager:
        clients: list[httpx.AsyncClient] = []

        def client_from(peer: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(manager.app, client=(peer, 40000))
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://gw"))
            return clients[-1]

        try:
            yield app, client_from
        finally:
            for client in clients:
                await client.aclose()


def _limited(limit: str) -> float:
    return REGISTRY.get_sample_value("mysetlist_client_limited_total", {"limit": limit}) or 0.0


def _kickoff(client: httpx.AsyncClient, n: int, **headers: str) -> Any:
    return client.post("/api/artists/import", json={"tmAttractionId": f"K8vGuard{n}"}, headers=headers)


async def test_an_oversized_body_is_413_with_the_error_body(settings_env: pytest.MonkeyPatch) -> None:
    async with gateway(settings_env, MAX_REQUEST_BODY_BYTES="1000") as (_, client_from):
        client = client_from("10.1.0.1")
        padded = {"tmAttractionId": "K8vBig", "padding": "x" * 2000}
        declared = await client.post("/api/artists/import", json=padded)

        async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to go by
            for _ in range(20):
                yield b" " * 100

        chunked = await client.post(
            "/api/artists/import", content=chunks(), headers={"Content-Type": "application/json"}
        )
        small = await client.post("/api/artists/import", json={"tmAttractionId": "K8vSmall"})
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json() == {"detail": "request body too large: at most 1000 bytes"}
        assert response.headers["x-content-type-options"] == "nosniff"
    assert small.status_code == 200


async def test_kickoffs_past_the_clients_limit_are_429_and_counted(settings_env: pytest.MonkeyPatch) -> None:
    async with gateway(settings_env, KICKOFF_LIMIT_PER_CLIENT_PER_MIN="3") as (app, client_from):
        app.state.kickoff_limit.clock = lambda: 1000.0  # time stands still: no token comes back mid-test
        greedy, other = client_from("10.2.0.1"), client_from("10.2.0.2")
        before = _limited("kickoff")
        allowed = [(await _kickoff(greedy, n)).status_code for n in range(3)]
        refused = await _kickoff(greedy, 3)
        assert allowed == [200, 200, 200]
        assert refused.status_code == 429
        assert refused.json()["detail"] == "too many requests: at most 3 per minute"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert _limited("kickoff") == before + 1
        assert (await _kickoff(other, 4)).status_code == 200, "another client has its own budget"
        app.state.kickoff_limit.clock = lambda: 1020.0  # a third of a minute later: one kickoff back
        assert (await _kickoff(greedy, 5)).status_code == 200
        assert (await _kickoff(greedy, 6)).status_code == 429


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    settings_env: pytest.MonkeyPatch,
) -> None:
    async with gateway(settings_env, KICKOFF_LIMIT_PER_CLIENT_PER_MIN="1") as (app, client_from):
        app.state.kickoff_limit.clock = lambda: 1000.0
        direct = client_from("10.3.0.1")
        assert (await _kickoff(direct, 10, **{"X-Forwarded-For": "192.0.2.1"})).status_code == 200
        spoofed = await _kickoff(direct, 11, **{"X-Forwarded-For": "192.0.2.2"})
        assert spoofed.status_code == 429, "a made-up X-Forwarded-For does not make a new client"

    async with gateway(settings_env, KICKOFF_LIMIT_PER_CLIENT_PER_MIN="1", TRUSTED_PROXIES="10.4.0.0/24") as (
        app,
        client_from,
    ):
        app.state.kickoff_limit.clock = lambda: 1000.0
        proxy = client_from("10.4.0.7")
        # the proxy appends the address it saw; what the client wrote before it is not believed
        first = await _kickoff(proxy, 12, **{"X-Forwarded-For": "203.0.113.9, 198.51.100.1"})
        second = await _kickoff(proxy, 13, **{"X-Forwarded-For": "198.51.100.2"})
        same_client = await _kickoff(proxy, 14, **{"X-Forwarded-For": "203.0.113.10, 198.51.100.1"})
    assert (first.status_code, second.status_code, same_client.status_code) == (200, 200, 429)


async def test_cors_only_for_configured_origins(settings_env: pytest.MonkeyPatch) -> None:
    preflight = {"Origin": "https://fans.example", "Access-Control-Request-Method": "POST"}
    async with gateway(settings_env) as (_, client_from):
        client = client_from("10.5.0.1")
        plain = await client.get("/healthz", headers={"Origin": "https://fans.example"})
        assert "access-control-allow-origin" not in plain.headers, "no origins configured: no CORS at all"
    async with gateway(settings_env, CORS_ORIGINS="https://fans.example, https://other.example") as (
        _,
        client_from,
    ):
        client = client_from("10.5.0.1")
        allowed = await client.get("/healthz", headers={"Origin": "https://fans.example"})
        stranger = await client.get("/healthz", headers={"Origin": "https://evil.example"})
        options = await client.options("/api/artists/import", headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == "https://fans.example"
    assert "access-control-allow-origin" not in stranger.headers
    assert options.status_code == 200 and "POST" in options.headers["access-control-allow-methods"]


async def test_security_headers_on_the_page_and_the_api(settings_env: pytest.MonkeyPatch) -> None:
    async with gateway(settings_env) as (_, client_from):
        client = client_from("10.6.0.1")
        answers = [
            await client.get("/"),
            await client.get("/artists/someone"),
            await client.get("/static/app.js"),
            await client.get("/api/search"),  # 422
            await client.get("/api/nothing"),  # 404
            await client.get("/openapi.json"),
        ]
        docs = await client.get("/docs")
    for response in answers:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", response.url
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp, "the page needs no inline script or style"
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"], "Swagger UI still loads"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong",
        f"Basic {ADMIN_TOKEN}",
        f"Bearer {ADMIN_TOKEN}x",
        "Bearer tökén".encode(),
        ADMIN_TOKEN,
    ],
)
async def test_the_admin_api_lets_no_stranger_in(
    settings_env: pytest.MonkeyPatch, authorization: str | bytes | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with gateway(settings_env) as (_, client_from):
        client = client_from("10.7.0.1")
        response = await client.post(
            "/api/admin/artists/00000000-0000-0000-0000-000000000000/reimport", headers=headers
        )
        allowed = await client.post(
            "/api/admin/artists/00000000-0000-0000-0000-000000000000/reimport",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert ADMIN_TOKEN not in response.text
    assert allowed.status_code == 404, "the right token gets through (to an unknown artist)"
