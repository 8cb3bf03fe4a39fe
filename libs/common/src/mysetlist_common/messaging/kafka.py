"""Kafka wiring shared by every service: an idempotent producer (acks=all) with Prometheus metrics."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy, BaseMiddleware, StreamMessage
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry
from pydantic import ValidationError

from mysetlist_common.messaging.topics import (
    DEAD_LETTER_SUFFIX,
    IMPORTS_PROGRESS,
    IMPORTS_REQUESTED,
    dead_letter,
    topic,
)
from mysetlist_common.metrics import DEAD_LETTERS
from mysetlist_common.settings import get_settings

log = logging.getLogger(__name__)

# Commit after the handler succeeded; when it raised, seek back so the message comes again (at-least-once).
# Messages that can never succeed are dead-lettered, and transient failures wait before they raise (both
# by DeliveryRules, around every handler), so neither becomes a hot loop. Never ACK_FIRST (at-most-once).
CONSUMER_ACK_POLICY = AckPolicy.NACK_ON_ERROR


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


class DeliveryRules(BaseMiddleware):
    """What every consumer does with a message it cannot handle, so no handler writes it by hand:
    - a body that does not fit the handler's event type (pydantic's ValidationError while FastStream reads
      the handler's arguments; the handlers themselves validate nothing) can never succeed: it is parked
      on `<topic>.dlq` with the reason and acknowledged, so its partition moves on;
    - any other failure (PostgreSQL or Kafka unreachable) waits, then raises, so CONSUMER_ACK_POLICY seeks
      back and the message comes again; the wait keeps an outage from turning into a hot loop."""

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: StreamMessage[Any]) -> Any:
        try:
            return await call_next(msg)
        except ValidationError as exc:
            await dead_letter_message(self.context.get("broker"), msg, exc)
            return None
        except Exception:
            delay = get_settings().consumer_redelivery_delay_s
            log.exception("handling a message from %s failed; redelivering in %.1f s", _topic_of(msg), delay)
            await asyncio.sleep(delay)
            raise


def consumer_router() -> KafkaRouter:
    """A router whose subscribers follow DeliveryRules; every consuming service declares one."""
    return KafkaRouter(middlewares=[DeliveryRules])


def consumer(
    router: KafkaRouter, name: str, group_id: str, max_workers: int | None = None, **options: Any
) -> Any:
    """The subscriber decorator with the delivery rules every consumer shares: its own group (prefixed like
    the topics), at-least-once (CONSUMER_ACK_POLICY), from the earliest offset for a new group, by default
    one worker (and group member) per partition. Its AsyncAPI channel is named `<topic>:<group>`."""
    return router.subscriber(
        topic(name),
        title=f"{name}:{group_id}",
        # The topic prefix isolates the group too: on a shared broker, same-named groups of other test
        # runs and stacks would otherwise be one group, rebalancing each other all the time.
        group_id=topic(group_id),
        ack_policy=CONSUMER_ACK_POLICY,
        auto_offset_reset="earliest",
        max_workers=max_workers or get_settings().kafka_partitions,
        **options,
    )


def _topic_of(message: StreamMessage[Any]) -> str:
    return str(getattr(message.raw_message, "topic", "?"))


async def dead_letter_message(broker: KafkaBroker, message: StreamMessage[Any], error: Exception) -> None:
    """Park a message that can never succeed on `<topic>.dlq` with the reason, so its partition moves on."""
    origin = _topic_of(message)
    DEAD_LETTERS.labels(origin).inc()
    key = getattr(message.raw_message, "key", None)
    headers = {"error": str(error)[:2000]}
    await broker.publish(message.body, origin + DEAD_LETTER_SUFFIX, key=key, headers=headers)
    log.warning("dead-lettered a malformed message from %s: %s", origin, str(error)[:300])


async def start_when_reachable(broker: KafkaBroker) -> None:
    """Start the broker, retrying with backoff while Kafka is unreachable: a service starts and serves what
    it can (health, status, kickoffs into the outbox) without Kafka, and connects once Kafka is back."""
    backoff = 0.5
    while True:
        try:
            await ensure_topics()
            await broker.start()
            return
        except Exception as exc:
            log.warning("kafka unreachable (%s); retrying in %.1f s", exc or type(exc).__name__, backoff)
            with contextlib.suppress(Exception):
                await broker.stop()  # undo a partial start before trying again
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
