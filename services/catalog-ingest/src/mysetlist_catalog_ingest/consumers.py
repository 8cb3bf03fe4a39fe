"""What catalog-ingest reads from Kafka: every ImportRequested, in its own consumer group, taken
by the handler both ingest services share (`take_phase`: the catalog phase becomes a job the runner runs)."""

from faststream.kafka import KafkaRouter

from mysetlist_common.phases.ingest import phase_router

CONSUMER = "catalog-ingest"  # the consumer group, the inbox's name and the service's name


def router() -> KafkaRouter:
    """The service's subscribers; built when the app is (topic and group names come from the settings)."""
    return phase_router(CONSUMER, "Enqueue the catalog phase of the import (the intake's runner runs it).")
