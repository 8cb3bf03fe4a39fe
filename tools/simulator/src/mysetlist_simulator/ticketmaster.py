"""Ticketmaster Discovery API v2: events, attraction, attraction search (shapes as recorded for real)."""

from __future__ import annotations

import hashlib
import math
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import Sim, Verdict, json_response, upstream_route
from .limits import clock, per_second
from .model import Attraction, Event, Venue
from .words import normalise

PREFIX = "/discovery/v2"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
DEEP_PAGING_LIMIT = 1000
CLASSIFICATION = {
    "primary": True,
    "segment": {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"},
    "genre": {"id": "KnvZfZ7vAeA", "name": "Rock"},
    "subGenre": {"id": "KZazBEonSMnZfZ7v6dt", "name": "Alternative Rock"},
    "type": {"id": "KZAyXgnZfZ7v7nI", "name": "Undefined"},
    "subType": {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Undefined"},
    "family": False,
}


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


# --- rendering -------------------------------------------------------------------------------
def images(key: str, fallback: bool) -> list[dict[str, Any]]:
    digest = hashlib.md5(key.encode()).hexdigest()
    sizes = (
        ("16_9", "RETINA_PORTRAIT_16_9", 640, 360),
        ("3_2", "ARTIST_PAGE_3_2", 305, 203),
        ("4_3", "CUSTOM", 305, 225),
        ("16_9", "TABLET_LANDSCAPE_LARGE_16_9", 2048, 1152),
    )
    return [
        {
            "ratio": ratio,
            "url": f"https://s1.ticketm.net/dam/a/{digest[:3]}/{digest}_{label}.jpg",
            "width": width,
            "height": height,
            "fallback": fallback,
        }
        for ratio, label, width, height in sizes
    ]


def slug(text: str) -> str:
    return normalise(text).replace(" ", "-") or "artist"


def attraction_json(a: Attraction, upcoming: int) -> dict[str, Any]:
    handle = slug(a.name).replace("-", "")
    links: dict[str, list[dict[str, str]]] = {
        "youtube": [{"url": f"https://www.youtube.com/user/{handle}"}],
        "twitter": [{"url": f"https://twitter.com/{handle}"}],
        "itunes": [{"url": f"https://music.apple.com/us/artist/{handle}"}],
        "lastfm": [{"url": f"http://www.last.fm/music/{handle}"}],
        "facebook": [{"url": f"https://www.facebook.com/{handle}"}],
        "wiki": [{"url": f"https://en.wikipedia.org/wiki/{handle}"}],
        "instagram": [{"url": f"https://www.instagram.com/{handle}/"}],
        "homepage": [{"url": f"https://www.{handle}.com/"}],
    }
    if a.spotify_id:
        links["spotify"] = [{"url": f"https://open.spotify.com/artist/{a.spotify_id}"}]
    if a.mbid:
        links["musicbrainz"] = [{"id": a.mbid}]
    return {
        "name": a.name,
        "type": "attraction",
        "id": a.id,
        "test": False,
        "url": f"https://www.ticketmaster.com/{slug(a.name)}-tickets/artist/{a.id}",
        "locale": "en-us",
        "externalLinks": links,
        "images": images(a.id, False),
        "classifications": [{**CLASSIFICATION, "genre": {"id": "KnvZfZ7vAeA", "name": a.genre}}],
        "upcomingEvents": {
            "_total": upcoming,
            "tmr": 0,
            "ticketmaster": upcoming,
            "ticketweb": 0,
            "mfx-cz": 0,
            "mfx-fi": 0,
            "mfx-pl": 0,
            "_filtered": 0,
        },
        "_links": {"self": {"href": f"{PREFIX}/attractions/{a.id}?locale=en-us"}},
    }


def venue_json(v: Venue) -> dict[str, Any]:
    city = v.city
    body: dict[str, Any] = {
        "name": v.name,
        "type": "venue",
        "id": v.id,
        "test": False,
        "url": f"https://www.ticketmaster.com/{slug(v.name)}-tickets-{slug(city.name)}/venue/{v.id}",
        "locale": "en-us",
        "aliases": [v.name.lower()],
        "images": images(v.id, False),
        "postalCode": v.postal_code,
        "timezone": city.timezone,
        "city": {"name": city.name},
        "country": {"name": city.country_name, "countryCode": city.country_code},
        "address": {"line1": v.address},
        "location": {"longitude": v.longitude, "latitude": v.latitude},
        "markets": [{"name": city.market, "id": city.market_id}],
        "dmas": [{"id": int(city.market_id) + 200}],
        "boxOfficeInfo": {
            "phoneNumberDetail": "Box office: +1 555 0100",
            "openHoursDetail": "Opens two hours before doors on show days.",
            "acceptedPaymentDetail": "Cards and mobile payments.",
            "willCallDetail": "Bring a photo ID.",
        },
        "parkingDetail": "Street parking nearby.",
        "accessibleSeatingDetail": "Accessible seating on every level.",
        "generalInfo": {"generalRule": "No re-entry.", "childRule": "All ages with an adult."},
        "social": {"twitter": {"handle": "@" + slug(v.name).replace("-", "")[:15]}},
        "ada": {"adaPhones": "+1 555 0101", "adaCustomCopy": "Ask our staff.", "adaHours": "Mon-Fri 10-18"},
        "upcomingEvents": {"_total": 12, "tmr": 0, "ticketmaster": 12, "_filtered": 0},
        "_links": {"self": {"href": f"{PREFIX}/venues/{v.id}?locale=en-us"}},
    }
    if city.state_code:
        body["state"] = {"name": city.state_name, "stateCode": city.state_code}
    return body


def event_json(e: Event, attraction_bodies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    start: dict[str, Any] = {}
    if e.local_date:
        start["localDate"] = e.local_date
    if e.local_time:
        start["localTime"] = e.local_time
    if e.utc:
        start["dateTime"] = e.utc.strftime(DATE_FORMAT)
    start.update(
        dateTBD=e.date_tbd, dateTBA=e.date_tba, timeTBA=e.time_tba, noSpecificTime=e.no_specific_time
    )
    sale_start = "2025-05-20T16:00:00Z"
    sale_end = e.utc.strftime(DATE_FORMAT) if e.utc else "2027-12-31T23:00:00Z"
    links: dict[str, Any] = {"self": {"href": f"{PREFIX}/events/{e.id}?locale=en-us"}}
    embedded: dict[str, Any] = {}
    if e.venue is not None:
        links["venues"] = [{"href": f"{PREFIX}/venues/{e.venue.id}?locale=en-us"}]
        embedded["venues"] = [venue_json(e.venue)]
    if e.attractions:
        links["attractions"] = [{"href": f"{PREFIX}/attractions/{a.id}?locale=en-us"} for a in e.attractions]
        embedded["attractions"] = [attraction_bodies[a.id] for a in e.attractions]
    price = 25 + (int(hashlib.md5(e.id.encode()).hexdigest()[:4], 16) % 120)
    promoter = {"id": "653", "name": "LIVE NATION MUSIC", "description": "LIVE NATION MUSIC / NTL / USA"}
    return {
        "name": e.name,
        "type": "event",
        "id": e.id,
        "test": False,
        "url": f"https://www.ticketmaster.com/event/{e.id}",
        "locale": "en-us",
        "images": images(e.id, True),
        "sales": {
            "public": {
                "startDateTime": sale_start,
                "startTBD": False,
                "startTBA": False,
                "endDateTime": sale_end,
            },
            "presales": [
                {
                    "startDateTime": "2025-05-18T14:00:00Z",
                    "endDateTime": "2025-05-19T22:00:00Z",
                    "name": "Artist Presale",
                }
            ],
        },
        "dates": {
            "start": start,
            "timezone": e.timezone,
            "status": {"code": e.status},
            "spanMultipleDays": False,
        },
        "classifications": [CLASSIFICATION],
        "promoter": promoter,
        "promoters": [promoter],
        "info": "Doors open one hour before the show.",
        "pleaseNote": "No professional cameras.",
        "priceRanges": [
            {"type": "standard", "currency": "USD", "min": float(price), "max": float(price * 2) + 0.5}
        ],
        "products": [
            {
                "name": "Parking",
                "id": f"{e.id}P",
                "url": f"https://www.ticketmaster.com/event/{e.id}P",
                "type": "Parking",
                "classifications": [CLASSIFICATION],
            }
        ],
        "seatmap": {"staticUrl": f"https://maps.ticketmaster.com/maps/geometry/3/event/{e.id}/staticImage"},
        "accessibility": {
            "ticketLimit": 2,
            "info": "Accessible seating available.",
            "url": "https://www.ticketmaster.com/accessibility",
            "urlText": "Accessibility",
        },
        "ticketLimit": {"info": "There is an 8 ticket limit for this event."},
        "ageRestrictions": {"legalAgeEnforced": False},
        "ticketing": {"safeTix": {"enabled": True}},
        "_links": links,
        "_embedded": embedded,
    }


class Renderer:
    """Caches serialized events and attractions: they are immutable once the catalog is generated,
    so a page is a join of cached bytes (a 200-event page is about 1.5 MB)."""

    def __init__(self, sim: Sim) -> None:
        self.events: dict[str, bytes] = {}
        self.refresh(sim)

    def refresh(self, sim: Sim) -> None:
        """(Re)build the attraction bodies; events keep their cached bytes (they never change)."""
        catalog = sim.catalog
        self.version = catalog.version
        upcoming = {a.id: 0 for a in catalog.attractions.values()}
        for e in catalog.events.values():
            for a in e.attractions:
                upcoming[a.id] += 1
        self.attraction_bodies = {
            a.id: attraction_json(a, upcoming[a.id]) for a in catalog.attractions.values()
        }
        self.attractions = {key: orjson.dumps(body) for key, body in self.attraction_bodies.items()}

    def event(self, e: Event) -> bytes:
        body = self.events.get(e.id)
        if body is None:
            body = self.events[e.id] = orjson.dumps(event_json(e, self.attraction_bodies))
        return body


def renderer(sim: Sim) -> Renderer:
    cached = sim.caches.get("ticketmaster")
    if cached is None:
        cached = sim.caches["ticketmaster"] = Renderer(sim)
    elif cached.version != sim.catalog.version:  # population members were generated since
        cached.refresh(sim)
    return cached


# --- endpoints -------------------------------------------------------------------------------
def _int(request: Request, name: str, default: int) -> int | Response:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
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
    tm_id = request.path_params["id"]
    body = renderer(sim).attractions.get(tm_id)
    if body is None:
        return api_error(
            404, "DIS1004", f"Resource not found with provided criteria (locale=en-us, id={tm_id})"
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
        names.setdefault(member.tm_id, member.name)
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
