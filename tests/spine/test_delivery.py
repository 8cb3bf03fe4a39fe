"""Delivery rules of the progress service on the real broker: duplicates, poison messages, stalled imports."""

import asyncio
from collections.abc import Iterator
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, select

from mysetlist_common.db.schema import ProgressEventRow
from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import Phase, PhaseProgress, PhaseProgressEvent
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, dead_letter, topic
from mysetlist_common.web.sse import read_sse
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

STALL_AFTER_S = 2
# A bound, not a goal: a brand-new broker in a container on a loaded 2-core box has taken over 30 s to give
# a new topic's partitions their leaders.
DELIVERY_WITHIN_S = 120


@pytest.fixture
def quick_watchdog(stack_env: dict[str, str]) -> Iterator[None]:
    from mysetlist_common.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMPORT_STALL_TIMEOUT_S", str(STALL_AFTER_S))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


async def start_import(client: httpx.AsyncClient, gateway: str, tm_attraction_id: str) -> tuple[UUID, UUID]:
    body = (
        await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": tm_attraction_id})
    ).json()
    return UUID(body["artistId"]), UUID(body["importId"])


async def copies_recorded(event_id: UUID) -> int:
    async with session_factory()() as session:
        n = await session.scalar(select(func.count()).where(ProgressEventRow.event_id == event_id))
    return int(n or 0)


async def test_redelivered_event_is_recorded_once_and_poison_is_dead_lettered(
    stack_env: dict[str, str],
) -> None:
    # The default stall timeout, not quick_watchdog's: a cold broker can take longer than 2 s to deliver,
    # and an import settled as stalled ignores the events this test counts.
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    publisher = make_broker("test-publisher")
    async with (
        running_app(gateway_app()) as gateway,
        running_app(progress_app()),
        httpx.AsyncClient() as client,
    ):
        await publisher.start()
        try:
            artist_id, import_id = await start_import(client, gateway, "K8vDelivery1")
            event = PhaseProgressEvent(
                import_id=import_id,
                artist_id=artist_id,
                payload=PhaseProgress(phase=Phase.SHOWS, done=1, total=4, percent=25),
            )
            body = event.model_dump(mode="json")
            await publisher.publish(
                b'{"type": "PhaseProgress", "oops": ', topic(IMPORTS_PROGRESS), key=event.key
            )
            for _ in range(3):  # at-least-once: the same event arrives three times
                await publisher.publish(body, topic(IMPORTS_PROGRESS), key=event.key)
            # One key keeps one partition's order: once the next event is recorded, every copy was handled.
            following = event.model_copy(
                update={
                    "event_id": uuid4(),
                    "payload": PhaseProgress(phase=Phase.SHOWS, done=2, total=4, percent=50),
                }
            )
            await publisher.publish(
                following.model_dump(mode="json"), topic(IMPORTS_PROGRESS), key=following.key
            )
            async with asyncio.timeout(DELIVERY_WITHIN_S):
                while not await copies_recorded(following.event_id):
                    await asyncio.sleep(0.05)
            assert await copies_recorded(event.event_id) == 1
        finally:
            await publisher.stop()

    consumer = AIOKafkaConsumer(
        dead_letter(IMPORTS_PROGRESS),
        bootstrap_servers=stack_env_bootstrap(),
        auto_offset_reset="earliest",
        group_id="dlq-check",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), DELIVERY_WITHIN_S)
    finally:
        await consumer.stop()
    assert record.value.startswith(b'{"type": "PhaseProgress", "oops"')
    assert "error" in dict(record.headers)


def stack_env_bootstrap() -> str:
    from mysetlist_common.settings import get_settings

    return get_settings().kafka_bootstrap_servers


async def test_silent_phases_fail_the_import_as_stalled(quick_watchdog: None) -> None:
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    async with (
        running_app(gateway_app()) as gateway,
        running_app(progress_app()) as progress,
        httpx.AsyncClient(timeout=30) as client,
    ):
        artist_id, _ = await start_import(client, gateway, "K8vStalled1")  # no phase worker runs
        async with client.stream(
            "GET", f"{progress}/api/artists/{artist_id}/stream?lastEventId=0"
        ) as response:
            events = [e async for e in read_sse(response)]
        status = (await client.get(f"{progress}/api/artists/{artist_id}/status")).json()
    assert events[-1].event == "ImportFinished"
    assert events[-1].data["payload"]["outcome"] == "failed"
    assert status["stage"] == "failed"
    assert "shows failed: stalled" in status["message"] and "catalog failed: stalled" in status["message"]
