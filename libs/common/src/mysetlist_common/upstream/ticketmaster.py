"""Ticketmaster Discovery v2: typed answers, the error classifier, and the client.

Parsing is pure (`parse_*` functions on decoded JSON). Events are parsed one by one so that a malformed
event is skipped and counted by the caller instead of failing a whole page.

Reaching every event of an attraction: only items with `size * page < 1000` can be paged to. Once the
first page tells the total, the other reachable pages are fetched concurrently (the rate budget paces
them). When the total is beyond that reach, the rest is a new date window starting at the last date
reached (less a day, so no time-zone edge loses an event); that window is split the same way again while
it is still too big. Windows send `includeTBA=yes&includeTBD=yes` so undated events are not dropped;
events seen in two windows are merged by id.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from mysetlist_common.settings import Settings, get_settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.policy import Policy, paced_policy
from mysetlist_common.upstream.http.classify import Verdict, retry_after_seconds
from mysetlist_common.upstream.http.client import CallStats, UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError

UPSTREAM = "ticketmaster"
DEEP_PAGING_LIMIT = 1000  # only items with size * page < 1000 are reachable


# ------------------------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Image(_Model):
    url: str
    ratio: str | None = None
    width: int | None = None
    height: int | None = None


def best_image(images: list[Image]) -> str | None:
    """The widest 16:9 image, else the widest of any ratio."""
    if not images:
        return None
    wide = [i for i in images if i.ratio == "16_9"] or images
    return max(wide, key=lambda i: i.width or 0).url


class _Named(_Model):
    name: str | None = None


class _State(_Model):
    name: str | None = None
    state_code: str | None = Field(None, alias="stateCode")


class _Country(_Model):
    name: str | None = None
    country_code: str | None = Field(None, alias="countryCode")


class _Address(_Model):
    line1: str | None = None


class Location(_Model):
    # Ticketmaster sends coordinates as strings; blank or junk means unknown, not an error
    latitude: float | None = None
    longitude: float | None = None

    @field_validator("latitude", "longitude", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return None
        return value


class Venue(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str | None = None
    city: _Named | None = None
    state: _State | None = None
    country: _Country | None = None
    address: _Address | None = None
    postal_code: str | None = Field(None, alias="postalCode")
    timezone: str | None = None
    location: Location | None = None


class ExternalLink(_Model):
    url: str | None = None
    id: str | None = None


class Attraction(_Model):
    id: str = Field(min_length=1)
    name: str
    url: str | None = None
    images: list[Image] = []
    external_links: dict[str, list[ExternalLink]] = Field(default_factory=dict, alias="externalLinks")

    @property
    def spotify_id(self) -> str | None:
        for link in self.external_links.get("spotify", []):
            if link.url and "/artist/" in link.url:
                found = link.url.split("/artist/", 1)[1].split("?")[0].strip("/")
                if found:
                    return found
        return None

    @property
    def mbid(self) -> str | None:
        for link in self.external_links.get("musicbrainz", []):
            if link.id:
                return link.id
        return None

    @property
    def image_url(self) -> str | None:
        return best_image(self.images)


class Start(_Model):
    local_date: date | None = Field(None, alias="localDate")
    local_time: time | None = Field(None, alias="localTime")
    date_time: datetime | None = Field(None, alias="dateTime")
    date_tba: bool = Field(False, alias="dateTBA")
    date_tbd: bool = Field(False, alias="dateTBD")
    time_tba: bool = Field(False, alias="timeTBA")
    no_specific_time: bool = Field(False, alias="noSpecificTime")

    @field_validator("date_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("dateTime without a time zone")
        return value


class _Status(_Model):
    code: str | None = None


class Dates(_Model):
    start: Start = Start()
    timezone: str | None = None
    status: _Status = _Status()


class _EventEmbedded(_Model):
    venues: list[Venue] = []
    attractions: list[Attraction] = []

    @field_validator("venues", "attractions", mode="before")
    @classmethod
    def _drop_unusable(cls, value: Any, info: ValidationInfo) -> Any:
        # a venue or attraction without an id is left out; the event itself is still worth keeping
        model = Venue if info.field_name == "venues" else Attraction
        if not isinstance(value, list):
            return []
        kept = []
        for item in value:
            try:
                kept.append(model.model_validate(item))
            except ValidationError:
                continue
        return kept


class Event(_Model):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    url: str | None = None
    images: list[Image] = []
    dates: Dates
    embedded: _EventEmbedded = Field(_EventEmbedded(), alias="_embedded")

    @property
    def venue(self) -> Venue | None:
        return self.embedded.venues[0] if self.embedded.venues else None


class PageInfo(_Model):
    size: int = 0
    total_elements: int = Field(0, alias="totalElements")
    total_pages: int = Field(0, alias="totalPages")
    number: int = 0


class EventsPage(_Model):
    """One page: events kept raw (each is parsed on its own, see `parse_event`)."""

    events: list[dict[str, Any]]
    page: PageInfo | None
    next_href: str | None


def parse_attraction(data: Any) -> Attraction:
    return Attraction.model_validate(data)


def parse_attractions(data: Any) -> list[Attraction]:
    """An attraction search answer; items that do not parse are left out."""
    if not isinstance(data, dict):
        raise ValueError(f"an attraction search answer must be a JSON object, got {type(data).__name__}")
    embedded = data.get("_embedded") or {}
    if not isinstance(embedded, dict):
        raise ValueError("_embedded is not an object")
    found = []
    for raw in embedded.get("attractions") or []:
        try:
            found.append(Attraction.model_validate(raw))
        except ValidationError:
            continue
    return found


def parse_events_page(data: Any) -> EventsPage:
    if not isinstance(data, dict):
        raise ValueError(f"an events page must be a JSON object, got {type(data).__name__}")
    embedded = data.get("_embedded") or {}  # empty pages have no _embedded
    raw_events = (embedded.get("events") or []) if isinstance(embedded, dict) else None
    if not isinstance(raw_events, list):
        raise ValueError("_embedded.events is not a list")
    page = data.get("page")
    links = data.get("_links")
    next_link = links.get("next") if isinstance(links, dict) else None
    href = next_link.get("href") if isinstance(next_link, dict) else None
    return EventsPage(
        events=[e if isinstance(e, dict) else {"_invalid": e} for e in raw_events],
        page=PageInfo.model_validate(page) if isinstance(page, dict) else None,
        next_href=href if isinstance(href, str) else None,
    )


def parse_event(raw: dict[str, Any]) -> Event:
    """Raises pydantic.ValidationError for an event that cannot be stored."""
    return Event.model_validate(raw)


# ---------------------------------------------------------------------------------------- windows


def tm_datetime(moment: datetime) -> str:
    """Ticketmaster's filter format: `YYYY-MM-DDTHH:mm:ssZ`, UTC, no fractional seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Window(_Model):
    """A date window of events; None on a side means open-ended."""

    start: datetime | None = None
    end: datetime | None = None

    def params(self) -> dict[str, str]:
        if self.start is None and self.end is None:
            return {}
        # with any date filter, Ticketmaster silently drops TBA/TBD events unless asked for them
        params = {"includeTBA": "yes", "includeTBD": "yes"}
        if self.start is not None:
            params["startDateTime"] = tm_datetime(self.start)
        if self.end is not None:
            params["endDateTime"] = tm_datetime(self.end)
        return params

    def describe(self) -> str:
        left = self.start.date().isoformat() if self.start else "..."
        right = self.end.date().isoformat() if self.end else "..."
        return f"{left} to {right}"


