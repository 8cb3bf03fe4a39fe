"""What shows-ingest reads from Kafka: every ImportRequested, in its own consumer group."""

from faststream.kafka import KafkaRouter

from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.messaging.kafka import consumer_router
from mysetlist_common.phases.ingest import Intake, phase_consumer, take_phase

CONSUMER = "shows-ingest"  # the consumer group, the inbox's name and the service's name


async def on_import_requested(requested: ImportRequestedEvent, intake: Intake) -> None:
    """Enqueue the shows phase of the import (the intake's runner runs it)."""
    await take_phase(requested, CONSUMER, intake)


def router() -> KafkaRouter:
    """The service's subscribers; built when the app is (topic and group names come from the settings)."""
    declared = consumer_router()
    phase_consumer(declared, CONSUMER)(on_import_requested)
    return declared
