"""POST /api/admin/replay: re-import a selection of artists, each as a NEW import with reason `replay`.

Never an offset rewind: every target goes through the one kickoff statement (so an artist with a running
import joins it), at a bounded rate, and replay phases are background work (`phase_jobs.priority_of`), so
a replay of thousands queues behind users' imports instead of flooding the ingest services and upstreams.
"""

import asyncio

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging import replay
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.web.http_api import BODY_ERRORS, ErrorBody
from mysetlist_gateway.deps import ADMIN_ERRORS, Relay, Sessions, require_admin
from mysetlist_gateway.imports import start_or_join
from mysetlist_gateway.schemas.replay import ReplayAnswer, ReplayItem, ReplayRequest

router = APIRouter(prefix="/api/admin", tags=["admin"])


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
        accepted = await start_or_join(sessions, relay, target.tm_attraction_id, "replay")
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
async def replay_imports(body: ReplayRequest, sessions: Sessions, relay: Relay) -> ReplayAnswer:
    targets = await _select(sessions, body)
    if body.dry_run:
        return await _dry_run(sessions, targets)
    return await _replay(sessions, relay, targets, body.rate_per_s)
