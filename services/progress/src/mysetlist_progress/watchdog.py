"""Fails imports whose phases went silent (a crashed worker, a lost event)."""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.background import BackgroundLoop
from mysetlist_common.messaging.outbox import OutboxRelay
from mysetlist_progress.recorder import fail_stalled

log = logging.getLogger(__name__)


class StallWatchdog(BackgroundLoop):
    """Every few seconds, ends the imports silent for `stall_after_s`; the relay publishes their ends."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], relay: OutboxRelay, stall_after_s: float
    ) -> None:
        super().__init__("stall-watchdog")
        self.sessions, self.relay, self.stall_after_s = sessions, relay, stall_after_s

    async def loop(self) -> None:
        interval = max(0.5, min(10.0, self.stall_after_s / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.sessions.begin() as session:
                    settled = await fail_stalled(session, self.stall_after_s)
                for finished in settled:
                    log.warning("import %s stalled: %s", finished.import_id, finished.payload.message)
                if settled:
                    self.relay.wake()
            except Exception:
                log.exception("watchdog pass failed")