def event_moment(raw: dict[str, Any]) -> datetime | None:
    """When a raw event starts (UTC), for windowing only: dateTime, else the local date at midnight UTC."""
    start = ((raw.get("dates") or {}).get("start")) or {}
    try:
        if start.get("dateTime"):
            return datetime.fromisoformat(str(start["dateTime"]).replace("Z", "+00:00")).astimezone(UTC)
        if start.get("localDate"):
            return datetime.combine(date.fromisoformat(str(start["localDate"])), time(), UTC)
    except ValueError:
        return None
    return None


def continuation(window: Window, reached: list[dict[str, Any]]) -> Window | None:
    """The window holding what paging could not reach: from the last date reached (less a day)."""
    moments = [m for m in map(event_moment, reached) if m is not None]
    if not moments:
        return None
    start = max(moments).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    if window.start is not None and start <= window.start:
        return None  # more than the reachable number of events inside one day: cannot split further
    return Window(start=start, end=window.end)


# ------------------------------------------------------------------------------------ classification


def classify_ticketmaster(response: httpx.Response) -> Verdict | None:
    status = response.status_code
    if status == 401:
        return Verdict.fail("Ticketmaster rejected the API key (401); check TICKETMASTER_API_KEY")
    if status != 429:
        return None
    errorcode = _fault_code(response)
    if "quota" in errorcode.lower():
        reset_ms = response.headers.get("rate-limit-reset")
        if reset_ms and reset_ms.isdigit():
            reset = int(reset_ms) / 1000
            when = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M UTC")
            return Verdict.retry(
                f"Ticketmaster daily quota exhausted (resets at {when})",
                until_epoch_s=reset,
                rate_limited=True,
            )
        return Verdict.fail("Ticketmaster daily quota exhausted and no reset time given")
    # spike arrest (or an unknown 429): back off about a second
    return Verdict.retry(
        f"Ticketmaster spike arrest ({errorcode or '429'})",
        delay_s=retry_after_seconds(response) or 1.0,
        rate_limited=True,
    )


def _fault_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    fault = body.get("fault") if isinstance(body, dict) else None
    detail = fault.get("detail") if isinstance(fault, dict) else None
    code = detail.get("errorcode") if isinstance(detail, dict) else None
    return str(code or "")


# ------------------------------------------------------------------------------------------ client

PageCallback = Callable[[int, int | None, str], Awaitable[None]]


def budget_policy(settings: Settings) -> Policy:
    """The key's shared budget: its per-second spike arrest and its daily quota, together."""
    return paced_policy(
        UPSTREAM,
        settings.ticketmaster_api_key.get_secret_value(),
        settings.ticketmaster_requests_per_second,
        settings.ticketmaster_requests_per_day,
    )


