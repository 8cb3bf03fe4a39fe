"""The shows phase given answers of the wrong shape: a clear, retryable PhaseError and nothing half-stored.

Ticketmaster is an in-memory double here (the simulator cannot send a wrong shape; its 'truncated' and
'html' faults are retried by the HTTP layer, see test_shows_phase); PostgreSQL is real.
"""

from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequested, ImportRequestedEvent
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter
from mysetlist_common.settings import get_settings
from mysetlist_shows_ingest.phase import ShowsPhase

pytestmark = pytest.mark.real


class Progress:
    """The reporter as the phase uses it (progress only)."""

    async def progress(self, done: int, total: int | None, message: str = "") -> None:
        pass


def _ticketmaster(attraction: Any, events: Any) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = attraction if "/attractions/" in request.url.path else events
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


async def _run(tm_attraction_id: str, transport: httpx.MockTransport) -> tuple[PhaseError, UUID]:
    sessions = session_factory()
    async with sessions.begin() as session:
        artist_id = await session.scalar(
            text("INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:n, :s, :t) RETURNING id"),
            {"n": tm_attraction_id, "s": f"tm-{tm_attraction_id.lower()}", "t": tm_attraction_id},
        )
    requested = ImportRequestedEvent(
        import_id=uuid4(), artist_id=artist_id, payload=ImportRequested(tm_attraction_id=tm_attraction_id)
    )
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(PhaseError) as caught:
            await ShowsPhase(get_settings(), sessions, http).run(requested, cast(PhaseReporter, Progress()))
    return caught.value, artist_id


async def _shows() -> int:
    """Shows in this module's own database (no test here stores any)."""
    async with session_factory()() as session:
        return int(await session.scalar(text("SELECT count(*) FROM show")) or 0)


EMPTY_PAGE = {"page": {"size": 200, "totalElements": 0, "totalPages": 0, "number": 0}}


async def test_a_malformed_attraction_fails_the_phase_naming_it(stack_env: dict[str, str]) -> None:
    tm_attraction_id = f"K8vBroken{uuid4().hex[:6]}"
    error, artist_id = await _run(
        tm_attraction_id, _ticketmaster({"id": tm_attraction_id, "images": []}, EMPTY_PAGE)
    )
    assert str(error) == f"Ticketmaster sent a malformed attraction {tm_attraction_id}: name: Field required"
    assert error.retryable
    async with session_factory()() as session:
        synced = await session.scalar(
            text("SELECT identity_synced_at FROM artist WHERE id = :a"), {"a": artist_id}
        )
    assert synced is None  # no identity was recorded from a broken answer


async def test_a_non_object_events_page_fails_the_phase_and_stores_no_show(stack_env: dict[str, str]) -> None:
    tm_attraction_id = f"K8vListy{uuid4().hex[:6]}"
    attraction = {"id": tm_attraction_id, "name": "A Band"}
    error, _ = await _run(tm_attraction_id, _ticketmaster(attraction, [{"id": "E1", "name": "Show"}]))
    assert str(error) == (
        f"Ticketmaster sent a malformed events page 1 of attraction {tm_attraction_id}: "
        "an events page must be a JSON object, got list"
    )
    assert error.retryable and await _shows() == 0
