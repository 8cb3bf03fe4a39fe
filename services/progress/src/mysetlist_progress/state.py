"""Pure import-state arithmetic: how an event changes a phase, overall progress, when an import settles."""

from datetime import UTC
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
from mysetlist_common.web.status import pending_phases

ENDED = ("completed", "failed")
UPSTREAM_NAMES = {"spotify": "Spotify", "ticketmaster": "Ticketmaster", "musicbrainz": "MusicBrainz"}
Phases = dict[str, dict[str, Any]]


def apply_event(phases: Phases, event: ProgressEvent) -> Phases:
    """The phases after `event`. Events of an ended phase never reopen it (late or redelivered events)."""
    if not isinstance(
        event,
        PhaseStartedEvent | PhaseProgressEvent | PhaseWaitingEvent | PhaseCompletedEvent | PhaseFailedEvent,
    ):
        return phases
    name = event.payload.phase.value
    phase = dict(phases.get(name) or pending_phases()[name])
    if phase["state"] in ENDED:
        return phases
    at = event.occurred_at.isoformat()
    if not isinstance(event, PhaseWaitingEvent):  # whatever follows a wait means it is over
        phase.pop("waiting_for", None)
        phase.pop("resume_at", None)
    match event:
        case PhaseStartedEvent():
            phase.update(state="running", started_at=at)
        case PhaseProgressEvent(payload=p):
            phase.update(state="running", done=p.done, total=p.total, percent=p.percent, message=p.message)
        case PhaseWaitingEvent(payload=p):
            phase.update(state="waiting", waiting_for=p.waiting_for, resume_at=p.resume_at.isoformat())
            when = p.resume_at.astimezone(UTC).strftime("%H:%M UTC")
            phase.update(
                message=f"waiting for {UPSTREAM_NAMES[p.waiting_for]}'s rate limit, resumes at {when}"
            )
        case PhaseCompletedEvent(payload=p):
            done = p.counts.get("done", phase.get("total") or phase["done"])
            phase.update(
                state="completed", ended_at=at, duration=p.duration_s, counts=p.counts, percent=100.0
            )
            phase.update(done=done, total=phase.get("total") or done, message=p.message or "done")
        case PhaseFailedEvent(payload=p):
            phase.update(
                state="failed", ended_at=at, duration=p.duration_s, error=p.error, retryable=p.retryable
            )
            phase.update(percent=100.0, message=p.error)
    return {**pending_phases(), **phases, name: phase}  # every phase listed, whichever spoke first


def overall_progress(phases: Phases) -> int:
    percents = [float(phases.get(p.value, {}).get("percent") or 0.0) for p in ALL_PHASES]
    return int(sum(percents) / len(percents))


def all_ended(phases: Phases) -> bool:
    return all(phases.get(p.value, {}).get("state") in ENDED for p in ALL_PHASES)


def outcomes(phases: Phases) -> dict[str, PhaseOutcome]:
    result = {}
    for p in ALL_PHASES:
        phase = phases.get(p.value, {})
        state = "completed" if phase.get("state") == "completed" else "failed"
        result[p.value] = PhaseOutcome(
            state=state,
            error=phase.get("error") if state == "failed" else None,
            counts=phase.get("counts") or {},
            duration_s=phase.get("duration"),
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
    running = [f"{name}: {ph['message']}" for name, ph in phases.items() if ph.get("message")]
    return "; ".join(running) or "Import running"