class TicketmasterClient:
    """One instance per import (its `stats` are that import's); the rate budget is per API key, shared by
    every process using the key."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings | None = None,
        *,
        budget: KeyBudget | None = None,
    ) -> None:
        settings = settings or get_settings()
        key = settings.ticketmaster_api_key.get_secret_value()
        self.page_size = settings.ticketmaster_page_size
        self.api = UpstreamClient(
            UPSTREAM,
            http,
            base_url=settings.ticketmaster_base_url,
            budget=budget or budget_policy(settings),
            classifiers=[classify_ticketmaster],
            params={"apikey": key},
            max_retries=settings.http_max_retries,
            wait_cap_s=settings.ticketmaster_quota_wait_cap_s,
            timeout_s=settings.http_timeout_s,
        )
        # round trips that had to wait for one another (for the benchmark's lower bound)
        self.sequential_rounds = 0

    @property
    def stats(self) -> CallStats:
        return self.api.stats

    async def attraction(self, attraction_id: str) -> Attraction:
        try:
            return await self.api.get_parsed(
                f"attractions/{attraction_id}.json", parse_attraction, f"attraction {attraction_id}"
            )
        except UpstreamError as exc:
            if exc.status == 404:
                raise UpstreamError(
                    f"Ticketmaster has no attraction {attraction_id!r}", upstream=UPSTREAM, status=404
                ) from exc
            raise

    async def search_attractions(self, keyword: str, size: int = 10) -> list[Attraction]:
        return await self.api.get_parsed(
            "attractions.json",
            parse_attractions,
            f"attraction search for {keyword!r}",
            {"keyword": keyword, "classificationName": "music", "size": str(size)},
        )

    async def events_page(self, attraction_id: str, page: int, window: Window | None = None) -> EventsPage:
        params = {
            "attractionId": attraction_id,
            "size": str(self.page_size),
            "page": str(page),
            "sort": "date,asc",
            **(window.params() if window else {}),
        }
        what = f"events page {page + 1} of attraction {attraction_id}"
        return await self.api.get_parsed("events.json", parse_events_page, what, params)

    async def all_events(
        self, attraction_id: str, on_page: PageCallback | None = None, since: datetime | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Every raw event of the attraction (starting at `since`, TBA/TBD included), merged by id, and how
        many could not be reached."""
        merged: dict[str, dict[str, Any]] = {}
        unidentified: list[dict[str, Any]] = []
        unreachable = 0
        seen = 0

        async def note(events: list[dict[str, Any]], total: int | None, label: str) -> None:
            nonlocal seen
            for raw in events:
                event_id = raw.get("id")
                if isinstance(event_id, str) and event_id:
                    merged.setdefault(event_id, raw)
                else:
                    unidentified.append(raw)  # kept so the caller counts it as malformed
            seen += len(events)
            if on_page is not None:
                await on_page(len(merged) + len(unidentified), total, label)

        window: Window | None = Window(start=since)
        grand_total: int | None = None
        while window is not None:
            reached, total = await self._window(attraction_id, window, note, grand_total)
            if grand_total is None:
                grand_total = total
            if total <= self._reach:
                break
            following = continuation(window, reached)
            if following is None:
                unreachable += total - len(reached)
            window = following
        return [*merged.values(), *unidentified], unreachable

    @property
    def _reach(self) -> int:
        return self.page_size * math.ceil(DEEP_PAGING_LIMIT / self.page_size)

    async def _window(
        self,
        attraction_id: str,
        window: Window,
        note: Callable[[list[dict[str, Any]], int | None, str], Awaitable[None]],
        grand_total: int | None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Fetch what paging reaches in one window; return those events and the window's total."""
        label = window.describe()
        first = await self.events_page(attraction_id, 0, window)
        self.sequential_rounds += 1
        await note(first.events, grand_total or _total(first), f"{label}: page 1")
        if first.page is None:
            # no page info: follow the relative next links one after another
            reached = list(first.events)
            href = first.next_href
            while href:
                page = await self.api.get_parsed(
                    href, parse_events_page, f"next events page of attraction {attraction_id}"
                )
                self.sequential_rounds += 1
                reached += page.events
                await note(page.events, grand_total, f"{label}: next page")
                href = page.next_href if page.events else None
            return reached, len(reached)
        total = first.page.total_elements
        # pages of the size the upstream really serves (it may cap the size we asked for)
        size = first.page.size or self.page_size
        pages = min(first.page.total_pages, math.ceil(min(total, self._reach) / size))

        async def fetch(number: int) -> list[dict[str, Any]]:
            page = await self.events_page(attraction_id, number, window)
            await note(page.events, grand_total or total, f"{label}: page {number + 1} of {pages}")
            return page.events

        rest = await asyncio.gather(*(fetch(n) for n in range(1, pages)))
        self.sequential_rounds += 1 if pages > 1 else 0
        return [*first.events, *(e for events in rest for e in events)], total


def _total(page: EventsPage) -> int | None:
    return page.page.total_elements if page.page else None
