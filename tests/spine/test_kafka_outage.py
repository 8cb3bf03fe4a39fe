"""Kickoffs while Kafka is down: each is answered, each ImportRequested is published once Kafka returns."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from kafka_broker import Kafka  # tools/stack, on sys.path via the root conftest
from probes import free_port
from sqlalchemy import func, select

from mysetlist_common.db.schema import Outbox
from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, topic
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

KICKOFFS = 20


@pytest.fixture(scope="module")
def private_kafka(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Kafka]:
    """A broker of this module's own (the shared one must keep running for everyone else)."""
    shared = Kafka()
    shared.install()
    home: Path = tmp_path_factory.mktemp("kafka-outage")
    kafka = Kafka(
        home=home,
        port=free_port(),
        controller_port=free_port(),
        libs=shared.libs,
    )
    kafka.start()
    yield kafka
    kafka.stop()


@pytest.fixture(scope="module")
def outage_env(stack_env: dict[str, str], private_kafka: Kafka) -> Iterator[None]:
    from mysetlist_common.db.session import get_engine
    from mysetlist_common.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KAFKA_BOOTSTRAP_SERVERS", private_kafka.bootstrap)
        get_settings.cache_clear()
        get_engine.cache_clear()
        yield
    get_settings.cache_clear()
    get_engine.cache_clear()


async def unpublished() -> int:
    async with session_factory()() as session:
        return int(await session.scalar(select(func.count()).where(Outbox.published_at.is_(None))) or 0)


@pytest.mark.parametrize("down_from_start", [False, True], ids=["kafka-stops", "kafka-down-at-start"])
async def test_kickoffs_answer_while_kafka_is_down_and_publish_after(
    outage_env: None, private_kafka: Kafka, down_from_start: bool
) -> None:
    from mysetlist_gateway.app import create_app

    if down_from_start:
        await asyncio.to_thread(private_kafka.stop)
    async with running_app(create_app()) as gateway, httpx.AsyncClient(timeout=10) as client:
        if not down_from_start:
            await asyncio.to_thread(private_kafka.stop)
        assert (await client.get(f"{gateway}/readyz")).status_code == 200, "kickoffs need only PostgreSQL"
        run = "B" if down_from_start else "A"
        answers = await asyncio.gather(
            *(
                client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": f"K8vOutage{run}{i}"})
                for i in range(KICKOFFS)
            )
        )
        assert [a.status_code for a in answers] == [200] * KICKOFFS
        import_ids = {a.json()["importId"] for a in answers}
        assert len(import_ids) == KICKOFFS
        assert await unpublished() == KICKOFFS, "the rows wait in the outbox"

        await asyncio.to_thread(private_kafka.start)
        consumer = AIOKafkaConsumer(
            topic(IMPORTS_REQUESTED),
            bootstrap_servers=private_kafka.bootstrap,
            auto_offset_reset="earliest",
            group_id=f"outage-check-{run}",
            metadata_max_age_ms=1000,
        )
        await consumer.start()
        received: list[dict] = []
        try:
            async with asyncio.timeout(120):
                while {m["import_id"] for m in received} != import_ids:
                    batch = await consumer.getmany(timeout_ms=1000)
                    messages = [json.loads(r.value) for records in batch.values() for r in records]
                    received += [m for m in messages if m["import_id"] in import_ids]
        finally:
            await consumer.stop()
        assert len(received) == KICKOFFS, "each published once"
        for message in received:
            assert message["type"] == "ImportRequested"
            assert message["payload"]["tm_attraction_id"].startswith("K8vOutage")
        assert await unpublished() == 0
