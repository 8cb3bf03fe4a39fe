"""Records progress events: gapless per-import sequence, import_run and import_status, settling the import."""

import logging
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.db.schema import ImportRun, ImportStatus, PhaseJob, ProgressEventRow, Show, ShowArtist
from mysetlist_common.messaging.events import ImportFinished, ImportFinishedEvent, Phase, ProgressEvent
from mysetlist_common.messaging.inbox import mark_processed
from mysetlist_common.messaging.outbox import enqueue
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, topic
from mysetlist_common.metrics import IMPORTS_FINISHED
from mysetlist_progress.state import (
    ENDED,
    Phases,
    all_ended,
    apply_event,
    dump_phases,
    ended,
    failed_as_stalled,
    failure_summary,
    load_phases,
    outcomes,
    overall_progress,
    status_message,
)

log = logging.getLogger(__name__)

CONSUMER = "progress"
NOTIFY_CHANNEL = "progress_events"


async def _append(session: AsyncSession, event: ProgressEvent) -> int | None:
    """Append with the next sequence number of its import (the caller holds the import_run row lock)."""
    next_seq = select(func.coalesce(func.max(ProgressEventRow.seq), 0) + 1).where(
        ProgressEventRow.import_id == event.import_id
    )
    seq = await session.scalar(
        insert(ProgressEventRow)
        .values(
            import_id=event.import_id,
            seq=next_seq.scalar_subquery(),
            artist_id=event.artist_id,
            event_id=event.event_id,
            type=event.type,
            data=event.model_dump(mode="json"),
            occurred_at=event.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=[ProgressEventRow.event_id])
        .returning(ProgressEventRow.seq)
    )
    return seq


async def _lock_run(session: AsyncSession, import_id: UUID) -> Any:
    return (
        await session.execute(
            select(ImportRun.id, ImportRun.artist_id, ImportRun.state, ImportRun.phases)
            .where(ImportRun.id == import_id)
            .with_for_update()
        )
    ).first()


async def _save(
    session: AsyncSession, run: Any, phases: Phases, stage: str, last_seq: int, **run_values: Any
) -> None:
    stored = dump_phases(phases)
    await session.execute(update(ImportRun).where(ImportRun.id == run.id).values(phases=stored, **run_values))
    # the status row follows the artist's latest import only
    await session.execute(
        update(ImportStatus)
        .where(ImportStatus.artist_id == run.artist_id, ImportStatus.import_id == run.id)
        .values(
            stage=stage,
            progress=100 if stage in ENDED else overall_progress(phases),
            message=status_message(phases, stage),
            phases=stored,
            last_seq=last_seq,
            updated_at=func.now(),
        )
    )
    await session.execute(select(func.pg_notify(NOTIFY_CHANNEL, str(run.artist_id))))


async def _mark_setlists_ready(session: AsyncSession, artist_id: UUID) -> None:
    """Wrap-up: the artist's upcoming, still-happening shows are ready for setlists (touched only once)."""
    await session.execute(
        update(Show)
        .where(
            Show.id.in_(select(ShowArtist.show_id).where(ShowArtist.artist_id == artist_id)),
            Show.setlist_ready.is_(False),
            Show.removed_at.is_(None),
            Show.status != "cancelled",
            func.coalesce(Show.local_date, func.current_date()) >= func.current_date(),
        )
        .values(setlist_ready=True, updated_at=func.now())
    )


async def _settle(session: AsyncSession, run: Any, phases: Phases, error: str | None) -> ImportFinishedEvent:
    outcome = "failed" if error else "completed"
    finished = ImportFinishedEvent(
        import_id=run.id,
        artist_id=run.artist_id,
        payload=ImportFinished(
            outcome=outcome,
            phases={Phase(k): v for k, v in outcomes(phases).items()},
            message=error or "Import completed",
        ),
    )
    seq = await _append(session, finished)
    assert seq is not None
    enqueue(session, topic(IMPORTS_PROGRESS), finished)
    shows = phases.get(Phase.SHOWS.value)
    if shows is not None and shows.state == "completed":
        await _mark_setlists_ready(session, run.artist_id)
    IMPORTS_FINISHED.labels(outcome).inc()
    await _save(session, run, phases, outcome, seq, state=outcome, finished_at=func.now(), error=error)
    return finished


async def record(session: AsyncSession, event: ProgressEvent) -> ImportFinishedEvent | None:
    """Record one delivered event (once, whatever the redeliveries); the ImportFinished when it settled
    the import, which the caller's outbox relay then publishes."""
    if not await mark_processed(session, CONSUMER, event.event_id):
        return None
    run = await _lock_run(session, event.import_id)
    if run is None:
        log.warning("event %s for unknown import %s ignored", event.event_id, event.import_id)
        return None
    if run.state != "running" and not isinstance(event, ImportFinishedEvent):
        # settled: its stream ended with ImportFinished, and a settled import never changes its mind
        log.info("%s for settled import %s ignored", event.type, event.import_id)
        return None
    seq = await _append(session, event)
    if seq is None:  # our own ImportFinished, already appended when we settled
        return None
    phases = apply_event(load_phases(run.phases), event)
    if run.state == "running" and all_ended(phases):
        finished = await _settle(session, run, phases, failure_summary(phases))
        return finished
    await _save(session, run, phases, run.state, seq)
    return None


async def fail_stalled(session: AsyncSession, stall_after_s: float) -> list[ImportFinishedEvent]:
    """Settle as failed every running import whose phases have shown no sign of life for `stall_after_s`:
    no event, and no phase job that a worker holds or that waits for its `resume_at` (the clock of a
    waiting phase starts at resume_at; a phase being worked on renews its lease)."""
    last_event = (
        select(func.max(ProgressEventRow.recorded_at))
        .where(ProgressEventRow.import_id == ImportRun.id)
        .scalar_subquery()
    )
    last_job_sign = (
        select(func.max(func.greatest(PhaseJob.resume_at, PhaseJob.lease_until)))
        .where(PhaseJob.import_id == ImportRun.id)
        .scalar_subquery()
    )
    stalled = (
        await session.scalars(
            select(ImportRun.id).where(
                ImportRun.state == "running",
                func.greatest(ImportRun.requested_at, last_event, last_job_sign)
                < func.now() - text("make_interval(secs => :secs)").bindparams(secs=stall_after_s),
            )
        )
    ).all()
    settled = []
    for import_id in stalled:  # rare; each under its own row lock so replicas never settle twice
        run = await _lock_run(session, import_id)
        if run is None or run.state != "running":
            continue
        phases = load_phases(run.phases)
        for name in [p.value for p in Phase if not ended(phases, p.value)]:
            phases[name] = failed_as_stalled(phases.get(name), stall_after_s)
        finished = await _settle(session, run, phases, failure_summary(phases))
        settled.append(finished)
    return settled
