"""Fails imports whose phases went silent (a crashed worker, a lost event)."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_progress.recorder import fail_stalled

log = logging.getLogger(__name__)


async def watch(sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay, stall_after_s: float) -> None:
    interval = max(0.5, min(10.0, stall_after_s / 4))
    while True:
        await asyncio.sleep(interval)
        try:
            async with sessions.begin() as session:
                settled = await fail_stalled(session, stall_after_s)
            for finished in settled:
                log.warning("import %s stalled: %s", finished.import_id, finished.payload.message)
            if settled:
                relay.wake()
        except Exception:
            log.exception("watchdog pass failed")
