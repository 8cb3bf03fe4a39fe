"""Phases as durable jobs in PostgreSQL: claimed by any replica, parked while they wait, never lost.

Kafka delivers each ImportRequested once per ingest service; the consumer only records a `phase_job` row
(`phase_jobs.py`) and commits (milliseconds, so a rebalance never waits on a long phase). A `PhaseRunner`
in every replica claims ready jobs (users' before background work) with a lease it keeps renewing, and
runs the phase:

- completed or failed for good: the phase event is published, then the job deleted (a crash in between
  runs the phase again; its writes are idempotent and progress ignores a second ending);
- `Parked` (a rate limit, a quota, an upstream to wait for): the job waits until `resume_at` with the
  answers it already had (the call journal) and the time it already waited, and any replica resumes it;
- a retryable error (an upstream outage, a crash): retried after a backoff, `phase_max_failures` times;
- PostgreSQL or Kafka unreachable: retried without counting, since the phase itself did nothing wrong;
- the worker killed: its lease runs out and another worker takes the job over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Protocol
from uuid import UUID

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.background import BackgroundLoop
from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.phases import phase_jobs
from mysetlist_common.phases.infrastructure_errors import error_kind, is_infrastructure_error
from mysetlist_common.phases.phase_jobs import Job, priority_of
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter, PhaseResult
from mysetlist_common.settings import Settings
from mysetlist_common.upstream.calls import CallContext, Parked, as_waiting_for, calling
from mysetlist_common.upstream.http.errors import UpstreamError

log = logging.getLogger(__name__)


class PhaseWork(Protocol):
    """An ingest service's phase: built once per process from `(settings, sessions, http)`, then run for
    each ImportRequested. It reports progress through `reporter`; the runner reports start and end."""

    async def run(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult: ...


POLL_S = 0.5  # how soon a replica notices a job another replica enqueued, or a parked one that is due
RETRY_BACKOFF_S = (5.0, 15.0, 45.0, 120.0)  # after the 1st, 2nd, ... retryable failure
INFRA_RETRY_S = 2.0


class PhaseRunner(BackgroundLoop):
    """Runs one service's phase jobs: up to `phase_workers` at once in this process."""

    def __init__(
        self,
        broker: KafkaBroker,
        phase: Phase,
        work: PhaseWork,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        super().__init__(f"{phase}-jobs")
        self.broker, self.phase, self.work = broker, phase, work
        self.sessions, self.settings = sessions, settings
        self.running: dict[UUID, asyncio.Task[None]] = {}
        self.running_jobs: dict[UUID, tuple[Job, asyncio.Task[None]]] = {}  # by lease owner

    async def loop(self) -> None:
        """Claims jobs (`wake()` when one was enqueued here) and keeps the leases of those running."""
        async with asyncio.TaskGroup() as loops:
            loops.create_task(self._claim_loop(), name=f"{self.phase}-claims")
            loops.create_task(self._keep_leases(), name=f"{self.phase}-leases")

    async def stop(self) -> None:
        """Stop claiming; phases still running are handed back (queued at once, journal kept)."""
        await super().stop()
        running = list(self.running.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    # ------------------------------------------------------------------ claiming

    async def _claim_loop(self) -> None:
        complained = False
        while True:
            try:
                while len(self.running) < self.settings.phase_workers and (job := await self._claim()):
                    self.running[job.import_id] = asyncio.create_task(self._run(job))
                complained = False
            except Exception as exc:
                if not complained:  # one line per outage, not one per poll
                    log.warning("%s jobs: cannot claim (%s); retrying", self.phase, type(exc).__name__)
                    complained = True
            await self.wait_for_wake(POLL_S)

    async def _claim(self) -> Job | None:
        async with self.sessions.begin() as session:
            return await phase_jobs.claim(session, self.phase, self.settings.phase_lease_s)

    # ------------------------------------------------------------------ running

    async def _run(self, job: Job) -> None:
        work = asyncio.create_task(self._execute(job))
        self.running_jobs[job.owner] = (job, work)
        try:
            await work
        except asyncio.CancelledError:
            # handed back for another worker at once (a no-op when another worker took it over already)
            await self._shielded(self._release(job, 0.0, None))
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # we are stopping, not just this phase
                raise
        except Exception as exc:  # the job could not even be handed back: its lease runs out instead
            log.warning("%s job %s: %s; its lease will expire", self.phase, job.import_id, error_kind(exc))
        finally:
            self.running_jobs.pop(job.owner, None)
            self.running.pop(job.import_id, None)
            self.wake()  # a worker is free

    async def _execute(self, job: Job) -> None:
        event = job.event
        reporter = PhaseReporter(self.broker, event, self.phase)
        context = CallContext(
            priority="user" if priority_of(event) == 0 else "background",
            import_id=job.import_id,
            wait_cap_s=self.settings.phase_wait_cap_s,
            attempt=job.attempts,
            journal=job.journal,
        )
        try:
            await reporter.started()
            with calling(context):
                result = await self.work.run(event, reporter)
        except asyncio.CancelledError:
            job.journal.update(context.journal)
            raise
        except Parked as parked:
            await self._park(job, context, parked)
        except PhaseError as exc:
            if exc.retryable:
                await self._retry(job, context, str(exc), exc.upstream)
            else:
                await reporter.failed(str(exc), False)
                await self._delete(job)
        except Exception as exc:
            if is_infrastructure_error(exc):
                log.warning("%s phase of import %s: %s; retrying", self.phase, job.import_id, error_kind(exc))
                await self._release(job, INFRA_RETRY_S, context)
            else:
                # the full error goes to the log; users get its kind, never SQL, parameters or secrets
                log.exception("%s phase of import %s crashed", self.phase, job.import_id)
                upstream = exc.upstream if isinstance(exc, UpstreamError) else None
                await self._retry(job, context, f"internal error ({type(exc).__name__})", upstream)
        else:
            await reporter.completed(result)
            await self._delete(job)

    async def _retry(self, job: Job, context: CallContext, error: str, upstream: str | None) -> None:
        failures = job.failures + 1
        if failures > self.settings.phase_max_failures:
            reporter = PhaseReporter(self.broker, job.event, self.phase)
            await reporter.failed(f"{error} (gave up after {failures} tries)", True)
            await self._delete(job)
            return
        delay = RETRY_BACKOFF_S[min(failures, len(RETRY_BACKOFF_S)) - 1]
        log.warning("%s phase of import %s: %s; try %d in %.0f s", self.phase, job.import_id, error,
                    failures + 1, delay)  # fmt: skip
        waiting_for = as_waiting_for(upstream)
        if waiting_for is not None:  # the user sees what it waits for, and until when
            await self._park(job, context, Parked(waiting_for, time.time() + delay, error), failures=failures)
        else:
            await self._release(job, delay, context, failures=failures)

    async def _park(
        self, job: Job, context: CallContext, parked: Parked, failures: int | None = None
    ) -> None:
        await self._save(job, "waiting", parked.resume_at - time.time(), context, parked.upstream, failures)
        log.info("%s phase of import %s parked: %s", self.phase, job.import_id, parked)
        reporter = PhaseReporter(self.broker, job.event, self.phase)
        await reporter.waiting(parked)

    async def _release(
        self, job: Job, delay_s: float, context: CallContext | None, failures: int | None = None
    ) -> None:
        """Queued again after `delay_s`: a retry, or a phase handed back when this process stops."""
        await self._save(job, "queued", delay_s, context, None, failures)

    async def _save(
        self,
        job: Job,
        state: str,
        delay_s: float,
        context: CallContext | None,
        waiting_for: str | None,
        failures: int | None,
    ) -> None:
        """Hand the job back (only if we still hold it), keeping what the phase fetched and waited."""
        self.running_jobs.pop(job.owner, None)  # no lease to renew any more: never "taken over"
        async with self.sessions.begin() as session:
            await phase_jobs.hand_back(
                session,
                self.phase,
                job,
                state=state,
                delay_s=delay_s,
                waiting_for=waiting_for,
                failures=failures,
                waited_s=context.waited_s if context else 0.0,
                journal={**job.journal, **(context.journal if context else {})},
            )

    async def _delete(self, job: Job) -> None:
        self.running_jobs.pop(job.owner, None)
        async with self.sessions.begin() as session:
            await phase_jobs.delete(session, self.phase, job)

    async def _keep_leases(self) -> None:
        """Renew the leases of every phase running here in one statement; stop those taken over by another
        worker (ours looked dead: this process was stalled longer than a lease)."""
        while True:
            await asyncio.sleep(self.settings.phase_lease_s / 3)
            running = dict(self.running_jobs)
            if not running:
                continue
            try:
                async with self.sessions.begin() as session:
                    held = await phase_jobs.renew_leases(
                        session, self.phase, list(running), self.settings.phase_lease_s
                    )
            except Exception as exc:  # PostgreSQL away: keep working, try again
                log.warning("%s jobs: cannot renew their leases (%s)", self.phase, error_kind(exc))
                continue
            for owner, (job, work) in running.items():
                if owner not in held and not work.done():
                    log.warning("%s job %s was taken over; stopping ours", self.phase, job.import_id)
                    work.cancel()

    @staticmethod
    async def _shielded(action: Awaitable[None]) -> None:
        with contextlib.suppress(Exception):
            await asyncio.shield(action)
