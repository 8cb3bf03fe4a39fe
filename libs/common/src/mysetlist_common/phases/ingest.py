"""How an ingest service takes its phase of each ImportRequested: consumed, recorded as a job, run.

Both ingest services read imports.requested the same way, so the handler is written once here:
`take_phase` only dedupes by the inbox and enqueues a durable phase job in the same transaction; the runner
of the service's `PhaseIntake` runs the jobs. Each service's `consumers.py` subscribes it in the service's
own group (`phase_router`), and its `app.py` hands its parts to `ingest_app`. Handlers take milliseconds,
so a rebalance never waits for a phase and one group member per process is enough.
"""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated

from fastapi import FastAPI
from faststream import Context
from faststream.kafka import KafkaBroker, KafkaRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.inbox import mark_processed
from mysetlist_common.messaging.kafka import consumer, consumer_router
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED
from mysetlist_common.phases.phase_jobs import enqueue
from mysetlist_common.phases.runner import PhaseRunner, PhaseWork
from mysetlist_common.settings import get_settings
from mysetlist_common.web.service import Worker, service_app

# Handlers only enqueue: a member that has not polled for a minute is stuck, and its partitions move on.
MAX_POLL_INTERVAL_MS = 60 * 1000

# The broker context key under which a service puts its PhaseIntake (`service_app(context=...)`).
INTAKE = "phase_intake"


@dataclass(frozen=True)
class PhaseIntake:
    """What the ImportRequested handler needs: the service's group (its inbox), where to write the job
    and the runner to wake."""

    group: str
    phase: Phase
    sessions: async_sessionmaker[AsyncSession]
    runner: PhaseRunner


# A handler parameter typed so receives the service's PhaseIntake from the broker's context.
Intake = Annotated[PhaseIntake, Context(INTAKE)]


def phase_intake(broker: KafkaBroker, group: str, phase: Phase, work: PhaseWork) -> PhaseIntake:
    """The intake of the service `group` running `work`; its runner starts with the app (a worker)."""
    sessions = session_factory()
    return PhaseIntake(group, phase, sessions, PhaseRunner(broker, phase, work, sessions, get_settings()))


async def take_phase(requested: ImportRequestedEvent, intake: Intake) -> None:
    """Enqueue this service's phase of the import once per event (the inbox of the service's group), then
    wake the runner. A failure raises, and the message is redelivered (DeliveryRules)."""
    async with intake.sessions.begin() as session:
        if await mark_processed(session, intake.group, requested.event_id):
            await enqueue(session, intake.phase, requested)
    intake.runner.wake()


Handler = Callable[..., Awaitable[None]]


def phase_router(group: str, description: str, handler: Handler = take_phase) -> KafkaRouter:
    """An ingest service's subscriber: imports.requested in its own group, one worker, into `handler`;
    `description` says what the service does with it (the AsyncAPI document shows it)."""
    router = consumer_router()
    subscriber = consumer(
        router,
        IMPORTS_REQUESTED,
        group,
        max_workers=1,
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        description=description,
    )
    subscriber(handler)
    return router


def ingest_app(
    broker: KafkaBroker,
    intake: PhaseIntake,
    router: KafkaRouter,
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    workers: Sequence[Worker] = (),
) -> FastAPI:
    """An ingest service: its consumers, its intake in their context, its runner and `workers` running."""
    return service_app(
        intake.group,
        broker,
        lifespan=lifespan,
        routers=[router],
        context={INTAKE: intake},
        workers=[intake.runner, *workers],
    )
