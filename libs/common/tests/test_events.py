"""Event contracts: one envelope, a discriminated union on `type`, a committed AsyncAPI document."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from mysetlist_common.messaging.events import (
    ImportFinished,
    ImportFinishedEvent,
    ImportRequested,
    ImportRequestedEvent,
    Phase,
    PhaseFailed,
    PhaseFailedEvent,
    PhaseOutcome,
    PhaseProgress,
    PhaseProgressEvent,
    progress_event_adapter,
)
from mysetlist_devtools import asyncapi


def ids() -> dict:
    return {"import_id": uuid4(), "artist_id": uuid4()}


def test_envelope_carries_id_type_version_time_and_is_keyed_by_artist() -> None:
    event = ImportRequestedEvent(**ids(), payload=ImportRequested(tm_attraction_id="K8vZ9171ob7"))
    body = event.model_dump(mode="json")
    assert set(body) == {"event_id", "type", "version", "occurred_at", "import_id", "artist_id", "payload"}
    assert body["type"] == "ImportRequested" and body["version"] == 1
    assert body["payload"] == {"tm_attraction_id": "K8vZ9171ob7", "reason": "user", "mode": "incremental"}
    assert event.key == str(event.artist_id).encode()
    assert datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    assert ImportRequestedEvent.model_validate_json(event.model_dump_json()) == event


def test_progress_events_parse_to_their_own_type() -> None:
    events = [
        PhaseProgressEvent(**ids(), payload=PhaseProgress(phase=Phase.SHOWS, done=3, total=9, percent=33.3)),
        PhaseFailedEvent(
            **ids(), payload=PhaseFailed(phase=Phase.CATALOG, error="Spotify 401", retryable=False)
        ),
        ImportFinishedEvent(
            **ids(),
            payload=ImportFinished(
                outcome="failed",
                phases={
                    Phase.SHOWS: PhaseOutcome(state="completed", counts={"shows_stored": 3}, duration_s=1.5),
                    Phase.CATALOG: PhaseOutcome(state="failed", error="Spotify 401"),
                },
            ),
        ),
    ]
    for event in events:
        assert progress_event_adapter.validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "PhaseProgress"}',
        b'{"type": "Nope", "import_id": "x"}',
        b"not json",
    ],
)
def test_malformed_progress_events_are_rejected(body: bytes) -> None:
    with pytest.raises(ValidationError):
        progress_event_adapter.validate_json(body)


def test_percent_is_bounded_and_reason_is_closed() -> None:
    with pytest.raises(ValidationError):
        PhaseProgress(phase=Phase.SHOWS, done=1, total=1, percent=101)
    with pytest.raises(ValidationError):
        ImportRequested(tm_attraction_id="x", reason="because")  # type: ignore[arg-type]


def test_occurred_at_is_utc_now() -> None:
    event = ImportRequestedEvent(**ids(), payload=ImportRequested(tm_attraction_id="x"))
    assert abs((datetime.now(UTC) - event.occurred_at).total_seconds()) < 5


def test_committed_asyncapi_document_is_current() -> None:
    assert asyncapi.DOCUMENT.read_text() == asyncapi.build(), (
        "docs/asyncapi.yaml is stale: run `uv run python -m mysetlist_devtools.asyncapi`"
    )
    assert "PhaseFailedEvent" in asyncapi.build() and "ImportRequestedEvent" in asyncapi.build()
