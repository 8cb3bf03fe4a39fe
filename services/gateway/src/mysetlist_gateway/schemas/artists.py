"""The read API's answers: an artist with its counts and latest import, its shows and its songs."""

from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from mysetlist_common.web.status import Stage
from mysetlist_gateway.schemas.base import ApiModel, Page


class ImportSummary(ApiModel):
    import_id: UUID
    stage: Stage
    progress: int
    message: str
    updated_at: datetime


class ArtistCounts(ApiModel):
    upcoming_shows: int
    past_shows: int
    songs: int


class ArtistOut(ApiModel):
    id: UUID
    name: str
    slug: str
    tm_attraction_id: str
    spotify_id: str | None
    mbid: str | None
    image_url: str | None
    shows_synced_at: datetime | None
    catalog_synced_at: datetime | None
    counts: ArtistCounts
    last_import: ImportSummary | None = Field(description="the latest import, null before the first")


class VenueOut(ApiModel):
    id: UUID
    name: str
    city: str | None
    state_code: str | None
    country_code: str | None
    timezone: str | None
    latitude: float | None
    longitude: float | None


class ShowOut(ApiModel):
    id: UUID
    tm_event_id: str
    name: str
    upcoming: bool = Field(description="on or after today (undated TBA shows count as upcoming)")
    status: str = Field(description="onsale | offsale | cancelled | postponed | rescheduled")
    starts_at: datetime | None
    local_date: date | None
    local_time: time | None
    timezone: str | None
    date_tba: bool
    time_tba: bool
    url: str | None
    image_url: str | None
    setlist_ready: bool
    venue: VenueOut | None


class SongOut(ApiModel):
    id: UUID
    spotify_id: str
    isrc: str | None
    name: str
    album_name: str | None
    album_type: str | None
    release_date: str | None
    duration_ms: int | None
    popularity: int | None


class ShowPage(Page):
    items: list[ShowOut]


class SongPage(Page):
    items: list[SongOut]


class SongSort(StrEnum):
    name = "name"
    popularity = "popularity"
    release_date = "release_date"
