"""The `phase_job` table: one row per (import, phase) from the consumed ImportRequested to the phase's end.

These are the only statements that touch it: enqueue (by the consumer), claim under a lease, renew the
leases, hand back (queued or waiting) and delete (by the runner, `runner.py`). A hand-back or delete
applies only while the caller still holds the job (its lease `owner`), so a worker whose job was taken
over cannot undo the new owner's work.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.messaging.events import ImportRequestedEvent, Phase


@dataclass(frozen=True)
class Job:
    """A claimed job: the event, who holds its lease, and what earlier runs left (tries, wait, answers)."""

    import_id: UUID
    event: ImportRequestedEvent
    owner: UUID
    attempts: int
    failures: int
    waited_s: float
    journal: dict[str, Any]


def priority_of(event: ImportRequestedEvent) -> int:
    """0 for a user's import, 1 for background work (resync, replay): users' phases are claimed first."""
    return 0 if event.payload.reason == "user" else 1


async def enqueue(session: AsyncSession, phase: Phase, event: ImportRequestedEvent) -> None:
    """Record the phase of a consumed ImportRequested (once: a redelivery finds it there)."""
    await session.execute(
        text(
            "INSERT INTO phase_job (import_id, phase, artist_id, event, priority, state) "
            "VALUES (:import_id, :phase, :artist_id, CAST(:event AS jsonb), :priority, 'queued') "
            "ON CONFLICT DO NOTHING"
        ),
        {
            "import_id": event.import_id,
            "phase": phase.value,
            "artist_id": event.artist_id,
            "event": event.model_dump_json(),
            "priority": priority_of(event),
        },
    )


async def claim(session: AsyncSession, phase: Phase, lease_s: float) -> Job | None:
    """The next due job of `phase` (users' first) that nobody holds or whose lease ran out, now ours."""
    owner = uuid.uuid4()
    row = (
        await session.execute(
            text(
                "UPDATE phase_job SET state = 'running', owner = :owner, attempts = attempts + 1, "
                "lease_until = now() + make_interval(secs => :lease) "
                "WHERE (import_id, phase) = ("
                "  SELECT import_id, phase FROM phase_job"
                "  WHERE phase = :phase AND resume_at <= now()"
                "    AND (state <> 'running' OR lease_until < now())"
                "  ORDER BY priority, resume_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                "RETURNING import_id, event, attempts, failures, waited_s, journal"
            ),
            {"owner": owner, "lease": lease_s, "phase": phase.value},
        )
    ).first()
    if row is None:
        return None
    return Job(
        import_id=row.import_id,
        event=ImportRequestedEvent.model_validate(row.event),
        owner=owner,
        attempts=row.attempts,
        failures=row.failures,
        waited_s=row.waited_s,
        journal=row.journal or {},
    )


async def renew_leases(session: AsyncSession, phase: Phase, owners: list[UUID], lease_s: float) -> set[UUID]:
    """Extend the leases of `owners` in one statement; the owners that still held theirs."""
    return set(
        await session.scalars(
            text(
                "UPDATE phase_job SET lease_until = now() + make_interval(secs => :lease) "
                "WHERE phase = :phase AND owner = ANY(:owners) RETURNING owner"
            ),
            {"lease": lease_s, "phase": phase.value, "owners": owners},
        )
    )


async def hand_back(
    session: AsyncSession,
    phase: Phase,
    job: Job,
    *,
    state: str,
    delay_s: float,
    waiting_for: str | None,
    failures: int | None,
    waited_s: float,
    journal: dict[str, Any],
) -> None:
    """Release the job (only if we still hold it) as `state`, due in `delay_s`, keeping its answers and
    adding `waited_s` to the time it waited; `failures` None keeps the count it had."""
    await session.execute(
        text(
            "UPDATE phase_job SET state = :state, owner = NULL, lease_until = NULL, "
            "resume_at = now() + make_interval(secs => :delay), waiting_for = :waiting_for, "
            "failures = coalesce(:failures, failures), waited_s = waited_s + :waited, "
            "journal = CAST(:journal AS jsonb) "
            "WHERE import_id = :import_id AND phase = :phase AND owner = :owner"
        ),
        {
            "state": state,
            "delay": max(0.0, delay_s),
            "waiting_for": waiting_for,
            "failures": failures,
            "waited": waited_s,
            "journal": json.dumps(journal, separators=(",", ":")),
            "import_id": job.import_id,
            "phase": phase.value,
            "owner": job.owner,
        },
    )


async def delete(session: AsyncSession, phase: Phase, job: Job) -> None:
    """The phase ended (completed or failed for good): the job goes, if we still hold it."""
    await session.execute(
        text("DELETE FROM phase_job WHERE import_id = :import_id AND phase = :phase AND owner = :owner"),
        {"import_id": job.import_id, "phase": phase.value, "owner": job.owner},
    )
