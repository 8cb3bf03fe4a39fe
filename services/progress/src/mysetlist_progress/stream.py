"""GET /api/artists/{id}/stream: Server-Sent Events of an artist's import, resumable with Last-Event-ID.

It only observes: it never starts or restarts work. Events come from the progress_event table, so every
replica streams every event, whichever replica consumed it.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.schema import ProgressEventRow
from mysetlist_common.metrics import SSE_CLIENTS, SSE_DELIVERY_LATENCY
from mysetlist_common.web.client_limits import HeldStream, StreamSlots
from mysetlist_common.web.http_api import BIGINT_MAX, RATE_LIMITED, ErrorBody
from mysetlist_common.web.sse import format_sse
from mysetlist_progress.notifier import Notifier
from mysetlist_progress.status import Sessions, require_status

router = APIRouter(tags=["progress"])

RETRY_MS = 2000
POLL_FALLBACK_S = 1.0  # covers a lost notification
TERMINAL = "ImportFinished"


async def _events_after(sessions: async_sessionmaker[AsyncSession], import_id: UUID, after: int) -> list:
    async with sessions() as session:
        rows = await session.execute(
            select(
                ProgressEventRow.seq,
                ProgressEventRow.type,
                ProgressEventRow.data,
                ProgressEventRow.occurred_at,
            )
            .where(ProgressEventRow.import_id == import_id, ProgressEventRow.seq > after)
            .order_by(ProgressEventRow.seq)
        )
        return list(rows.all())


async def event_stream(
    request: Request, sessions: async_sessionmaker[AsyncSession], artist_id: UUID, last_event_id: int | None
) -> AsyncIterator[str]:
    notifier: Notifier = request.app.state.notifier
    heartbeat_s: float = request.app.state.heartbeat_s
    with notifier.subscribe(artist_id) as wakeup:  # subscribe before reading: no event slips between
        status = await require_status(sessions, artist_id)
        yield f"retry: {RETRY_MS}\n\n"
        yield format_sse(status.model_dump_json(), event="status")
        cursor = status.last_event_id if last_event_id is None else last_event_id
        if (
            cursor > status.last_event_id
        ):  # an id from an earlier import of the artist: this one from its start
            cursor = 0
        recorded_before_connect = status.last_event_id
        if status.stage in ("completed", "failed") and cursor >= status.last_event_id:
            return
        last_write = time.monotonic()
        while True:
            wakeup.clear()
            for seq, kind, data, occurred_at in await _events_after(sessions, status.import_id, cursor):
                yield format_sse(json.dumps(data), event=kind, id=seq)
                if seq > recorded_before_connect:  # live delivery; replayed history would skew the SLO
                    SSE_DELIVERY_LATENCY.observe(max(0.0, (datetime.now(UTC) - occurred_at).total_seconds()))
                cursor, last_write = seq, time.monotonic()
                if kind == TERMINAL:
                    return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_FALLBACK_S):
                    await wakeup.wait()
            if time.monotonic() - last_write >= heartbeat_s:
                yield ": heartbeat\n\n"
                last_write = time.monotonic()


@router.get(
    "/api/artists/{artist_id:uuid}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "status, then each event with id = sequence",
        },
        404: {"model": ErrorBody, "description": "unknown artist, or never imported"},
        **RATE_LIMITED,
    },
)
async def stream(
    artist_id: UUID,
    request: Request,
    sessions: Sessions,
    last_event_id_header: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=BIGINT_MAX)] = None,
    last_event_id_query: Annotated[int | None, Query(alias="lastEventId", ge=0, le=BIGINT_MAX)] = None,
) -> StreamingResponse:
    await require_status(sessions, artist_id)  # 404 before the stream opens
    slots: StreamSlots = request.app.state.stream_slots
    free = slots.take(request)  # 429 past SSE_STREAMS_PER_CLIENT; HeldStream frees it
    last_event_id = last_event_id_header if last_event_id_header is not None else last_event_id_query

    async def counted() -> AsyncIterator[str]:
        SSE_CLIENTS.inc()
        try:
            async for chunk in event_stream(request, sessions, artist_id, last_event_id):
                yield chunk
        finally:
            SSE_CLIENTS.dec()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return HeldStream(counted(), media_type="text/event-stream", headers=headers, release=free)
