"""One base for a service's background loops (outbox relay, phase runner, backfill, notifier, watchdog).

Each loop is one asyncio task started with the app and cancelled when it stops; this class owns that
task, the wake-up event, and the last-resort log line if the loop ever ends by an error (a loop handles
its own expected errors: it must keep running through an outage).
"""

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait until it has ended. `asyncio.wait`, not `await`: the task's CancelledError is
    its normal end, while a cancellation of the caller itself (a shutdown with a bound) still reaches it."""
    task.cancel()
    await asyncio.wait({task})


class BackgroundLoop(ABC):
    """Subclasses write `loop()`; the app calls `start()` and `stop()`, producers may call `wake()`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def loop(self) -> None:
        """Runs until cancelled."""

    def wake(self) -> None:
        """Something is waiting for the loop: look now rather than at the next poll."""
        self._wakeup.set()

    async def wait_for_wake(self, timeout_s: float) -> None:
        """Sleep until `wake()` or `timeout_s`, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._wakeup.wait()
        self._wakeup.clear()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._guarded(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def _guarded(self) -> None:
        try:
            await self.loop()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: the service goes on without this loop, so say it loudly
            log.exception("background loop %s stopped", self.name)
