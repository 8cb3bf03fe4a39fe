"""The read API: an artist (by id or by any slug it ever had), its shows and its songs.

Caching is `etags`' (an ETag per answer, 304 while it matches); paging is `paging`'s.

Old slugs: `/api/artists/by-slug/{alias}` answers 308 to the current slug's URL, so bookmarks and the
shell slug handed out at kickoff keep working and clients learn the canonical URL.
"""

from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy import Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

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
from mysetlist_gateway.deps import Sessions
from mysetlist_gateway.etags import (
    BY_ID_RESPONSES,
    ETAG_HEADERS,
    NOT_FOUND,
    NOT_MODIFIED,
    not_modified_or_headers,
    version_or_404,
    version_query,
)
from mysetlist_gateway.paging import ArtistList
from mysetlist_gateway.schemas.artists import (
    ArtistCounts,
    ArtistOut,
    ImportSummary,
    ShowOut,
    ShowPage,
    SongOut,
    SongPage,
    SongSort,
    VenueOut,
)

router = APIRouter(tags=["artists"])

ModelT = TypeVar("ModelT", bound=BaseModel)
# what slugify() makes (lowercase ASCII words and hyphens); anything else is no artist's slug
Slug = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[a-z0-9-]+$")]

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


async def _artist_answer(
    session: AsyncSession, request: Request, response: Response, version: Row[Any]
) -> ArtistOut | Response:
    """304 while the ETag matches, else the artist with its counts and latest import."""
    if (early := not_modified_or_headers(request, response, version)) is not None:
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
            await session.execute(version_query().where(Artist.id == func.coalesce(by_current, by_alias)))
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
        return await _artist_answer(session, request, response, await version_or_404(session, artist_id))


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
