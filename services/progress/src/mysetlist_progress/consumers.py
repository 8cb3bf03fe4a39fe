"""What progress reads from Kafka: every imports.progress event, recorded at least once; a settled import
wakes the relay so its ImportFinished goes out now."""

from dataclasses import dataclass
from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.events import ProgressEvent
from mysetlist_common.messaging.kafka import consumer, consumer_router
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS
from mysetlist_progress.recorder import CONSUMER, record

# The broker context key under which the app puts its Recording (`service_app(context=...)`).
RECORDING = "recording"


@dataclass(frozen=True)
class Recording:
    """What the handler needs: where events are recorded and the relay that publishes ImportFinished."""

    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay


async def on_progress(event: ProgressEvent, recording: Annotated[Recording, Context(RECORDING)]) -> None:
    """Record a phase event or ImportFinished (once per event id); an import it settles wakes the relay."""
    async with recording.sessions.begin() as session:
        settled = await record(session, event)
    if settled is not None:
        recording.relay.wake()


def router() -> KafkaRouter:
    """The service's subscribers; built when the app is (topic and group names come from the settings)."""
    declared = consumer_router()
    consumer(declared, IMPORTS_PROGRESS, CONSUMER)(on_progress)
    return declared
