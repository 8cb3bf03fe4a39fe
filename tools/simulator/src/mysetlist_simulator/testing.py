"""Helpers for driving a simulator from tests, in-process or over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from .config import DEFAULTS

TM_KEY = str(DEFAULTS["ticketmaster_api_key"])
# No latency and no rate limits (0 disables a per-second or per-30 s limit); tests turn on what they test.
FAST: dict[str, Any] = {
    "latency_ms": {"ticketmaster": 0, "spotify": 0, "musicbrainz": 0},
    "jitter_ms": {"ticketmaster": 0, "spotify": 0, "musicbrainz": 0},
    "rate_limits": {"ticketmaster_per_s": 0, "spotify_per_30s": 0, "musicbrainz_per_s": 0},
}


def pick(artists: list[dict[str, Any]], profile: str, **where: Any) -> dict[str, Any]:
    """The first artist of a profile whose fields equal `where`."""
    return next(a for a in artists if a["profile"] == profile and all(a[k] == v for k, v in where.items()))


async def configure(sim: httpx.AsyncClient, **partial: Any) -> dict[str, Any]:
    response = await sim.post("/_sim/config", json=partial)
    response.raise_for_status()
    return dict(response.json())


async def spotify_headers(sim: httpx.AsyncClient) -> dict[str, str]:
    response = await sim.post(
        "/api/token",
        data={"grant_type": "client_credentials"},
        auth=(str(DEFAULTS["spotify_client_id"]), str(DEFAULTS["spotify_client_secret"])),
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def tm_events(sim: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await sim.get("/discovery/v2/events.json", params={"apikey": TM_KEY, **params})


def with_key(href: str) -> str:
    """A relative Ticketmaster link with the API key added back (links never carry it)."""
    return f"{href}&apikey={TM_KEY}" if "?" in href else f"{href}?apikey={TM_KEY}"


async def tm_walk(sim: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every event of a query, following the relative `next` links (adding the key back)."""
    response = await tm_events(sim, size=200, **params)
    events: list[dict[str, Any]] = []
    while True:
        response.raise_for_status()
        body = response.json()
        events += body.get("_embedded", {}).get("events", [])
        nxt = body["_links"].get("next")
        if not nxt:
            return events
        response = await sim.get(with_key(nxt["href"]))
