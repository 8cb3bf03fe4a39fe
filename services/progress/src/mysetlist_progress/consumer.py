"""Consumes imports.progress at least once; records each event and settles imports."""

import logging

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.events import progress_event_adapter
from mysetlist_common.kafka import CONSUMER_ACK_POLICY, redeliver_on_failure
from mysetlist_common.metrics import DEAD_LETTERS
from mysetlist_common.outbox import OutboxRelay
from mysetlist_common.topics import IMPORTS_PROGRESS, dead_letter, topic
from mysetlist_progress.recorder import CONSUMER, record

log = logging.getLogger(__name__)


def register_progress_consumer(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay
) -> None:
    source = topic(IMPORTS_PROGRESS)

    @broker.subscriber(
        source, group_id=CONSUMER, ack_policy=CONSUMER_ACK_POLICY, auto_offset_reset="earliest", max_workers=8
    )
    async def on_progress(message: KafkaMessage) -> None:
        body = message.body  # raw bytes: we validate ourselves so a bad message is dead-lettered, not lost
        try:
            event = progress_event_adapter.validate_json(body)
        except ValidationError as exc:
            DEAD_LETTERS.labels(source).inc()
            key = getattr(message.raw_message, "key", None)
            await broker.publish(
                body, dead_letter(IMPORTS_PROGRESS), key=key, headers={"error": str(exc)[:2000]}
            )
            log.warning("dead-lettered a malformed progress event: %s", exc.errors()[:1])
            return
        async with (
            redeliver_on_failure(f"recording {event.type} {event.event_id}"),
            sessions.begin() as session,
        ):
            recorded = await record(session, event)
        if recorded is not None and recorded.settled is not None:
            relay.wake()
