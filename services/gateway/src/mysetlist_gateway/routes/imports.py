"""POST /api/artists/import: a fan starts an artist's import, or joins the one already running."""

import time

from fastapi import APIRouter, Depends

from mysetlist_common.metrics import KICKOFF_LATENCY
from mysetlist_common.web.http_api import BODY_ERRORS, RATE_LIMITED
from mysetlist_gateway.deps import Relay, Sessions, kickoff_allowed
from mysetlist_gateway.imports import start_or_join
from mysetlist_gateway.schemas.imports import ImportAccepted, StartImportBody

router = APIRouter(tags=["imports"])

# OpenAPI links: what a client (and Schemathesis' stateful tests) can do next with the answer.
_ARTIST_ID = {"artist_id": "$response.body#/artistId"}
ARTIST_LINKS = {
    name: {"operationId": operation_id, "parameters": _ARTIST_ID}
    for name, operation_id in (
        ("artist", "artist_by_id"),
        ("shows", "artist_shows"),
        ("songs", "artist_songs"),
        ("decisions", "catalog_decisions"),
        ("status", "import_status"),
        ("reimport", "reimport"),
    )
}


@router.post(
    "/api/artists/import",
    response_model=ImportAccepted,
    response_model_by_alias=True,
    summary="Start importing an artist (or join the import already running)",
    dependencies=[Depends(kickoff_allowed)],
    responses={
        200: {"links": ARTIST_LINKS},
        **BODY_ERRORS,
        **RATE_LIMITED,
    },
)
async def start_import(body: StartImportBody, sessions: Sessions, relay: Relay) -> ImportAccepted:
    started = time.perf_counter()
    try:
        return await start_or_join(sessions, relay, body.tm_attraction_id)
    finally:
        KICKOFF_LATENCY.observe(time.perf_counter() - started)
