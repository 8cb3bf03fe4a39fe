"""Why each fetched track is or is not in an artist's catalog: the catalog-ingest decision rows, readable.

One row per track Spotify listed for the artist. The stored verdict (kept, live, duplicate, not_credited,
malformed) maps to an outcome people filter by: `kept` (in the catalog), `dropped` (left out, with the rule
and reason) and `pending` (a decision not final yet; catalog-ingest writes no such verdict today, so the
filter answers nothing until it does: no row is made up here). For a live verdict the stored reason starts
with the classifier rule ("live_qualifier: ..."); it is split into `rule` and `reason`. A duplicate names
the kept version's track and release, found in the same artist's decisions.

Caching and paging are the read API's (`etags`, `paging`): the ETag follows artist.catalog_synced_at,
which every catalog write sets, and limit/offset have the same bounds.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from mysetlist_common.db.schema import CatalogDecision
from mysetlist_common.web.http_api import NO_NUL
from mysetlist_gateway.deps import Sessions
from mysetlist_gateway.etags import BY_ID_RESPONSES, not_modified_or_headers, version_or_404
from mysetlist_gateway.paging import Limit, Offset, count_rows, next_offset
from mysetlist_gateway.schemas.decisions import (
    OUTCOMES,
    DecisionCounts,
    DecisionOut,
    DecisionPage,
    KeptVersion,
    Outcome,
)

router = APIRouter(tags=["artists"])

D = CatalogDecision
_KEPT = aliased(CatalogDecision, name="kept_version")

# "live_qualifier: track title ..." -> rule "live_qualifier", reason "track title ...".
_SEP = func.strpos(D.reason, ": ")
_IS_LIVE_WITH_RULE = and_(D.decision == "live", _SEP > 0)
rule_of = case((_IS_LIVE_WITH_RULE, func.substr(D.reason, 1, _SEP - 1)), else_=D.decision)
reason_of = case((_IS_LIVE_WITH_RULE, func.substr(D.reason, _SEP + 2)), else_=D.reason)
outcome_of = case((D.decision == "kept", "kept"), (D.decision == "pending", "pending"), else_="dropped")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(artist_id: UUID, outcome: Outcome | None, rule: str | None, q: str | None) -> list[Any]:
    where: list[Any] = [D.artist_id == artist_id]
    if outcome:
        where.append(outcome_of == outcome)
    if rule:
        where.append(rule_of == rule)
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip())}%"
        where.append(or_(D.track_name.ilike(pattern, escape="\\"), D.album_name.ilike(pattern, escape="\\")))
    return where


def _counts(rows: Any) -> DecisionCounts:
    by_outcome = dict.fromkeys(OUTCOMES, 0)
    by_rule: dict[str, int] = {}
    for outcome, rule, n in rows:
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        if outcome != "kept":
            by_rule[rule] = by_rule.get(rule, 0) + n
    return DecisionCounts(by_outcome=by_outcome, by_rule=dict(sorted(by_rule.items(), key=lambda kv: -kv[1])))


def _item(row: Any) -> DecisionOut:
    kept = None
    if row.duplicate_of:
        kept = KeptVersion(
            spotify_track_id=row.duplicate_of, track_name=row.kept_track, release_name=row.kept_release
        )
    return DecisionOut(
        spotify_track_id=row.spotify_track_id,
        track_name=row.track_name,
        release_id=row.album_id,
        release_name=row.album_name,
        outcome=row.outcome,
        verdict=row.decision,
        rule=row.rule,
        reason=row.reason,
        kept_version=kept,
    )


@router.get(
    "/api/artists/{artist_id:uuid}/catalog/decisions",
    operation_id="catalog_decisions",
    response_model=DecisionPage,
    summary="Why each fetched track is in the catalog or not: outcome, rule, reason, the kept version",
    responses=BY_ID_RESPONSES,  # 200 (ETag), 304, 404 unknown artist; FastAPI adds 422
)
async def catalog_decisions(
    artist_id: UUID,
    request: Request,
    response: Response,
    sessions: Sessions,
    limit: Limit = 50,
    offset: Offset = 0,
    outcome: Annotated[Outcome | None, Query(description="kept, dropped or pending")] = None,
    rule: Annotated[
        str | None,
        Query(
            max_length=64, pattern=NO_NUL, description="a rule, e.g. duplicate, not_credited, live_qualifier"
        ),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="part of the track or release name")
    ] = None,
) -> Any:
    query = (
        select(
            D.spotify_track_id,
            D.track_name,
            D.album_id,
            D.album_name,
            D.decision,
            D.duplicate_of,
            outcome_of.label("outcome"),
            rule_of.label("rule"),
            reason_of.label("reason"),
            _KEPT.track_name.label("kept_track"),
            _KEPT.album_name.label("kept_release"),
            func.count().over().label("total"),
        )
        .outerjoin(_KEPT, and_(_KEPT.artist_id == D.artist_id, _KEPT.spotify_track_id == D.duplicate_of))
        .where(*_filters(artist_id, outcome, rule, q))
        .order_by(func.lower(D.track_name), D.spotify_track_id)
        .limit(limit)
        .offset(offset)
    )
    # one grouped statement for the counts: the section headings need them whatever the page shows
    counts = (
        select(outcome_of, rule_of, func.count())
        .where(D.artist_id == artist_id)
        .group_by(outcome_of, rule_of)
    )
    async with sessions() as session:
        version = await version_or_404(session, artist_id)
        if (early := not_modified_or_headers(request, response, version)) is not None:
            return early
        rows = (await session.execute(query)).all()
        total = rows[0].total if rows else await count_rows(session, query)
        counted = _counts((await session.execute(counts)).all())
    return DecisionPage(
        items=[_item(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        next_offset=next_offset(total, limit, offset),
        counts=counted,
    )
