"""The progress handler on FastStream's in-memory broker: a readable event is recorded and a settled import
wakes the relay; an unreadable one is dead-lettered; a failure raises so the message comes again."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from mysetlist_common.messaging.events import Phase, PhaseStarted, PhaseStartedEvent
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, dead_letter, topic
from mysetlist_progress import consumers
from mysetlist_progress.consumers import RECORDING, Recording


class Sessions:
    """A stand-in for the session factory: `begin()` yields a session the stubbed `record` sees."""

    session = object()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[object]:
        yield self.session


class Relay:
    woken = 0

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture
def broker() -> tuple[KafkaBroker, Relay, list[bytes]]:
    broker, relay, parked = KafkaBroker(), Relay(), []
    broker.include_router(consumers.router())
    broker.context.set_global(RECORDING, Recording(Sessions(), relay))  # type: ignore[arg-type]

    @broker.subscriber(dead_letter(IMPORTS_PROGRESS))
    async def dead_letters(message: KafkaMessage) -> None:
        parked.append(message.body)

    return broker, relay, parked


def started() -> PhaseStartedEvent:
    return PhaseStartedEvent(import_id=uuid4(), artist_id=uuid4(), payload=PhaseStarted(phase=Phase.SHOWS))


async def test_a_readable_event_is_recorded_and_a_settled_import_wakes_the_relay(
    broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, relay, parked = broker
    recorded: list[Any] = []

    async def record(session: object, event: Any) -> object:
        recorded.append((session, event))
        return "settled"

    monkeypatch.setattr(consumers, "record", record)
    event = started()
    async with TestKafkaBroker(app) as test:
        await test.publish(event.model_dump_json().encode(), topic(IMPORTS_PROGRESS))
    assert recorded == [(Sessions.session, event)]
    assert relay.woken == 1 and parked == []


async def test_an_unreadable_event_is_dead_lettered(broker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app, relay, parked = broker

    async def record(session: object, event: Any) -> None:
        raise AssertionError("never recorded")

    monkeypatch.setattr(consumers, "record", record)
    body = started().model_dump_json().replace("PhaseStarted", "PhaseBegun").encode()
    async with TestKafkaBroker(app) as test:
        await test.publish(body, topic(IMPORTS_PROGRESS))
    assert parked == [body] and relay.woken == 0


async def test_a_failure_raises_after_the_redelivery_delay(
    broker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, relay, parked = broker
    monkeypatch.setenv("CONSUMER_REDELIVERY_DELAY_S", "0")

    async def record(session: object, event: Any) -> None:
        raise ConnectionError("postgres is down")

    monkeypatch.setattr(consumers, "record", record)
    async with TestKafkaBroker(app) as test:
        with pytest.raises(ConnectionError):
            await test.publish(started().model_dump_json().encode(), topic(IMPORTS_PROGRESS))
    assert parked == [] and relay.woken == 0
