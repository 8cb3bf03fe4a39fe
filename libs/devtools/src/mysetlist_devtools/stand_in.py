"""A stand-in ingest service for the real-broker tests: the ingest consumer of the services, with a phase
and a consumer group of the test's choosing, on a broker of its own."""

from collections.abc import Awaitable, Callable

from faststream.kafka import KafkaBroker

from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.phases.ingest import INTAKE, Handler, phase_intake, phase_router, take_phase
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult
from mysetlist_common.phases.runner import PhaseRunner
from mysetlist_devtools.testing import StandInPhase


def stand_in_ingest(
    phase: Phase,
    group: str,
    work: Callable[[ImportRequestedEvent, PhaseReporter], Awaitable[PhaseResult]],
    handler: Handler = take_phase,
) -> tuple[KafkaBroker, PhaseRunner]:
    """A broker taking `phase` of every ImportRequested in `group` (through `handler`, the services' own by
    default), and the runner of `work` (a plain function standing in for the phase's `run`); the caller
    starts both. Like the services, one intake per broker."""
    broker = make_broker(f"stand-in-{group}")
    intake = phase_intake(broker, group, phase, StandInPhase(work))
    broker.include_router(phase_router(group, f"Enqueue the {phase} phase (a stand-in).", handler))
    broker.context.set_global(INTAKE, intake)
    return broker, intake.runner
