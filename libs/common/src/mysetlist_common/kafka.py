"""Kafka wiring shared by every service: an idempotent producer (acks=all) with Prometheus metrics."""

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry

from mysetlist_common.settings import get_settings
from mysetlist_common.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED, dead_letter, topic

# Commit after the handler ran, also when it raised (failures go to the dead-letter topic ourselves):
# at-least-once without a hot redelivery loop. Never ACK_FIRST (auto-commit, at-most-once).
CONSUMER_ACK_POLICY = AckPolicy.ACK


def make_broker(client_id: str, registry: CollectorRegistry = REGISTRY) -> KafkaBroker:
    settings = get_settings()
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,  # implies acks=all
        acks="all",
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=client_id)],
    )


async def ensure_topics() -> None:
    """Create the system's topics when missing. Consumers subscribed to a topic that does not exist yet would
    only notice it at the next metadata refresh (minutes), so every service ensures them before it starts."""
    settings = get_settings()
    names = [topic(IMPORTS_REQUESTED), topic(IMPORTS_PROGRESS)]
    names += [dead_letter(IMPORTS_REQUESTED), dead_letter(IMPORTS_PROGRESS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, settings.kafka_partitions, settings.kafka_replication_factor)
            for name in names
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another service won the race
                await admin.create_topics(missing)
    finally:
        await admin.close()
