"""The read API: an artist (by id or by any slug it ever had), its shows and its songs.

Caching: every answer carries an ETag derived from the columns that change whenever an import writes
(artist.updated_at, shows_synced_at, catalog_synced_at, import_status.import_id/last_seq/updated_at), so
an import that records progress or finishes changes the ETag by itself: nothing has to remember to
invalidate anything. `Cache-Control: no-cache` makes clients revalidate each time; a matching
If-None-Match is answered 304 after one small primary-key lookup, before the list query runs.

Old slugs: `/api/artists/by-slug/{alias}` answers 308 to the current slug's URL, so bookmarks and the
shell slug handed out at kickoff keep working and clients learn the canonical URL.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import Row, case, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import (
    Artist,
    ArtistSlugAlias,
    ArtistSong,
    ImportStatus,
    Show,
    ShowArtist,
    Song,
    Venue,
)
from mysetlist_common.web.http_api import BIGINT_MAX, ErrorBody
from mysetlist_common.web.status import Stage
from mysetlist_gateway.kickoff import get_sessions

router = APIRouter(tags=["artists"])

CACHE_CONTROL = "public, no-cache"
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


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


class Page(ApiModel):
    total: int
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page, null on the last")


PageT = TypeVar("PageT", bound=Page)
ModelT = TypeVar("ModelT", bound=BaseModel)


class ShowPage(Page):
    items: list[ShowOut]


class SongPage(Page):
    items: list[SongOut]


class SongSort(StrEnum):
    name = "name"
    popularity = "popularity"
    release_date = "release_date"


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "unknown artist"}}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "unchanged since the If-None-Match ETag"}
}
ETAG_HEADERS = {
    "ETag": {"description": "version of this answer", "schema": {"type": "string"}},
    "Cache-Control": {"description": "always revalidate", "schema": {"type": "string"}},
}
BY_ID_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": ETAG_HEADERS},
    **NOT_MODIFIED,
    **NOT_FOUND,
}
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=BIGINT_MAX)]  # PostgreSQL's OFFSET is a bigint
# what slugify() makes (lowercase ASCII words and hyphens); anything else is no artist's slug
Slug = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[a-z0-9-]+$")]

# ------------------------------------------------------------------------------------------ queries

_UPCOMING = or_(Show.local_date.is_(None), Show.local_date >= func.current_date())
_LIVE_SHOW = Show.removed_at.is_(None)


def _artist_query() -> Any:
    """The artist, its latest import and its counts in one statement (scalar subqueries, no N+1)."""
    # an artist's shows are the ones linked to it in show_artist (headliner or support act)
    shows = (
        select(func.count())
        .select_from(ShowArtist)
        .join(Show, Show.id == ShowArtist.show_id)
        .where(ShowArtist.artist_id == Artist.id, _LIVE_SHOW)
    )
    return (
        select(
            Artist,
            ImportStatus,
            shows.where(_UPCOMING).scalar_subquery().label("upcoming_shows"),
            shows.where(~_UPCOMING).scalar_subquery().label("past_shows"),
            select(func.count()).where(ArtistSong.artist_id == Artist.id).scalar_subquery().label("songs"),
        )
        .select_from(Artist)
        .outerjoin(ImportStatus, ImportStatus.artist_id == Artist.id)
    )


def _version_query() -> Any:
    """Only the columns the ETag is made of: a primary-key lookup, cheap enough for every request."""
    return (
        select(
            Artist.id,
            Artist.slug,
            Artist.updated_at,
            Artist.shows_synced_at,
            Artist.catalog_synced_at,
            ImportStatus.import_id,
            ImportStatus.last_seq,
            ImportStatus.updated_at.label("status_updated_at"),
            func.current_date().label("today"),  # "upcoming" and "past" change at midnight
        )
        .select_from(Artist)
        .outerjoin(ImportStatus, ImportStatus.artist_id == Artist.id)
    )


def make_etag(version: Row[Any], request: Request) -> str:
    # the URL's path and query are part of it: page 2 and page 1 are different representations
    raw = "|".join(str(v) for v in version) + "|" + request.url.path + "?" + request.url.query
    return 'W/"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    weak = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == weak for tag in if_none_match.split(","))


async def _version_or_404(session: AsyncSession, artist_id: UUID) -> Row[Any]:
    version = (await session.execute(_version_query().where(Artist.id == artist_id))).first()
    if version is None:
        raise HTTPException(404, "unknown artist")
    return version


def _not_modified_or_headers(request: Request, response: Response, version: Row[Any]) -> Response | None:
    etag = make_etag(version, request)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None


async def _artist_answer(
    session: AsyncSession, request: Request, response: Response, version: Row[Any]
) -> ArtistOut | Response:
    """304 while the ETag matches, else the artist with its counts and latest import."""
    if (early := _not_modified_or_headers(request, response, version)) is not None:
        return early
    return _artist_out((await session.execute(_artist_query().where(Artist.id == version.id))).one())


def _artist_out(row: Any) -> ArtistOut:
    artist: Artist = row[0]
    status: ImportStatus | None = row[1]
    return _from(
        artist,
        ArtistOut,
        counts=ArtistCounts(upcoming_shows=row.upcoming_shows, past_shows=row.past_shows, songs=row.songs),
        last_import=None if status is None else _from(status, ImportSummary),
    )


def _from(source: Any, model: type[ModelT], **computed: Any) -> ModelT:
    """`model` from the same-named attributes of a database row, plus the values it does not have."""
    names = model.model_fields.keys() - computed.keys()
    return model.model_validate({**{name: getattr(source, name) for name in names}, **computed})


def _next_offset(total: int, limit: int, offset: int) -> int | None:
    return offset + limit if offset + limit < total else None


@dataclass
class ArtistList:
    """What each of an artist's paged lists takes (path, paging, the request for ETags) and how it answers."""

    artist_id: UUID
    request: Request
    response: Response
    sessions: Sessions
    limit: Limit = 50
    offset: Offset = 0

    async def fetch(self, query: Any, page: type[PageT], item: Callable[[Any], Any]) -> PageT | Response:
        """404 for an unknown artist, 304 while the ETag matches, else the query's rows (each carrying the
        window total) as `page`."""
        async with self.sessions() as session:
            version = await _version_or_404(session, self.artist_id)
            if (early := _not_modified_or_headers(self.request, self.response, version)) is not None:
                return early
            rows = (await session.execute(query)).all()
            total = rows[0].total if rows else await _count(session, query)
        return page(
            items=[item(row) for row in rows],
            total=total,
            limit=self.limit,
            offset=self.offset,
            next_offset=_next_offset(total, self.limit, self.offset),
        )


