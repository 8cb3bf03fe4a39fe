"""The catalog phase's progress events, sent in the background so fetching never waits for Kafka."""

import asyncio

from mysetlist_common.phases.reporting import PhaseReporter


class ProgressUpdates:
    """Progress events go out in order, without holding the phase up while Kafka acknowledges them."""

    def __init__(self, reporter: PhaseReporter) -> None:
        self.reporter = reporter
        self._last: asyncio.Task[None] | None = None

    def send(self, done: int, total: int, message: str) -> None:
        previous = self._last

        async def publish() -> None:
            if previous is not None:
                await previous
            await self.reporter.progress(done, total, message)

        self._last = asyncio.create_task(publish())

    async def flush(self) -> None:
        if self._last is not None:
            await self._last
