"""Wakes SSE streams when any replica records an event (PostgreSQL LISTEN/NOTIFY); streams also poll."""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from uuid import UUID

import asyncpg

from mysetlist_common.background import BackgroundLoop
from mysetlist_progress.recorder import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class Notifier(BackgroundLoop):
    """Keeps one LISTEN connection open (reconnecting after a loss) and sets the events of subscribers."""

    def __init__(self, database_url: str) -> None:
        super().__init__("progress-listen")
        self._dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, artist_id: str) -> None:
        for event in self._waiters.get(artist_id, ()):
            event.set()

    async def loop(self) -> None:
        while True:
            conn = None
            try:
                closed = asyncio.Event()
                conn = await asyncpg.connect(self._dsn)
                conn.add_termination_listener(lambda _conn, closed=closed: closed.set())
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                await closed.wait()
            except Exception as exc:  # streams keep polling meanwhile
                log.warning("progress listener: %s; reconnecting", exc)
                await asyncio.sleep(1)
            finally:
                if conn is not None and not conn.is_closed():
                    await conn.close()

    @contextlib.contextmanager
    def subscribe(self, artist_id: UUID) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        key = str(artist_id)
        self._waiters[key].add(event)
        try:
            yield event
        finally:
            self._waiters[key].discard(event)
            if not self._waiters[key]:
                del self._waiters[key]