# ------------------------------------------------------------------------------------------ routes


@router.get(
    "/api/artists/by-slug/{slug}",
    response_model=ArtistOut,
    summary="An artist by its current slug; an old slug answers 308 to the current one",
    responses={
        200: {"headers": ETAG_HEADERS},
        308: {
            "description": "an old slug of the artist: Location is the current slug's URL",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        **NOT_MODIFIED,
        **NOT_FOUND,
    },
)
async def artist_by_slug(slug: Slug, request: Request, response: Response, sessions: Sessions) -> Any:
    # one statement: the artist whose slug it is now, or else the one that had it before
    by_current = select(Artist.id).where(Artist.slug == slug).scalar_subquery()
    by_alias = select(ArtistSlugAlias.artist_id).where(ArtistSlugAlias.slug == slug).scalar_subquery()
    async with sessions() as session:
        version = (
            await session.execute(_version_query().where(Artist.id == func.coalesce(by_current, by_alias)))
        ).first()
        if version is None:
            raise HTTPException(404, "unknown artist")
        if version.slug != slug:
            target = request.url_for("artist_by_slug", slug=version.slug)
            location = str(target.replace(query=request.url.query))
            return RedirectResponse(location, status_code=308, headers={"Cache-Control": "no-cache"})
        return await _artist_answer(session, request, response, version)


@router.get(
    "/api/artists/{artist_id:uuid}",
    operation_id="artist_by_id",
    response_model=ArtistOut,
    summary="An artist with its counts and latest import",
    responses=BY_ID_RESPONSES,
)
async def artist_by_id(artist_id: UUID, request: Request, response: Response, sessions: Sessions) -> Any:
    async with sessions() as session:
        return await _artist_answer(session, request, response, await _version_or_404(session, artist_id))


@router.get(
    "/api/artists/{artist_id:uuid}/shows",
    operation_id="artist_shows",
    response_model=ShowPage,
    summary="An artist's shows: upcoming (soonest first), then past (latest first); removed ones left out",
    responses=BY_ID_RESPONSES,
)
async def artist_shows(
    page: Annotated[ArtistList, Depends()],
    when: Annotated[Literal["all", "upcoming", "past"], Query(description="which shows")] = "all",
) -> Any:
    upcoming = _UPCOMING.label("upcoming")
    query = (
        select(Show, Venue, upcoming, func.count().over().label("total"))
        .join(ShowArtist, ShowArtist.show_id == Show.id)
        .outerjoin(Venue, Venue.id == Show.venue_id)
        .where(ShowArtist.artist_id == page.artist_id, _LIVE_SHOW)
        .order_by(
            case((_UPCOMING, 0), else_=1),
            case((_UPCOMING, Show.local_date)).asc().nulls_last(),
            case((_UPCOMING, Show.starts_at)).asc().nulls_last(),
            Show.local_date.desc(),
            Show.starts_at.desc().nulls_last(),
            Show.id,
        )
        .limit(page.limit)
        .offset(page.offset)
    )
    if when != "all":
        query = query.where(_UPCOMING if when == "upcoming" else ~_UPCOMING)
    return await page.fetch(query, ShowPage, _show_out)


def _show_out(row: Any) -> ShowOut:
    show, venue, is_upcoming, _total = row
    return _from(show, ShowOut, upcoming=is_upcoming, venue=None if venue is None else _from(venue, VenueOut))


async def _count(session: AsyncSession, query: Any) -> int:
    """Total when the page is empty (offset past the end): the window count has no row to ride on."""
    counted = query.limit(None).offset(None).order_by(None).with_only_columns(literal_column("1"))
    return int(await session.scalar(select(func.count()).select_from(counted.subquery())) or 0)


_SONG_SORT = {
    SongSort.name: (func.lower(Song.name), "asc"),
    SongSort.popularity: (Song.popularity, "desc"),
    SongSort.release_date: (Song.release_date, "desc"),
}


@router.get(
    "/api/artists/{artist_id:uuid}/songs",
    operation_id="artist_songs",
    response_model=SongPage,
    summary="An artist's studio catalog (one song per ISRC)",
    responses=BY_ID_RESPONSES,
)
async def artist_songs(
    page: Annotated[ArtistList, Depends()],
    sort: Annotated[SongSort, Query(description="sort key")] = SongSort.name,
    order: Annotated[
        Literal["asc", "desc"] | None,
        Query(description="default: asc for name, desc for popularity and release_date"),
    ] = None,
) -> Any:
    column, default_order = _SONG_SORT[sort]
    key = column.asc() if (order or default_order) == "asc" else column.desc()
    query = (
        select(Song, func.count().over().label("total"))
        .join(ArtistSong, ArtistSong.song_id == Song.id)
        .where(ArtistSong.artist_id == page.artist_id)
        .order_by(key.nulls_last(), func.lower(Song.name), Song.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return await page.fetch(query, SongPage, _song_out)


def _song_out(row: Any) -> SongOut:
    return _from(row[0], SongOut)
