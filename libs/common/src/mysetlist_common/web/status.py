"""The import status document: served by the progress service, relayed by the gateway, first SSE event."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mysetlist_common.messaging.events import ALL_PHASES

Stage = Literal["pending", "running", "completed", "failed"]
# A phase may also be waiting: parked on an upstream's rate limit or quota (the import stays running).
PhaseState = Literal["pending", "running", "waiting", "completed", "failed"]


class PhaseStatus(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)
    state: PhaseState
    done: int = 0
    total: int | None = None
    percent: float = 0.0
    duration: float | None = Field(default=None, description="seconds, once the phase ended")
    message: str = ""
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None
    waiting_for: Literal["spotify", "ticketmaster", "musicbrainz"] | None = Field(
        default=None, description="while waiting: the upstream whose rate limit or quota it waits for"
    )
    resume_at: datetime | None = Field(default=None, description="while waiting: when it resumes (UTC)")


class ImportStatusDocument(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)
    artist_id: UUID
    import_id: UUID
    stage: Stage
    progress: int = Field(ge=0, le=100)
    message: str
    updated_at: datetime
    last_event_id: int = Field(description="sequence of the last event this status includes")
    phases: dict[str, PhaseStatus] = Field(description="one entry per phase: shows, catalog")


def pending_phases() -> dict[str, dict[str, object]]:
    """Every phase of a new import before any event: the kickoff writes it, progress builds on it."""
    return {
        p.value: PhaseStatus(state="pending").model_dump(include={"state", "done", "total", "percent"})
        for p in ALL_PHASES
    }
