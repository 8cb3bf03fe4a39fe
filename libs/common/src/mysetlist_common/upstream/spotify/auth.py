"""Spotify's client-credentials token, cached per process and client id until shortly before it expires
(an `httpx.Auth`, so a 401 on an expired token refreshes it once and repeats the request)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncGenerator, Generator

import httpx

from mysetlist_common.upstream.http.errors import UpstreamError

UPSTREAM = "spotify"
TOKEN_MARGIN_S = 60.0


class _Token:
    def __init__(self) -> None:
        self.value: str | None = None
        self.expires_at = 0.0
        self.lock = asyncio.Lock()


_TOKENS: dict[tuple[str, str], _Token] = {}


class SpotifyAuth(httpx.Auth):
    """Bearer token from the client-credentials flow, cached per process and client id."""

    def __init__(self, http: httpx.AsyncClient, accounts_url: str, client_id: str, secret: str) -> None:
        self._http = http
        self._url = accounts_url.rstrip("/") + "/token"
        self._basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._token = _TOKENS.setdefault((self._url, client_id), _Token())

    async def _bearer(self, stale: str | None = None) -> str:
        async with self._token.lock:
            token = self._token
            if token.value is None or token.value == stale or time.monotonic() >= token.expires_at:
                response = await self._http.post(
                    self._url,
                    data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {self._basic}"},
                )
                if response.status_code != 200:
                    raise UpstreamError(
                        f"spotify: token request rejected with {response.status_code}",
                        upstream=UPSTREAM,
                        status=response.status_code,
                        retryable=response.status_code >= 500 or response.status_code == 429,
                    )
                try:
                    body = response.json()
                    token.value = str(body["access_token"])
                    ttl = float(body.get("expires_in") or 3600)
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    raise UpstreamError(
                        "spotify: the token answer holds no access token", upstream=UPSTREAM, retryable=True
                    ) from exc
                token.expires_at = time.monotonic() + max(ttl - TOKEN_MARGIN_S, ttl / 2)
            assert token.value is not None
            return token.value

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("SpotifyAuth needs an httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        bearer = await self._bearer()
        request.headers["Authorization"] = f"Bearer {bearer}"
        response = yield request
        if response.status_code == 401:  # expired or revoked early: one fresh token, one more try
            request.headers["Authorization"] = f"Bearer {await self._bearer(stale=bearer)}"
            yield request
