"""Ticketmaster Discovery v2's answers, typed. Parsing is pure (`parse_*` on decoded JSON).

Events are parsed one by one so that a malformed event is skipped and counted by the caller instead of
failing a whole page.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from mysetlist_common.upstream.http.paginators import PageFacts


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

    def paging(self) -> PageFacts:
        info = self.page
        if info is None:  # no page info: only the link to the next page
            return PageFacts(items=len(self.events), next=self.next_href)
        return PageFacts(
            items=len(self.events),
            total=info.total_elements,
            pages=info.total_pages,
            size=info.size or None,
            next=self.next_href,
        )


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
