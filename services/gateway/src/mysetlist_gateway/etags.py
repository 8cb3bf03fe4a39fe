"""Conditional reads of an artist's data: one ETag per answer, 304 while it still matches.

Every answer carries an ETag derived from the columns that change whenever an import writes
(artist.updated_at, shows_synced_at, catalog_synced_at, import_status.import_id/last_seq/updated_at), so
an import that records progress or finishes changes the ETag by itself: nothing has to remember to
invalidate anything. `Cache-Control: no-cache` makes clients revalidate each time; a matching
If-None-Match is answered 304 after one small primary-key lookup, before the list query runs.
"""

import hashlib
from typing import Any
from uuid import UUID

from fastapi import HTTPException, Request, Response
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.db.schema import Artist, ImportStatus
from mysetlist_common.web.http_api import ErrorBody

CACHE_CONTROL = "public, no-cache"

# what these answers can be, for the OpenAPI document
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


def version_query() -> Any:
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


async def version_or_404(session: AsyncSession, artist_id: UUID) -> Row[Any]:
    version = (await session.execute(version_query().where(Artist.id == artist_id))).first()
    if version is None:
        raise HTTPException(404, "unknown artist")
    return version


def not_modified_or_headers(request: Request, response: Response, version: Row[Any]) -> Response | None:
    """The 304 while the client's ETag matches; else None, with the ETag set on `response`."""
    etag = make_etag(version, request)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return None
