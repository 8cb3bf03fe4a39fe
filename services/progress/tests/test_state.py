"""How events move an import's phases, overall progress and outcome (pure)."""

from uuid import uuid4

from mysetlist_common.messaging.events import (
    Phase,
    PhaseCompleted,
    PhaseCompletedEvent,
    PhaseFailed,
    PhaseFailedEvent,
    PhaseProgress,
    PhaseProgressEvent,
    PhaseStarted,
    PhaseStartedEvent,
)
from mysetlist_progress.state import (
    all_ended,
    apply_event,
    failure_summary,
    overall_progress,
    pending,
    status_message,
)

IDS = {"import_id": uuid4(), "artist_id": uuid4()}


def started(phase: Phase) -> PhaseStartedEvent:
    return PhaseStartedEvent(**IDS, payload=PhaseStarted(phase=phase))


def progress(phase: Phase, done: int, total: int) -> PhaseProgressEvent:
    payload = PhaseProgress(
        phase=phase, done=done, total=total, percent=100 * done / total, message=f"{done}/{total}"
    )
    return PhaseProgressEvent(**IDS, payload=payload)


def completed(phase: Phase) -> PhaseCompletedEvent:
    return PhaseCompletedEvent(
        **IDS, payload=PhaseCompleted(phase=phase, counts={"stored": 4}, duration_s=2.5)
    )


def failed(phase: Phase, error: str) -> PhaseFailedEvent:
    return PhaseFailedEvent(**IDS, payload=PhaseFailed(phase=phase, error=error, duration_s=1.0))


def test_progress_averages_the_phases() -> None:
    phases = pending()
    assert overall_progress(phases) == 0
    phases = apply_event(apply_event(phases, started(Phase.SHOWS)), progress(Phase.SHOWS, 1, 2))
    assert phases["shows"].state == "running" and phases["shows"].done == 1
    assert overall_progress(phases) == 25
    phases = apply_event(phases, completed(Phase.SHOWS))
    assert overall_progress(phases) == 50
    assert not all_ended(phases)


def test_completed_phase_keeps_duration_and_counts_and_ignores_late_events() -> None:
    phases = apply_event(pending(), progress(Phase.CATALOG, 3, 4))
    phases = apply_event(phases, completed(Phase.CATALOG))
    after_late = apply_event(phases, progress(Phase.CATALOG, 1, 4))  # a redelivered old event
    assert after_late == phases
    assert phases["catalog"].duration == 2.5 and phases["catalog"].counts == {"stored": 4}


def test_failed_phase_names_itself_in_the_summary() -> None:
    phases = apply_event(pending(), completed(Phase.SHOWS))
    phases = apply_event(phases, failed(Phase.CATALOG, "Spotify quota exceeded"))
    assert all_ended(phases)
    assert failure_summary(phases) == "catalog failed: Spotify quota exceeded"
    assert status_message(phases, "failed") == "catalog failed: Spotify quota exceeded"


def test_all_completed_means_no_failure() -> None:
    phases = apply_event(apply_event(pending(), completed(Phase.SHOWS)), completed(Phase.CATALOG))
    assert all_ended(phases) and failure_summary(phases) is None
