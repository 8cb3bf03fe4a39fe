"""Ticketmaster events to `venue` and `show` rows: pure functions, no I/O."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from mysetlist_common.upstream.ticketmaster.models import Event, Venue, best_image, parse_event

KNOWN_STATUSES = {"onsale", "offsale", "postponed", "rescheduled", "cancelled"}
STATUS_ALIASES = {"canceled": "cancelled"}


def normalise_status(code: str | None) -> str:
    """One spelling per status (`canceled` and `cancelled` are the same); unknown codes stay visible."""
    if not code:
        return "unknown"
    code = code.strip().lower()
    code = STATUS_ALIASES.get(code, code)
    return code if code in KNOWN_STATUSES else "unknown"


def _fit(value: str | None, length: int) -> str | None:
    """Short codes longer than their column are upstream junk: dropped, so one bad venue fails nothing."""
    return value if value is None or len(value) <= length else None


def venue_row(venue: Venue) -> dict[str, Any]:
    location = venue.location
    return {
        "tm_venue_id": venue.id,
        "name": venue.name or venue.id,
        "city": venue.city.name if venue.city else None,
        "state_code": _fit(venue.state.state_code if venue.state else None, 16),
        "country_code": _fit(venue.country.country_code if venue.country else None, 8),
        "address": venue.address.line1 if venue.address else None,
        "postal_code": _fit(venue.postal_code, 32),
        "timezone": _fit(venue.timezone, 64),
        "latitude": location.latitude if location else None,
        "longitude": location.longitude if location else None,
    }


def show_row(event: Event, artist_id: UUID) -> dict[str, Any]:
    """`starts_at` only when Ticketmaster gives a real UTC time; otherwise the local date and TBA flags."""
    start = event.dates.start
    time_unknown = start.time_tba or start.no_specific_time
    date_unknown = start.date_tba or start.date_tbd
    return {
        "tm_event_id": event.id,
        "artist_id": artist_id,
        "tm_venue_id": event.venue.id if event.venue else None,  # resolved to venue_id when stored
        "name": event.name,
        "starts_at": None if time_unknown or date_unknown else start.date_time,
        "local_date": None if date_unknown else start.local_date,
        "local_time": None if time_unknown or date_unknown else start.local_time,
        "timezone": _fit(event.dates.timezone or (event.venue.timezone if event.venue else None), 64),
        "status": normalise_status(event.dates.status.code),
        "date_tba": date_unknown,
        "time_tba": time_unknown,
        "url": event.url,
        "image_url": best_image(event.images),
        "removed_at": None,  # a show Ticketmaster returns again is no longer removed
    }


def skip_reason(error: ValidationError) -> str:
    """A short, stable reason for a count name: missing_id, invalid_dates, ..."""
    first = error.errors()[0]
    where = str(first["loc"][0]) if first["loc"] else "event"
    kind = "missing" if first["type"] == "missing" else "invalid"
    return f"{kind}_{where.strip('_')}"


@dataclass
class Mapped:
    shows: list[dict[str, Any]] = field(default_factory=list)
    venues: dict[str, dict[str, Any]] = field(default_factory=dict)  # by tm_venue_id: one row each
    seen_ids: set[str] = field(default_factory=set)  # every event id returned, malformed ones included
    skipped: Counter[str] = field(default_factory=Counter)


def map_events(raw_events: list[dict[str, Any]], artist_id: UUID) -> Mapped:
    mapped = Mapped()
    shows: dict[str, dict[str, Any]] = {}
    for raw in raw_events:
        if isinstance(raw.get("id"), str) and raw["id"]:
            mapped.seen_ids.add(raw["id"])
        try:
            event = parse_event(raw)
        except ValidationError as exc:
            mapped.skipped[skip_reason(exc)] += 1
            continue
        shows.setdefault(event.id, show_row(event, artist_id))
        if event.venue is not None:
            mapped.venues.setdefault(event.venue.id, venue_row(event.venue))
    # key order: concurrent imports touching the same rows lock them in the same order (no deadlock)
    mapped.shows = sorted(shows.values(), key=lambda row: row["tm_event_id"])
    mapped.venues = dict(sorted(mapped.venues.items()))
    return mapped
