"""Ticketmaster Discovery API v2 JSON shapes, as recorded for real: attractions, venues and events, and
the cache of their serialized bytes (a page of events is a join of cached bytes)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from .core import Sim
from .model import Attraction, Event, Venue
from .words import normalise

PREFIX = "/discovery/v2"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CLASSIFICATION = {
    "primary": True,
    "segment": {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"},
    "genre": {"id": "KnvZfZ7vAeA", "name": "Rock"},
    "subGenre": {"id": "KZazBEonSMnZfZ7v6dt", "name": "Alternative Rock"},
    "type": {"id": "KZAyXgnZfZ7v7nI", "name": "Undefined"},
    "subType": {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Undefined"},
    "family": False,
}


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
