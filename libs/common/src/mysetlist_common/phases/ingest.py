"""How an ingest service takes its phase of each ImportRequested: consumed, recorded as a job, run.

Each ingest service declares its subscriber in its own `consumers.py` (with `phase_consumer`, its own
group, at-least-once) and hands the event to `take_phase`, which only dedupes by the inbox and enqueues a
durable phase job in the same transaction; the runner of the service's `PhaseIntake` (started with the
service) runs the jobs. Handlers take milliseconds, so a rebalance never waits for a phase and one group
member per process is enough.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from faststream import Context
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.inbox import mark_processed
from mysetlist_common.messaging.kafka import consumer
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED
from mysetlist_common.phases.phase_jobs import enqueue
from mysetlist_common.phases.runner import PhaseRunner, PhaseWork
from mysetlist_common.settings import get_settings

# Handlers only enqueue: a member that has not polled for a minute is stuck, and its partitions move on.
MAX_POLL_INTERVAL_MS = 60 * 1000

# The broker context key under which a service puts its PhaseIntake (`service_app(context=...)`).
INTAKE = "phase_intake"


@dataclass(frozen=True)
class PhaseIntake:
    """What the ImportRequested handler needs: where to write the job and the runner to wake."""

    phase: Phase
    sessions: async_sessionmaker[AsyncSession]
    runner: PhaseRunner


# A handler parameter typed so receives the service's PhaseIntake from the broker's context.
Intake = Annotated[PhaseIntake, Context(INTAKE)]


def phase_intake(broker: KafkaBroker, phase: Phase, work: PhaseWork) -> PhaseIntake:
    """The intake of a service running `work`; its runner must be started with the app (a worker)."""
    sessions = session_factory()
    return PhaseIntake(phase, sessions, PhaseRunner(broker, phase, work, sessions, get_settings()))


def phase_consumer(router: KafkaRouter, group: str) -> Any:
    """The subscriber decorator of an ingest service: imports.requested in its own group, one worker."""
    return consumer(
        router, IMPORTS_REQUESTED, group, max_workers=1, max_poll_interval_ms=MAX_POLL_INTERVAL_MS
    )


async def take_phase(requested: ImportRequestedEvent, group: str, intake: PhaseIntake) -> None:
    """Enqueue this service's phase of the import once per event (the inbox of `group`), then wake the
    runner. A failure raises, and the message is redelivered (DeliveryRules)."""
    async with intake.sessions.begin() as session:
        if await mark_processed(session, group, requested.event_id):
            await enqueue(session, intake.phase, requested)
    intake.runner.wake()
