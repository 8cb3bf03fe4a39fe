"""Ticketmaster Discovery API v2 endpoints: events, attraction, attraction search, behind the API key,
the spike arrest and the daily quota. The JSON shapes are in ticketmaster_json.py."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import Sim, Verdict, int_param, json_response, upstream_route
from .limits import clock, per_second
from .model import Event
from .ticketmaster_json import DATE_FORMAT, PREFIX, renderer
from .words import normalise

DEEP_PAGING_LIMIT = 1000


def fault(status: int, errorcode: str, text: str) -> dict[str, Any]:
    return {"fault": {"faultstring": text, "detail": {"errorcode": errorcode}}}


def api_error(status: int, code: str, detail: str) -> Response:
    body = {
        "errors": [
            {
                "code": code,
                "detail": detail,
                "status": str(status),
                "_links": {"about": {"href": f"{PREFIX}/errors.html#{code}"}},
            }
        ]
    }
    return json_response(body, status)


def error_body(status: int) -> dict[str, Any]:
    return fault(
        status,
        "messaging.adaptors.http.flow.ServiceUnavailable",
        f"The Service is temporarily unavailable ({status})",
    )


# --- auth and limits ---------------------------------------------------------------------------
def check(sim: Sim, request: Request) -> Verdict:
    key = request.query_params.get("apikey")
    if not key:
        body = fault(
            401,
            "steps.oauth.v2.FailedToResolveAPIKey",
            "Failed to resolve API Key variable request.queryparam.apikey",
        )
        return Verdict(json_response(body, 401))
    if key != sim.config.ticketmaster_api_key:
        return Verdict(json_response(fault(401, "oauth.v2.InvalidApiKey", "Invalid ApiKey"), 401))
    limits = sim.config.rate_limits
    count, window = per_second(limits["ticketmaster_per_s"], sim.config.rate_window_tolerance_ms / 1000)
    accepted, _ = sim.windows.admit(f"tm:{key}", count, window, clock())
    daily = int(limits["ticketmaster_daily"])
    if not accepted:
        text = (
            f"Spike arrest violation. Allowed rate : MessageRate{{messagesPerPeriod={count}, "
            f"periodInMicroseconds=1000000, maxBurstMessageCount=1.0}}"
        )
        body = fault(429, "policies.ratelimit.SpikeArrestViolation", text)
        return Verdict(json_response(body, 429), rate_limited=True)
    period = sim.config.ticketmaster_quota_period_s
    ok, available, reset_at = sim.quota.take(f"tm:{key}", daily, time.time(), period)
    headers = {
        "Rate-Limit": str(daily),
        "Rate-Limit-Available": str(available),
        "Rate-Limit-Over": "0" if ok else "1",
        "Rate-Limit-Reset": str(int(reset_at * 1000)),
    }
    if not ok:
        text = f"Rate limit quota violation. Quota limit  exceeded. Identifier : {key}"
        body = fault(429, "policies.ratelimit.QuotaViolation", text)
        return Verdict(json_response(body, 429), rate_limited=True, headers=headers)
    return Verdict(headers=headers)


# --- endpoints -------------------------------------------------------------------------------
def _int(request: Request, name: str, default: int) -> int | Response:
    raw, value = int_param(request, name)
    if raw is None:
        return default
    if value is None:
        return api_error(400, "DIS1013", f"Query param '{name}' must be an integer, got '{raw}'")
    if value < 0:
        return api_error(400, "DIS1013", f"Query param '{name}' must not be negative")
    return value


def _date(raw: str | None) -> float | Response | None:
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, DATE_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return api_error(
            400,
            "DIS1015",
            f"Query param with date must be of valid format YYYY-MM-DDTHH:mm:ssZ "
            f"{{example: 2026-12-08T15:34:00Z}}, got '{raw}'",
        )


def _links(request: Request, path: str, page: int, pages: int) -> dict[str, Any]:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("apikey", "page")]

    def href(number: int) -> dict[str, str]:
        return {"href": f"{path}?{urlencode([*params, ('page', str(number))], safe=',')}"}

    links = {"first": href(0), "self": href(page)}
    if page > 0:
        links["prev"] = href(min(page - 1, max(pages - 1, 0)))
    if page + 1 < pages:
        links["next"] = href(page + 1)
    links["last"] = href(max(pages - 1, 0))
    return links


def _paged(
    request: Request, kind: str, total: int, chunk: list[bytes], size: int, page: int, path: str
) -> Response:
    pages = math.ceil(total / size) if size else 0
    parts = [b"{"]
    if chunk:  # an empty result has no _embedded key at all
        parts += [b'"_embedded":{"', kind.encode(), b'":[', b",".join(chunk), b"]},"]
    page_body = {"size": size, "totalElements": total, "totalPages": pages, "number": page}
    parts += [
        b'"_links":',
        orjson.dumps(_links(request, path, page, pages)),
        b',"page":',
        orjson.dumps(page_body),
        b"}",
    ]
    return Response(b"".join(parts), media_type="application/json")


def _page_params(sim: Sim, request: Request, default_size: int) -> tuple[int, int] | Response:
    size = _int(request, "size", default_size)
    if isinstance(size, Response):
        return size
    page = _int(request, "page", 0)
    if isinstance(page, Response):
        return page
    size = min(size, sim.config.ticketmaster_max_page_size)
    if size * page >= DEEP_PAGING_LIMIT:
        return api_error(
            400,
            "DIS1035",
            "API Limits Exceeded: Max paging depth exceeded. (page * size) must be less than 1,000",
        )
    return size, page


async def events(sim: Sim, request: Request) -> Response:
    q = request.query_params
    paging = _page_params(sim, request, 20)
    if isinstance(paging, Response):
        return paging
    size, page = paging
    start, end = _date(q.get("startDateTime")), _date(q.get("endDateTime"))
    if isinstance(start, Response):
        return start
    if isinstance(end, Response):
        return end
    dated = start is not None or end is not None
    # Sending a date silently drops TBA/TBD events unless they are asked for explicitly.
    tba = q.get("includeTBA", "no" if dated else "yes").lower()
    tbd = q.get("includeTBD", "no" if dated else "yes").lower()
    catalog = sim.catalog
    ids = [i for i in q.get("attractionId", "").split(",") if i]
    if not ids:
        pool = catalog.events_sorted
    elif len(ids) == 1:  # the common case: one artist's events, kept sorted by the catalog
        pool = catalog.events_by_attraction.get(ids[0], [])
    else:
        merged = {e.id: e for i in ids for e in catalog.events_by_attraction.get(i, [])}
        pool = sorted(merged.values(), key=lambda e: (e.sort_key, e.id))
    lo = start if start is not None else -math.inf
    hi = end if end is not None else math.inf
    only = "only" in (tba, tbd)

    def keep(e: Event) -> bool:
        if e.date_tba:
            return tba != "no"
        if e.date_tbd:
            return tbd != "no"
        return not only and lo <= e.sort_key <= hi

    chosen = [e for e in pool if keep(e)]
    if q.get("sort", "date,asc").lower() == "date,desc":
        chosen.reverse()
    render = renderer(sim)
    chunk = [render.event(e) for e in chosen[page * size : (page + 1) * size]]
    return _paged(request, "events", len(chosen), chunk, size, page, f"{PREFIX}/events")


async def attraction(sim: Sim, request: Request) -> Response:
    tm_attraction_id = request.path_params["id"]
    body = renderer(sim).attractions.get(tm_attraction_id)
    if body is None:
        return api_error(
            404, "DIS1004", f"Resource not found with provided criteria (locale=en-us, id={tm_attraction_id})"
        )
    return Response(body, media_type="application/json")


async def attractions(sim: Sim, request: Request) -> Response:
    paging = _page_params(sim, request, 20)
    if isinstance(paging, Response):
        return paging
    size, page = paging
    wanted = normalise(request.query_params.get("keyword", ""))
    n = sim.config.population
    names = {a.id: a.name for a in sim.catalog.attractions.values() if not sim.population.hidden(a.id, n)}
    for member in sim.population.visible(n):  # not generated yet: names suffice
        names.setdefault(member.tm_attraction_id, member.name)
        names.update((i, name) for i, name in member.support if i not in names)
    found = [(i, name) for i, name in names.items() if wanted in normalise(name)]
    found.sort(key=lambda a: (normalise(a[1]) != wanted, a[1]))  # exact matches first
    shown = [i for i, _ in found[page * size : (page + 1) * size]]
    sim.population.reveal(shown, n)
    bodies = renderer(sim).attractions
    chunk = [bodies[i] for i in shown]
    return _paged(request, "attractions", len(found), chunk, size, page, f"{PREFIX}/attractions")


def routes() -> list[Route]:
    def route(path: str, name: str, handler: Any) -> Route:
        return upstream_route(path, "ticketmaster", name, handler, check, error_body)

    return [
        route(f"{PREFIX}/events.json", "events", events),
        route(f"{PREFIX}/events", "events", events),
        route(f"{PREFIX}/attractions.json", "attractions", attractions),
        route(f"{PREFIX}/attractions", "attractions", attractions),
        route(PREFIX + "/attractions/{id}.json", "attraction", attraction),
        route(PREFIX + "/attractions/{id}", "attraction", attraction),
    ]
