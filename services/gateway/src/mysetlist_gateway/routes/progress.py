"""One origin for the browser: /api/artists/{id}/status and /stream are relayed to the progress service.

The stream is passed through chunk by chunk as it arrives (no buffering), with Last-Event-ID forwarded
so a reconnecting EventSource resumes exactly where it left off; when the client goes away the
upstream request is closed, so the progress service frees its subscription at once.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from mysetlist_common.settings import get_settings
from mysetlist_common.web.client_limits import HeldStream, client_of
from mysetlist_common.web.http_api import BIGINT_MAX, RATE_LIMITED, ErrorBody
from mysetlist_common.web.status import ImportStatusDocument
from mysetlist_gateway.deps import ProgressClient, Slots


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # no read timeout: a stream is quiet between events (the progress service sends heartbeats)
    timeout = httpx.Timeout(10.0, read=None)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=20)
    async with httpx.AsyncClient(
        base_url=get_settings().progress_base_url, timeout=timeout, limits=limits
    ) as client:
        app.state.progress_client = client
        yield


router = APIRouter(tags=["progress"], lifespan=lifespan)

UNREACHABLE = "progress service unreachable"
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "unknown artist, or never imported"},
    502: {"model": ErrorBody, "description": UNREACHABLE},
}
# hop-by-hop and length headers are the proxy's own business
_DROP = {
    "connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "server", "date"
}  # fmt: skip


def _passthrough_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in _DROP}


@router.get(
    "/api/artists/{artist_id:uuid}/status",
    operation_id="import_status",
    summary="The artist's import status (relayed from the progress service)",
    responses={
        200: {"model": ImportStatusDocument, "description": "the latest import's status"},
        **ERRORS,
    },
)
async def status(artist_id: UUID, client: ProgressClient) -> Response:
    try:
        upstream = await client.get(f"/api/artists/{artist_id}/status")
    except httpx.TransportError:
        return JSONResponse({"detail": UNREACHABLE}, status_code=502)
    return Response(upstream.content, upstream.status_code, headers=_passthrough_headers(upstream))


@router.get(
    "/api/artists/{artist_id:uuid}/stream",
    response_class=StreamingResponse,
    summary="Server-Sent Events of the artist's import (relayed from the progress service)",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`status` first, then each event with id = sequence; resumable with Last-Event-ID",
        },
        **ERRORS,
        **RATE_LIMITED,
    },
)
async def stream(
    artist_id: UUID,
    request: Request,
    client: ProgressClient,
    slots: Slots,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id_query: Annotated[int | None, Query(alias="lastEventId", ge=0, le=BIGINT_MAX)] = None,
) -> Response:
    free = slots.take(request)  # 429 past SSE_STREAMS_PER_CLIENT; freed when the relayed stream ends
    try:
        return await _relay_stream(request, client, artist_id, last_event_id, last_event_id_query, free)
    except BaseException:
        free()
        raise


async def _relay_stream(
    request: Request,
    client: httpx.AsyncClient,
    artist_id: UUID,
    last_event_id: str | None,
    last_event_id_query: int | None,
    free: Callable[[], None],
) -> Response:
    # the progress service counts its streams per client too: it believes this only when it trusts us
    headers = {"Accept": "text/event-stream", "X-Forwarded-For": client_of(request)}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    params = {"lastEventId": str(last_event_id_query)} if last_event_id_query is not None else {}
    upstream_request = client.build_request(
        "GET", f"/api/artists/{artist_id}/stream", headers=headers, params=params
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.TransportError:
        free()
        return JSONResponse({"detail": UNREACHABLE}, status_code=502)
    if upstream.status_code != 200:
        body = await upstream.aread()
        await upstream.aclose()
        free()
        return Response(body, upstream.status_code, headers=_passthrough_headers(upstream))

    async def relay() -> AsyncIterator[bytes]:
        # Starlette cancels this generator when the client disconnects; finally closes the upstream then
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.TransportError:
            return  # the progress service went away: end the stream, EventSource reconnects
        finally:
            await upstream.aclose()

    out_headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return HeldStream(relay(), media_type="text/event-stream", headers=out_headers, release=free)
