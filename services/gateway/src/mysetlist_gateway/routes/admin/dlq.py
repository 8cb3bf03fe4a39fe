"""Dead letters for operators: GET /api/admin/dlq, GET /api/admin/dlq/{ref}, POST /api/admin/dlq/{ref}/replay.

`ref` is `topic:partition:offset` of a dead-letter topic. Sending one back is for after its cause is fixed
(say, a consumer upgraded to an event version it did not know); each is sent back at most once.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from mysetlist_common.messaging import dlq
from mysetlist_common.web.http_api import BODY_ERRORS, ErrorBody
from mysetlist_gateway.deps import ADMIN_ERRORS, Relay, Sessions, require_admin
from mysetlist_gateway.schemas.dlq import DeadLetterDetail, DeadLetterItem, DeadLetterList, Replayed

router = APIRouter(prefix="/api/admin/dlq", tags=["admin"], dependencies=[Depends(require_admin)])
UNKNOWN = "no such dead letter (name it topic:partition:offset of a .dlq topic)"
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": UNKNOWN}}


def _fields(letter: dlq.DeadLetter, replayed: dict[str, datetime]) -> dict[str, Any]:
    peek = letter.peek()
    return {
        "id": letter.ref,
        "topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "timestamp": letter.timestamp,
        "origin": letter.origin,
        "key": letter.key.decode(errors="replace") if letter.key is not None else None,
        "error": letter.error,
        "type": peek.get("type") if isinstance(peek.get("type"), str) else None,
        "version": peek.get("version") if isinstance(peek.get("version"), int) else None,
        "event_id": str(peek["event_id"]) if peek.get("event_id") else None,
        "import_id": str(peek["import_id"]) if peek.get("import_id") else None,
        "replayed_at": replayed.get(letter.ref),
    }


async def _found(ref: str) -> dlq.DeadLetter:
    letter = await dlq.get_dead_letter(ref)
    if letter is None:
        raise HTTPException(404, UNKNOWN)
    return letter


@router.get("", response_model=DeadLetterList, response_model_by_alias=True, responses=ADMIN_ERRORS)
async def list_dead_letters(
    sessions: Sessions,
    topic: Annotated[str | None, Query(description="one dead-letter topic; all by default")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeadLetterList:
    """The newest `limit` dead letters, oldest first."""
    letters = await dlq.list_dead_letters(topic)
    shown = letters[-limit:]
    async with sessions() as session:
        replayed = await dlq.replayed_at(session, shown)
    return DeadLetterList(total=len(letters), items=[DeadLetterItem(**_fields(d, replayed)) for d in shown])


@router.get(
    "/{ref}",
    response_model=DeadLetterDetail,
    response_model_by_alias=True,
    responses={**ADMIN_ERRORS, **NOT_FOUND},
)
async def show_dead_letter(ref: str, sessions: Sessions) -> DeadLetterDetail:
    letter = await _found(ref)
    async with sessions() as session:
        replayed = await dlq.replayed_at(session, [letter])
    body = letter.value.decode(errors="replace")
    return DeadLetterDetail(**_fields(letter, replayed), headers=letter.headers, body=body)


@router.post(
    "/{ref}/replay",
    response_model=Replayed,
    response_model_by_alias=True,
    responses={
        **ADMIN_ERRORS,
        **BODY_ERRORS,
        **NOT_FOUND,
        409: {"model": ErrorBody, "description": "already sent back"},
    },
)
async def replay_dead_letter(ref: str, sessions: Sessions, relay: Relay) -> Replayed:
    letter = await _found(ref)
    at = await dlq.send_back(sessions, relay.broker, letter)
    if at is None:
        async with sessions() as session:
            before = (await dlq.replayed_at(session, [letter])).get(letter.ref)
        raise HTTPException(409, f"{letter.ref} was sent back already, at {before}")
    return Replayed(id=letter.ref, sent_to=letter.origin, replayed_at=at)
