"""What a phase tells the world: its events (started, progress, waiting, completed, failed) and its errors."""

import time
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker

from mysetlist_common.messaging.events import (
    ImportRequestedEvent,
    Phase,
    PhaseCompleted,
    PhaseCompletedEvent,
    PhaseEvent,
    PhaseFailed,
    PhaseFailedEvent,
    PhaseProgress,
    PhaseProgressEvent,
    PhaseStarted,
    PhaseStartedEvent,
    PhaseWaiting,
    PhaseWaitingEvent,
)
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, topic
from mysetlist_common.metrics import PHASE_DURATION
from mysetlist_common.upstream.calls import Parked


class PhaseError(Exception):
    """A phase failure with a message meant for the user. Retryable ones are tried again after a backoff
    (waiting for `upstream` when one is named); the others fail the phase at once."""

    def __init__(self, message: str, *, retryable: bool = False, upstream: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.upstream = upstream


@dataclass
class PhaseResult:
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""


class PhaseReporter:
    """Publishes one phase's events for one import, keyed by artist id."""

    def __init__(self, broker: KafkaBroker, requested: ImportRequestedEvent, phase: Phase) -> None:
        self._broker = broker
        self._requested = requested
        self.phase = phase
        self._started = time.monotonic()

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    async def _publish(self, event: PhaseEvent) -> None:
        await self._broker.publish(event.model_dump(mode="json"), topic(IMPORTS_PROGRESS), key=event.key)

    def _ids(self) -> dict:
        return {"import_id": self._requested.import_id, "artist_id": self._requested.artist_id}

    async def started(self) -> None:
        self._started = time.monotonic()
        await self._publish(PhaseStartedEvent(**self._ids(), payload=PhaseStarted(phase=self.phase)))

    async def progress(self, done: int, total: int | None, message: str = "") -> None:
        percent = 0.0 if not total else min(100.0, 100.0 * done / total)
        payload = PhaseProgress(
            phase=self.phase, done=done, total=total, percent=round(percent, 1), message=message
        )
        await self._publish(PhaseProgressEvent(**self._ids(), payload=payload))

    async def waiting(self, parked: Parked) -> None:
        payload = PhaseWaiting(
            phase=self.phase,
            waiting_for=parked.upstream,
            resume_at=parked.resume_at_utc,
            reason=parked.reason[:500],
        )
        await self._publish(PhaseWaitingEvent(**self._ids(), payload=payload))

    async def completed(self, result: PhaseResult) -> None:
        duration = self.elapsed_s
        PHASE_DURATION.labels(self.phase.value, "completed").observe(duration)
        payload = PhaseCompleted(
            phase=self.phase, counts=result.counts, duration_s=round(duration, 3), message=result.message
        )
        await self._publish(PhaseCompletedEvent(**self._ids(), payload=payload))

    async def failed(self, error: str, retryable: bool) -> None:
        duration = self.elapsed_s
        PHASE_DURATION.labels(self.phase.value, "failed").observe(duration)
        payload = PhaseFailed(
            phase=self.phase, error=error, retryable=retryable, duration_s=round(duration, 3)
        )
        await self._publish(PhaseFailedEvent(**self._ids(), payload=payload))
