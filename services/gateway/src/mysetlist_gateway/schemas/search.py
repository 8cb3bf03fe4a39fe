"""GET /api/search: Ticketmaster's artists, each with what we already imported of it."""

from uuid import UUID

from pydantic import Field

from mysetlist_gateway.schemas.base import ApiModel


class SearchHit(ApiModel):
    tm_attraction_id: str
    name: str
    image_url: str | None
    url: str | None
    spotify_id: str | None
    artist_id: UUID | None = Field(description="set when this artist was imported before")
    slug: str | None = Field(description="its page slug, when imported before")


class SearchResults(ApiModel):
    query: str
    items: list[SearchHit]
