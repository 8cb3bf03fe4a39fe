"""Both ingest services' consumers on FastStream's in-memory broker: a readable ImportRequested enqueues
the service's phase once (the inbox of its own group) and wakes the runner; an unreadable one is
dead-lettered. The real-broker delivery guarantees are in tests/spine/test_delivery.py."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from mysetlist_catalog_ingest import consumers as catalog_consumers
from mysetlist_common.messaging.events import ImportRequested, ImportRequestedEvent, Phase
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, dead_letter, topic
from mysetlist_common.phases import ingest
from mysetlist_common.phases.ingest import INTAKE, PhaseIntake
from mysetlist_shows_ingest import consumers as shows_consumers


class Sessions:
    @asynccontextmanager
    async def begin(self) -> AsyncIterator[object]:
        yield object()


class Runner:
    woken = 0

    def wake(self) -> None:
        self.woken += 1


@pytest.mark.parametrize(
    ("consumers", "phase"), [(shows_consumers, Phase.SHOWS), (catalog_consumers, Phase.CATALOG)]
)
async def test_a_readable_request_is_enqueued_once_and_an_unreadable_one_dead_lettered(
    monkeypatch: pytest.MonkeyPatch, consumers: ModuleType, phase: Phase
) -> None:
    seen: set[tuple[str, Any]] = set()
    enqueued: list[tuple[Phase, ImportRequestedEvent]] = []

    async def mark_processed(session: object, group: str, event_id: Any) -> bool:
        first = (group, event_id) not in seen
        seen.add((group, event_id))
        return first

    async def enqueue(session: object, phase: Phase, requested: ImportRequestedEvent) -> None:
        enqueued.append((phase, requested))

    monkeypatch.setattr(ingest, "mark_processed", mark_processed)
    monkeypatch.setattr(ingest, "enqueue", enqueue)
    broker, runner, parked = KafkaBroker(), Runner(), []
    broker.include_router(consumers.router())
    broker.context.set_global(INTAKE, PhaseIntake(consumers.CONSUMER, phase, Sessions(), runner))  # type: ignore[arg-type]

    @broker.subscriber(dead_letter(IMPORTS_REQUESTED))
    async def dead_letters(message: KafkaMessage) -> None:
        parked.append(message.body)

    requested = ImportRequestedEvent(
        import_id=uuid4(), artist_id=uuid4(), payload=ImportRequested(tm_attraction_id="K8vConsumers1")
    )
    body = requested.model_dump_json().encode()
    unreadable = body.replace(b'"version":1', b'"version":"one"')
    async with TestKafkaBroker(broker) as test:
        await test.publish(body, topic(IMPORTS_REQUESTED))
        await test.publish(body, topic(IMPORTS_REQUESTED))  # redelivered: the inbox drops it
        await test.publish(unreadable, topic(IMPORTS_REQUESTED))
    assert enqueued == [(phase, requested)]
    assert {group for group, _ in seen} == {consumers.CONSUMER}
    assert runner.woken == 2 and parked == [unreadable]
