"""POST /api/admin/replay: re-import a selection of artists, each as a NEW import with reason `replay`.

Never an offset rewind: every target goes through the one kickoff statement (so an artist with a running
import joins it), at a bounded rate, and replay phases are background work (`phase_jobs.priority_of`), so
a replay of thousands queues behind users' imports instead of flooding the ingest services and upstreams.
"""

import asyncio
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging import replay
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.web.http_api import BODY_ERRORS, ErrorBody
from mysetlist_gateway.admin import ADMIN_ERRORS, require_admin
from mysetlist_gateway.kickoff import get_relay, get_sessions, kickoff

router = APIRouter(prefix="/api/admin", tags=["admin"])

DEFAULT_RATE_PER_S = 5.0  # kickoffs per second: each one is a few rows; the phases then queue as jobs
MAX_RATE_PER_S = 100.0


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


SELECTIONS = ("artist", "importId", "failedSince", "requestedBetween")


class ReplayRequest(_Body):
    """Exactly one selection: an artist, an import, the failed ones, or what the topic holds."""

    # the schema says "exactly one" too, so that clients (and fuzzers) can know it
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": [name]} for name in SELECTIONS]})

    # SkipJsonSchema[None]: absent means "not this selection"; an explicit null is not in the schema
    artist: str | SkipJsonSchema[None] = Field(
        None, description="artist id or Ticketmaster attraction id", max_length=64
    )
    import_id: UUID | SkipJsonSchema[None] = Field(None, alias="importId")
    failed_since: datetime | SkipJsonSchema[None] = Field(
        None, alias="failedSince", description="artists whose latest import failed since then"
    )
    requested_between: tuple[datetime, datetime] | SkipJsonSchema[None] = Field(
        None, alias="requestedBetween", description="[start, end) of imports.requested (topic timestamps)"
    )
    dry_run: bool = Field(False, alias="dryRun", description="list what would be replayed, change nothing")
    rate_per_s: float = Field(DEFAULT_RATE_PER_S, alias="ratePerSecond", gt=0, le=MAX_RATE_PER_S)

    @field_validator("artist", "import_id", "failed_since", "requested_between", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # as the schema says: a selection not made is left out
            raise ValueError("leave a selection out rather than null")
        return value

    @model_validator(mode="after")
    def _one_selection(self) -> "ReplayRequest":
        chosen = [self.artist, self.import_id, self.failed_since, self.requested_between]
        if sum(c is not None for c in chosen) != 1:
            raise ValueError("give exactly one of artist, importId, failedSince, requestedBetween")
        return self


class ReplayItem(_Body):
    tm_attraction_id: str = Field(serialization_alias="tmAttractionId")
    artist_id: UUID | None = Field(serialization_alias="artistId")
    replay_of: UUID | None = Field(serialization_alias="replayOf", description="the import replayed")
    outcome: Literal["started", "joined", "would start", "would join"]
    import_id: UUID | None = Field(
        serialization_alias="importId", description="the new import, or the running one joined"
    )


class ReplayAnswer(_Body):
    dry_run: bool = Field(serialization_alias="dryRun")
    started: int
    joined: int
    items: list[ReplayItem]


async def _select(sessions: async_sessionmaker[AsyncSession], body: ReplayRequest) -> list[replay.Target]:
    if body.requested_between is not None:
        return await replay.requested_between(*body.requested_between)
    async with sessions() as session:
        if body.artist is not None:
            found = await replay.by_artist(session, body.artist)
            if not found:
                raise HTTPException(404, "unknown artist")
            return found
        if body.import_id is not None:
            found = await replay.by_import(session, body.import_id)
            if not found:
                raise HTTPException(404, "unknown import")
            return found
        assert body.failed_since is not None
        return await replay.failed_since(session, body.failed_since)


async def _dry_run(sessions: async_sessionmaker[AsyncSession], targets: list[replay.Target]) -> ReplayAnswer:
    async with sessions() as session:
        running = await replay.running_imports(session, [t.tm_attraction_id for t in targets])
    items = [
        ReplayItem(
            tm_attraction_id=t.tm_attraction_id,
            artist_id=t.artist_id,
            replay_of=t.replay_of,
            outcome="would join" if t.tm_attraction_id in running else "would start",
            import_id=running.get(t.tm_attraction_id),
        )
        for t in targets
    ]
    joined = sum(i.outcome == "would join" for i in items)
    return ReplayAnswer(dry_run=True, started=len(items) - joined, joined=joined, items=items)


async def _replay(
    sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay, targets: list[replay.Target], rate: float
) -> ReplayAnswer:
    loop = asyncio.get_running_loop()
    next_at = loop.time()
    items = []
    for target in targets:
        await asyncio.sleep(max(0.0, next_at - loop.time()))  # the bounded rate: a pace, not a burst
        next_at = max(next_at, loop.time()) + 1 / rate
        accepted = await kickoff(sessions, relay, target.tm_attraction_id, "replay")
        items.append(
            ReplayItem(
                tm_attraction_id=target.tm_attraction_id,
                artist_id=accepted.artist_id,
                replay_of=target.replay_of,
                outcome="started" if accepted.created else "joined",
                import_id=accepted.import_id,
            )
        )
    started = sum(i.outcome == "started" for i in items)
    return ReplayAnswer(dry_run=False, started=started, joined=len(items) - started, items=items)


@router.post(
    "/replay",
    response_model=ReplayAnswer,
    response_model_by_alias=True,
    dependencies=[Depends(require_admin)],
    summary="Re-import a selection of artists as new imports (reason replay), paced",
    responses={
        **ADMIN_ERRORS,
        **BODY_ERRORS,
        404: {"model": ErrorBody, "description": "unknown artist or import"},
        422: {"model": ErrorBody, "description": "not exactly one selection, or a bad time"},
    },
)
async def replay_imports(
    body: ReplayRequest,
    sessions: Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)],
    relay: Annotated[OutboxRelay, Depends(get_relay)],
) -> ReplayAnswer:
    targets = await _select(sessions, body)
    if body.dry_run:
        return await _dry_run(sessions, targets)
    return await _replay(sessions, relay, targets, body.rate_per_s)
