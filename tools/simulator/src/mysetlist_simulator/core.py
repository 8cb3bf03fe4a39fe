"""Shared machinery of every simulated upstream: JSON responses, stats, latency, faults."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .catalog import Catalog
from .config import FAULT_KINDS, UPSTREAMS, SimConfig
from .limits import DailyQuota, PenaltyBox, SlidingWindow
from .population import population_of


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def int_param(request: Request, name: str) -> tuple[str | None, int | None]:
    """A query parameter as sent and as a whole number: (None, None) when it is absent, (raw, None) when
    it is not a whole number. Each API answers a bad one in its own words."""
    raw = request.query_params.get(name)
    if raw is None:
        return None, None
    try:
        return raw, int(raw)
    except ValueError:
        return raw, None


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.data: dict[str, dict[str, Any]] = {
            upstream: {
                "requests": 0,
                "rate_limited": 0,
                "faults": 0,
                "faults_by_kind": dict.fromkeys(FAULT_KINDS, 0),
                "status": {},
                "endpoints": {},
            }
            for upstream in UPSTREAMS
        }

    def request(self, upstream: str, endpoint: str) -> None:
        entry = self.data[upstream]
        entry["requests"] += 1
        entry["endpoints"][endpoint] = entry["endpoints"].get(endpoint, 0) + 1

    def status(self, upstream: str, status: int) -> None:
        counts = self.data[upstream]["status"]
        counts[str(status)] = counts.get(str(status), 0) + 1

    def fault(self, upstream: str, kind: str) -> None:
        self.data[upstream]["faults"] += 1
        self.data[upstream]["faults_by_kind"][kind] += 1


class Sim:
    """The state of one simulator instance, shared by all endpoints."""

    def __init__(self, config: SimConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.catalog = catalog or Catalog(config.seed)
        self.population = population_of(self.catalog)
        self.stats = Stats()
        self.rng = random.Random(config.seed)
        self.windows = SlidingWindow()
        self.quota = DailyQuota()
        self.penalty = PenaltyBox()
        self.caches: dict[str, Any] = {}  # per-upstream renderers, built on first use
        self.tokens: dict[str, float] = {}  # Spotify access token -> expiry (monotonic seconds)

    def reset(self) -> None:
        """Fresh counters and rate-limit state (used between benchmark runs and tests)."""
        self.stats.reset()
        self.windows.reset()
        self.quota.reset()
        self.penalty.reset()

    async def delay(self, upstream: str) -> None:
        latency = self.config.latency_ms[upstream] + self.rng.uniform(0, self.config.jitter_ms[upstream])
        if latency > 0:
            await asyncio.sleep(latency / 1000)

    def draw_fault(self) -> str | None:
        rates = self.config.fault_rates
        if not any(rates.values()):
            return None
        roll = self.rng.random()
        for kind in FAULT_KINDS:
            roll -= rates[kind]
            if roll < 0:
                return kind
        return None


@dataclass(slots=True)
class Verdict:
    """What an upstream's auth and limit check decided about one request."""

    reject: Response | None = None
    rate_limited: bool = False  # the rejection is a rate limit (counted in stats)
    headers: dict[str, str] = field(default_factory=dict)  # added to whatever answer goes out


ADMIT = Verdict()
Handler = Callable[[Sim, Request], Awaitable[Response]]
Check = Callable[[Sim, Request], Verdict]

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Temporarily Unavailable</title></head><body>"
    b"<h1>We'll be right back</h1><p>The service is undergoing maintenance.</p></body></html>"
)


def upstream_route(
    path: str,
    upstream: str,
    endpoint: str,
    handler: Handler,
    check: Check,
    error_body: Callable[[int], Any],
    methods: tuple[str, ...] = ("GET",),
) -> Route:
    """One upstream endpoint: count it, apply auth and limits, wait the latency, maybe inject a fault.

    Limits are applied as a request arrives, as the real APIs' gateways do (a spike arrest sits in front of
    the backend): the latency after it is the backend's, and never bunches arrivals together."""

    async def serve(request: Request) -> Response:
        sim: Sim = request.app.state.sim
        sim.stats.request(upstream, endpoint)
        # Population members are generated the first time a request names one of their ids.
        sim.population.reveal_text(f"{request.url.path} {request.url.query}", sim.config.population)
        verdict = check(sim, request)
        await sim.delay(upstream)
        if verdict.reject is None:
            response = await _with_fault(sim, request, upstream, handler, error_body)
        else:
            response = verdict.reject
            if verdict.rate_limited:
                sim.stats.data[upstream]["rate_limited"] += 1
        response.headers.update(verdict.headers)
        sim.stats.status(upstream, response.status_code)
        return response

    return Route(path, serve, methods=list(methods), name=f"{upstream}:{endpoint}")


async def _with_fault(
    sim: Sim, request: Request, upstream: str, handler: Handler, error_body: Callable[[int], Any]
) -> Response:
    kind = sim.draw_fault()
    if kind is None:
        return await handler(sim, request)
    sim.stats.fault(upstream, kind)
    if kind == "timeout":  # hold the request past any sane client timeout
        await asyncio.sleep(sim.config.timeout_fault_s)
        return json_response(error_body(504), 504)
    if kind == "html":  # an error page served as 200 text/html by a proxy in front of the API
        return Response(HTML_PAGE, 200, media_type="text/html")
    if kind == "truncated":  # the real answer, cut off mid-document
        real = await handler(sim, request)
        return Response(
            bytes(real.body)[: max(1, len(real.body) // 2)], real.status_code, media_type="application/json"
        )
    status = int(kind)
    return json_response(error_body(status), status)
