"""How an ingest service takes its phase of each ImportRequested: consumed, recorded as a job, run.

A service supplies `work(event, reporter) -> PhaseResult`. The consumer (its own group, at-least-once)
only dedupes by the inbox and enqueues a durable phase job in the same transaction, then commits; the
returned `PhaseRunner` (started with the service) runs the jobs. Messages that can never be read are
dead-lettered. Handlers take milliseconds, so a rebalance never waits for a phase and one group member per
process is enough.
"""

import logging

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.inbox import mark_processed
from mysetlist_common.messaging.kafka import consumer, dead_letter_message, redeliver_on_failure
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED
from mysetlist_common.phases.phase_jobs import PhaseRunner, PhaseWork, enqueue
from mysetlist_common.settings import get_settings

log = logging.getLogger(__name__)

# Handlers only enqueue: a member that has not polled for a minute is stuck, and its partitions move on.
MAX_POLL_INTERVAL_MS = 60 * 1000


def register_phase_consumer(
    broker: KafkaBroker, phase: Phase, consumer_group: str, work: PhaseWork
) -> PhaseRunner:
    """Subscribe to imports.requested in its own consumer group; the runner must be started with the app."""
    sessions = session_factory()
    runner = PhaseRunner(broker, phase, work, sessions, get_settings())

    @consumer(
        broker, IMPORTS_REQUESTED, consumer_group, max_workers=1, max_poll_interval_ms=MAX_POLL_INTERVAL_MS
    )
    async def handle(message: KafkaMessage) -> None:
        try:  # the raw bytes: FastStream would hand a JSON body over already decoded
            request = ImportRequestedEvent.model_validate_json(message.body)
        except ValidationError as exc:
            await dead_letter_message(broker, IMPORTS_REQUESTED, message, exc)
            return
        what = f"enqueueing the {phase} phase of import {request.import_id}"
        async with redeliver_on_failure(what), sessions.begin() as session:
            if await mark_processed(session, consumer_group, request.event_id):
                await enqueue(session, phase, request)
        runner.wake()

    return runner
