"""Messages and a consumer group's committed offsets survive a broker restart.

Runs its own broker (free ports, its own data folder) from the stack's jars: the shared broker must not be
restarted under other tests.
"""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka_broker import Kafka  # tools/stack, on sys.path via the root conftest
from probes import free_port, port_open

pytestmark = pytest.mark.real

TOPIC = "platform.restart"
GROUP = "platform-restart-group"


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home: Path = tmp_path_factory.mktemp("kafka-restart")
    broker = Kafka(home=home, port=free_port(), controller_port=free_port())
    assert broker.start() == "started"
    yield broker
    broker.stop()


async def produce(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(TOPIC, value, key=value[-1:])  # spread over partitions
    finally:
        await producer.stop()


async def consume(bootstrap: str, count: int, group: str = GROUP, commit: bool = True) -> list[bytes]:
    """Read `count` messages as a member of `group`; commit them by hand (auto-commit is off)."""
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        got: list[bytes] = []
        while len(got) < count:
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 60)
            got += [msg.value for msgs in batch.values() for msg in msgs if msg.value is not None]
        if commit:
            await consumer.commit()
        # nothing beyond what was asked for is waiting
        extra = await consumer.getmany(timeout_ms=1500)
        assert not any(extra.values()), f"unexpected extra messages: {extra}"
        return got
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, expected_partitions: int = 0) -> dict[int, int]:
    """The group's committed offset per partition. Right after a restart the broker may still be loading
    the offsets topic and answer "none yet": ask again until `expected_partitions` answer (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        offsets = await _committed_offsets(bootstrap)
        if len(offsets) >= expected_partitions or time.monotonic() > deadline:
            return offsets
        await asyncio.sleep(0.5)


async def _committed_offsets(bootstrap: str) -> dict[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        partitions = await producer.partitions_for(TOPIC)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    await consumer.start()
    try:
        offsets = {p: await consumer.committed(TopicPartition(TOPIC, p)) for p in sorted(partitions)}
        return {p: o for p, o in offsets.items() if o is not None}
    finally:
        await consumer.stop()


async def test_committed_offsets_and_messages_survive_restart(own_broker: Any) -> None:
    bootstrap = own_broker.bootstrap
    first = [f"first-{i}".encode() for i in range(16)]
    second = [f"second-{i}".encode() for i in range(8)]

    await produce(bootstrap, first)
    assert sorted(await consume(bootstrap, len(first))) == sorted(first)
    before = await committed_offsets(bootstrap)
    assert sum(before.values()) == len(first)
    assert len(before) > 1, "keys should spread over several of the 8 partitions"

    await produce(bootstrap, second)  # written, not yet consumed by the group

    await asyncio.to_thread(own_broker.stop)
    assert not port_open(own_broker.port)
    assert await asyncio.to_thread(own_broker.start) == "started"

    assert await committed_offsets(bootstrap, expected_partitions=len(before)) == before
    # the group resumes after its committed offsets: only the uncommitted messages come again
    assert sorted(await consume(bootstrap, len(second))) == sorted(second)
    # and every message is still on disk for a new group reading from the start
    everything = await consume(
        bootstrap, len(first) + len(second), group="platform-restart-audit", commit=False
    )
    assert sorted(everything) == sorted(first + second)
