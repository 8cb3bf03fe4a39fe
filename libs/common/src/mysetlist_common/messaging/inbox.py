"""Consumer-side idempotency: an event id is processed once per consumer."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_common.db.schema import Inbox


async def already_processed(session: AsyncSession, consumer: str, event_id: UUID) -> bool:
    found = await session.scalar(
        select(Inbox.event_id).where(Inbox.consumer == consumer, Inbox.event_id == event_id)
    )
    return found is not None


async def mark_processed(session: AsyncSession, consumer: str, event_id: UUID) -> bool:
    """Record the event; False when another delivery recorded it first."""
    stmt = insert(Inbox).values(consumer=consumer, event_id=event_id).on_conflict_do_nothing()
    result = await session.execute(stmt.returning(Inbox.event_id))
    return result.first() is not None
