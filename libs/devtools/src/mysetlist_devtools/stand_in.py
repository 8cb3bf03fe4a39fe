"""A stand-in ingest service for the real-broker tests: the ingest consumer of the services, with a phase
and a consumer group of the test's choosing, on a broker of its own."""

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.kafka import consumer_router, make_broker
from mysetlist_common.phases.ingest import INTAKE, Intake, phase_consumer, phase_intake, take_phase
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult
from mysetlist_common.phases.runner import PhaseRunner
from mysetlist_devtools.testing import StandInPhase


def stand_in_ingest(
    phase: Phase,
    group: str,
    work: Callable[[ImportRequestedEvent, PhaseReporter], Awaitable[PhaseResult]],
    reads: type[ImportRequestedEvent] = ImportRequestedEvent,
) -> tuple[KafkaBroker, PhaseRunner]:
    """A broker taking `phase` of every ImportRequested (read as `reads`) in `group`, and the runner of
    `work` (a plain function standing in for the phase's `run`); the caller starts both. Like the
    services, one intake per broker."""

    async def on_import_requested(requested: reads, intake: Intake) -> None:  # type: ignore[valid-type]
        await take_phase(requested, group, intake)

    broker = make_broker(f"stand-in-{group}")
    intake = phase_intake(broker, phase, StandInPhase(work))
    router = consumer_router()
    phase_consumer(router, group)(on_import_requested)
    broker.include_router(router)
    broker.context.set_global(INTAKE, intake)
    return broker, intake.runner
