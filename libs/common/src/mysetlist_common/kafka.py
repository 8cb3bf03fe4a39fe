"""Kafka wiring shared by every service: an idempotent producer (acks=all) with Prometheus metrics."""

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry

from mysetlist_common.settings import get_settings

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
