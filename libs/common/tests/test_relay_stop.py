"""A stopping relay stops, whenever the stop comes. Regression: Python 3.11's `asyncio.wait_for` dropped a
cancellation that came just as the publish it bounded had failed, so the relay ran on (publishing to a
broker that was gone) and held its service's shutdown past asgi-lifespan's 60 s, failing a CI run."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.outbox import OutboxRelay


class NotConnectedBroker:
    """What the relay meets while the service's broker is still connecting or already stopped."""

    def __init__(self) -> None:
        self.attempts = 0

    async def publish(self, *_: Any, **__: Any) -> None:
        self.attempts += 1
        raise RuntimeError("You can't use producer here, please connect broker first.")


class OneRowOutbox:
    """Sessions over an outbox that always holds one unpublished row."""

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Any]:
        row = SimpleNamespace(id=1, topic="imports.requested", key="artist", payload={})
        yield SimpleNamespace(
            scalar=self._returning(True),  # the relay lock is ours
            execute=self._returning(SimpleNamespace(all=lambda: [row])),
        )

    @staticmethod
    def _returning(value: Any) -> Any:
        async def statement(*_: Any) -> Any:
            return value

        return statement


async def test_a_relay_stops_whichever_step_of_a_failing_publish_the_stop_lands_on() -> None:
    for steps in range(12):  # the stop lands on each event-loop step of the relay's first round
        broker = NotConnectedBroker()
        relay = OutboxRelay(
            cast(KafkaBroker, broker),
            cast(async_sessionmaker[AsyncSession], OneRowOutbox()),
        )
        relay.start()
        for _ in range(steps):
            await asyncio.sleep(0)
        async with asyncio.timeout(10):  # a bound, not a goal: stopping takes a few event-loop steps
            await relay.stop()
        assert broker.attempts <= 1, f"a stop at step {steps} let the relay publish again"
