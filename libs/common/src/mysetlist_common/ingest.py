"""How an ingest service runs its phase for each ImportRequested: once per event, reported as progress.

A service supplies `work(event, reporter) -> PhaseResult`; this module owns the delivery rules: at-least-once
consumption in its own group, inbox dedupe, phase events, dead-lettering of messages that can never succeed.
"""

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError

from mysetlist_common.db.session import session_factory
from mysetlist_common.events import (
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
)
from mysetlist_common.inbox import already_processed, mark_processed
from mysetlist_common.kafka import consumer, dead_letter_message, redeliver_on_failure
from mysetlist_common.metrics import PHASE_DURATION
from mysetlist_common.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED, topic

log = logging.getLogger(__name__)

MAX_POLL_INTERVAL_MS = 20 * 60 * 1000


class PhaseError(Exception):
    """A phase failure with a message meant for the user."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class PhaseResult:
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""


class PhaseReporter:
    """Publishes one phase's events for one import, keyed by artist id."""

    def __init__(self, broker: KafkaBroker, request: ImportRequestedEvent, phase: Phase) -> None:
        self._broker = broker
        self._request = request
        self.phase = phase
        self._started = time.monotonic()

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self._started

    async def _publish(self, event: PhaseEvent) -> None:
        await self._broker.publish(event.model_dump(mode="json"), topic(IMPORTS_PROGRESS), key=event.key)

    def _ids(self) -> dict:
        return {"import_id": self._request.import_id, "artist_id": self._request.artist_id}

    async def started(self) -> None:
        self._started = time.monotonic()
        await self._publish(PhaseStartedEvent(**self._ids(), payload=PhaseStarted(phase=self.phase)))

    async def progress(self, done: int, total: int | None, message: str = "") -> None:
        percent = 0.0 if not total else min(100.0, 100.0 * done / total)
        payload = PhaseProgress(
            phase=self.phase, done=done, total=total, percent=round(percent, 1), message=message
        )
        await self._publish(PhaseProgressEvent(**self._ids(), payload=payload))

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


PhaseWork = Callable[[ImportRequestedEvent, PhaseReporter], Awaitable[PhaseResult]]


def register_phase_consumer(broker: KafkaBroker, phase: Phase, consumer_group: str, work: PhaseWork) -> None:
    """Subscribe `work` to imports.requested in its own consumer group."""
    sessions = session_factory()

    # a phase may outlast aiokafka's 5 min poll interval (quota waits): that must not cause a rebalance
    @consumer(broker, IMPORTS_REQUESTED, consumer_group, max_poll_interval_ms=MAX_POLL_INTERVAL_MS)
    async def handle(message: KafkaMessage) -> None:
        try:  # the raw bytes: FastStream would hand a JSON body over already decoded
            request = ImportRequestedEvent.model_validate_json(message.body)
        except ValidationError as exc:
            await dead_letter_message(broker, IMPORTS_REQUESTED, message, exc)
            return
        async with redeliver_on_failure(f"{phase} phase of import {request.import_id}"):
            async with sessions() as session:
                if await already_processed(session, consumer_group, request.event_id):
                    return
            reporter = PhaseReporter(broker, request, phase)
            await reporter.started()
            try:
                result = await work(request, reporter)
            except PhaseError as exc:
                await reporter.failed(str(exc), exc.retryable)
            except Exception as exc:
                # the full error goes to the log; users get its kind, never SQL, parameters or secrets
                log.exception("%s phase of import %s crashed", phase, request.import_id)
                await reporter.failed(
                    f"internal error ({type(exc).__name__}); the import can be retried", True
                )
            else:
                await reporter.completed(result)
            async with sessions.begin() as session:
                await mark_processed(session, consumer_group, request.event_id)
