"""Transactional outbox: events written in the same transaction as the rows they describe, published later.

The relay publishes in id order with the idempotent producer. One relay at a time holds a transaction-scoped
advisory lock, so several replicas never reorder an artist's events. While Kafka is down the rows wait.
"""

import asyncio
import logging
from datetime import timedelta

from faststream.kafka import KafkaBroker
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.background import BackgroundLoop
from mysetlist_common.db.schema import Outbox
from mysetlist_common.messaging.events import ImportFinishedEvent, ImportRequestedEvent

log = logging.getLogger(__name__)

RELAY_LOCK_ID = 0x6F7574626F78  # "outbox"
BATCH_SIZE = 200
PUBLISH_TIMEOUT_S = 10.0
KEEP_PUBLISHED = timedelta(hours=1)


def enqueue(
    session: AsyncSession, topic_name: str, event: ImportRequestedEvent | ImportFinishedEvent
) -> None:
    """Add the event to the caller's transaction."""
    session.add(Outbox(topic=topic_name, key=str(event.artist_id), payload=event.model_dump(mode="json")))


class OutboxRelay(BackgroundLoop):
    """Publishes outbox rows: `wake()` after a commit delivers at once; polling covers other replicas.
    The broker's lifecycle belongs to the service (`service_app`); until it is connected, batches wait."""

    def __init__(
        self, broker: KafkaBroker, sessions: async_sessionmaker[AsyncSession], poll_interval_s: float = 0.05
    ) -> None:
        super().__init__("outbox-relay")
        self.broker = broker
        self._sessions = sessions
        self._poll_interval_s = poll_interval_s

    async def loop(self) -> None:
        backoff = 0.5
        while True:
            try:
                sent = await self.publish_batch()
                backoff = 0.5
                if sent == BATCH_SIZE:
                    continue
            except Exception as exc:
                log.warning("outbox relay: %s: retrying in %.1fs", exc or type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            await self.wait_for_wake(self._poll_interval_s)

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished rows; returns how many. All or nothing per batch."""
        async with self._sessions.begin() as session:
            locked = await session.scalar(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_ID)))
            if not locked:
                return 0
            rows = (
                await session.execute(
                    select(Outbox.id, Outbox.topic, Outbox.key, Outbox.payload)
                    .where(Outbox.published_at.is_(None))
                    .order_by(Outbox.id)
                    .limit(BATCH_SIZE)
                )
            ).all()
            for row in rows:
                async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                    await self.broker.publish(row.payload, row.topic, key=row.key.encode())
            if rows:
                await session.execute(
                    update(Outbox).where(Outbox.id.in_([r.id for r in rows])).values(published_at=func.now())
                )
                await session.execute(delete(Outbox).where(Outbox.published_at < func.now() - KEEP_PUBLISHED))
            return len(rows)
