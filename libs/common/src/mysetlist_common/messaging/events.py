"""Event contracts. Each event type X has a payload model `X` (what happened: `ImportRequested`) and an
envelope `XEvent` (what goes on the wire: ids, time, version, `type: "X"` and the payload). Variables
holding one are named for the event (`requested`), never `request`, which means an HTTP request here."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = 1


class Phase(StrEnum):
    SHOWS = "shows"
    CATALOG = "catalog"


ALL_PHASES: tuple[Phase, ...] = (Phase.SHOWS, Phase.CATALOG)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


ImportReason = Literal["user", "resync", "replay"]
# incremental: an artist imported before fetches only what may have changed (upcoming events, new
# releases); full: everything again. A first import is always full.
ImportMode = Literal["incremental", "full"]


class ImportRequested(_Model):
    tm_attraction_id: str
    reason: ImportReason = "user"
    mode: ImportMode = "incremental"


class PhaseStarted(_Model):
    phase: Phase


class PhaseProgress(_Model):
    phase: Phase
    done: int
    total: int | None = None
    percent: float = Field(ge=0, le=100)
    message: str = ""


class PhaseCompleted(_Model):
    phase: Phase
    counts: dict[str, int] = Field(default_factory=dict)
    duration_s: float
    message: str = ""


class PhaseFailed(_Model):
    phase: Phase
    error: str
    retryable: bool = False
    duration_s: float | None = None


class PhaseWaiting(_Model):
    """The phase is parked until `resume_at`: an upstream's rate limit or quota, not a failure."""

    phase: Phase
    waiting_for: Literal["spotify", "ticketmaster", "musicbrainz"]
    resume_at: datetime
    reason: str = ""


class PhaseOutcome(_Model):
    state: Literal["completed", "failed"]
    error: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    duration_s: float | None = None


class ImportFinished(_Model):
    outcome: Literal["completed", "failed"]
    phases: dict[Phase, PhaseOutcome]
    message: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class _Envelope(_Model):
    event_id: UUID = Field(default_factory=uuid4)
    version: int = SCHEMA_VERSION
    occurred_at: datetime = Field(default_factory=_now)
    import_id: UUID
    artist_id: UUID

    @property
    def key(self) -> bytes:
        """Kafka key: the artist id, so an artist's events keep their order."""
        return str(self.artist_id).encode()


class ImportRequestedEvent(_Envelope):
    type: Literal["ImportRequested"] = "ImportRequested"
    payload: ImportRequested

    @classmethod
    def json_but_artist(cls, import_id: UUID, payload: ImportRequested) -> str:
        """The event as JSON but for its artist id: the gateway's kickoff learns that id in the statement
        that writes the event to the outbox, and adds it there."""
        # model_construct skips validation, so the one field not known yet may be left out
        event = cls.model_construct(import_id=import_id, payload=payload)  # type: ignore[call-arg]
        return event.model_dump_json(exclude={"artist_id"})


class PhaseStartedEvent(_Envelope):
    type: Literal["PhaseStarted"] = "PhaseStarted"
    payload: PhaseStarted


class PhaseProgressEvent(_Envelope):
    type: Literal["PhaseProgress"] = "PhaseProgress"
    payload: PhaseProgress


class PhaseCompletedEvent(_Envelope):
    type: Literal["PhaseCompleted"] = "PhaseCompleted"
    payload: PhaseCompleted


class PhaseWaitingEvent(_Envelope):
    type: Literal["PhaseWaiting"] = "PhaseWaiting"
    payload: PhaseWaiting


class PhaseFailedEvent(_Envelope):
    type: Literal["PhaseFailed"] = "PhaseFailed"
    payload: PhaseFailed


class ImportFinishedEvent(_Envelope):
    type: Literal["ImportFinished"] = "ImportFinished"
    payload: ImportFinished


PhaseEvent = (
    PhaseStartedEvent | PhaseProgressEvent | PhaseWaitingEvent | PhaseCompletedEvent | PhaseFailedEvent
)
ProgressEvent = Annotated[PhaseEvent | ImportFinishedEvent, Field(discriminator="type")]
progress_event_adapter: TypeAdapter[ProgressEvent] = TypeAdapter(ProgressEvent)
