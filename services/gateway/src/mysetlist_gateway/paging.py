"""Paged lists of an artist's data (shows, songs, catalog decisions): limit/offset bounds, the total that
rides on each row as a window count, and the next page's offset."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Query, Request, Response
from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.web.http_api import BIGINT_MAX
from mysetlist_gateway.deps import Sessions
from mysetlist_gateway.etags import not_modified_or_headers, version_or_404
from mysetlist_gateway.schemas.base import Page

Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=BIGINT_MAX)]  # PostgreSQL's OFFSET is a bigint

PageT = TypeVar("PageT", bound=Page)


def next_offset(total: int, limit: int, offset: int) -> int | None:
    return offset + limit if offset + limit < total else None


async def count_rows(session: AsyncSession, query: Any) -> int:
    """Total when the page is empty (offset past the end): the window count has no row to ride on."""
    counted = query.limit(None).offset(None).order_by(None).with_only_columns(literal_column("1"))
    return int(await session.scalar(select(func.count()).select_from(counted.subquery())) or 0)


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
            version = await version_or_404(session, self.artist_id)
            if (early := not_modified_or_headers(self.request, self.response, version)) is not None:
                return early
            rows = (await session.execute(query)).all()
            total = rows[0].total if rows else await count_rows(session, query)
        return page(
            items=[item(row) for row in rows],
            total=total,
            limit=self.limit,
            offset=self.offset,
            next_offset=next_offset(total, self.limit, self.offset),
        )
