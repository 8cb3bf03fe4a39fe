"""Pure import-state arithmetic: how an event changes a phase, overall progress, when an import settles."""

from datetime import UTC, datetime
from typing import Any

from mysetlist_common.messaging.events import (
    ALL_PHASES,
    PhaseCompletedEvent,
    PhaseFailedEvent,
    PhaseOutcome,
    PhaseProgressEvent,
    PhaseStartedEvent,
    PhaseWaitingEvent,
    ProgressEvent,
)
from mysetlist_common.web.status import PhaseStatus

ENDED = ("completed", "failed")
UPSTREAM_NAMES = {"spotify": "Spotify", "ticketmaster": "Ticketmaster", "musicbrainz": "MusicBrainz"}


class PhaseRecord(PhaseStatus):
    """A phase as progress records it: its status as served, and what is recorded but not served."""

    started_at: datetime | None = None
    ended_at: datetime | None = None
    retryable: bool | None = None

    def status(self) -> PhaseStatus:
        """The served part: the status document lists exactly PhaseStatus's fields."""
        return PhaseStatus.model_validate(self.model_dump(include=set(PhaseStatus.model_fields)))


Phases = dict[str, PhaseRecord]


def pending() -> Phases:
    """Every phase of a new import before any event."""
    return {p.value: PhaseRecord(state="pending") for p in ALL_PHASES}


def load_phases(stored: dict[str, dict[str, Any]] | None) -> Phases:
    """The phases as stored in import_run / import_status (snake_case JSON; unknown keys ignored)."""
    return {name: PhaseRecord.model_validate(raw) for name, raw in (stored or {}).items()}


def dump_phases(phases: Phases) -> dict[str, dict[str, Any]]:
    """The JSON stored in import_run / import_status: snake_case, fields without a value left out."""
    return {
        name: phase.model_dump(mode="json", by_alias=False, exclude_none=True)
        for name, phase in phases.items()
    }


def apply_event(phases: Phases, event: ProgressEvent) -> Phases:
    """The phases after `event`. Events of an ended phase never reopen it (late or redelivered events)."""
    if not isinstance(
        event,
        PhaseStartedEvent | PhaseProgressEvent | PhaseWaitingEvent | PhaseCompletedEvent | PhaseFailedEvent,
    ):
        return phases
    name = event.payload.phase.value
    phase = phases.get(name) or pending()[name]
    if phase.state in ENDED:
        return phases
    at = event.occurred_at
    if not isinstance(event, PhaseWaitingEvent):  # whatever follows a wait means it is over
        phase = phase.model_copy(update={"waiting_for": None, "resume_at": None})
    match event:
        case PhaseStartedEvent():
            phase = phase.model_copy(update={"state": "running", "started_at": at})
        case PhaseProgressEvent(payload=p):
            phase = phase.model_copy(
                update={
                    "state": "running",
                    "done": p.done,
                    "total": p.total,
                    "percent": p.percent,
                    "message": p.message,
                }
            )
        case PhaseWaitingEvent(payload=p):
            when = p.resume_at.astimezone(UTC).strftime("%H:%M UTC")
            phase = phase.model_copy(
                update={
                    "state": "waiting",
                    "waiting_for": p.waiting_for,
                    "resume_at": p.resume_at,
                    "message": f"waiting for {UPSTREAM_NAMES[p.waiting_for]}'s rate limit, resumes at {when}",
                }
            )
        case PhaseCompletedEvent(payload=p):
            done = p.counts.get("done", phase.total or phase.done)
            phase = phase.model_copy(
                update={
                    **_ended("completed", at, p.duration_s),
                    "counts": p.counts,
                    "done": done,
                    "total": phase.total or done,
                    "message": p.message or "done",
                }
            )
        case PhaseFailedEvent(payload=p):
            phase = phase.model_copy(
                update={
                    **_ended("failed", at, p.duration_s),
                    "error": p.error,
                    "retryable": p.retryable,
                    "message": p.error,
                }
            )
    return {**pending(), **phases, name: phase}  # every phase listed, whichever spoke first


def _ended(state: str, at: datetime, duration_s: float | None) -> dict[str, Any]:
    """What every ended phase records, whether it completed or failed: when, how long, and a full bar."""
    return {"state": state, "ended_at": at, "duration": duration_s, "percent": 100.0}


def failed_as_stalled(phase: PhaseRecord | None, stall_after_s: float) -> PhaseRecord:
    """A phase that went silent, failed by the watchdog."""
    return (phase or PhaseRecord(state="pending")).model_copy(
        update={
            "state": "failed",
            "percent": 100.0,
            "error": f"stalled: no progress for {stall_after_s:.0f} s",
        }
    )


def overall_progress(phases: Phases) -> int:
    percents = [phases[p.value].percent if p.value in phases else 0.0 for p in ALL_PHASES]
    return int(sum(percents) / len(percents))


def ended(phases: Phases, name: str) -> bool:
    return name in phases and phases[name].state in ENDED


def all_ended(phases: Phases) -> bool:
    return all(ended(phases, p.value) for p in ALL_PHASES)


def outcomes(phases: Phases) -> dict[str, PhaseOutcome]:
    result = {}
    for p in ALL_PHASES:
        phase = phases.get(p.value)
        state = "completed" if phase is not None and phase.state == "completed" else "failed"
        result[p.value] = PhaseOutcome(
            state=state,
            error=phase.error if phase is not None and state == "failed" else None,
            counts=phase.counts if phase is not None else {},
            duration_s=phase.duration if phase is not None else None,
        )
    return result


def failure_summary(phases: Phases) -> str | None:
    """'catalog failed: <reason>' for every failed phase, or None when all completed."""
    failed = [
        f"{name} failed: {o.error or 'unknown error'}"
        for name, o in outcomes(phases).items()
        if o.state == "failed"
    ]
    return "; ".join(failed) or None


def status_message(phases: Phases, stage: str) -> str:
    if stage == "completed":
        return "Import completed"
    if stage == "failed":
        return failure_summary(phases) or "Import failed"
    running = [f"{name}: {ph.message}" for name, ph in phases.items() if ph.message]
    return "; ".join(running) or "Import running"
