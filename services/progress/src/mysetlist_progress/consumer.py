"""Consumes imports.progress at least once; records each event and settles imports."""

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import progress_event_adapter
from mysetlist_common.messaging.kafka import consumer, dead_letter_message, redeliver_on_failure
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS
from mysetlist_progress.recorder import CONSUMER, record


def register_progress_consumer(
    broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay
) -> None:
    @consumer(broker, IMPORTS_PROGRESS, CONSUMER)
    async def on_progress(message: KafkaMessage) -> None:
        try:  # the raw bytes: FastStream would hand a JSON body over already decoded
            event = progress_event_adapter.validate_json(message.body)
        except ValidationError as exc:
            await dead_letter_message(broker, IMPORTS_PROGRESS, message, exc)
            return
        async with (
            redeliver_on_failure(f"recording {event.type} {event.event_id}"),
            sessions.begin() as session,
        ):
            settled = await record(session, event)
        if settled is not None:
            relay.wake()
