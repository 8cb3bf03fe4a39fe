"""Read a slice of a topic without a consumer group: by time (`offsets_for_times`) or one message by offset.

Operators' tools (replay, dead letters) read what Kafka really holds; with no group nothing is committed,
so reading never moves any service's offsets.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from mysetlist_common.settings import get_settings

READ_DEADLINE_S = 120.0  # a broken broker fails the read instead of hanging an operator's command


@contextlib.asynccontextmanager
async def _consumer() -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=get_settings().kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _partitions(topic: str) -> list[TopicPartition]:
    """The topic's partitions (none when it does not exist); the admin client asks the broker now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=get_settings().kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [d for d in described if d.get("topic") == topic and not d.get("error_code")]
    return [TopicPartition(topic, p["partition"]) for d in found for p in d.get("partitions", [])]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def _offsets_at(
    consumer: AIOKafkaConsumer, partitions: list[TopicPartition], moment: datetime | None, default: dict
) -> dict[TopicPartition, int]:
    """Per partition, the first offset written at or after `moment` (the end when there is none)."""
    if moment is None:
        return dict(default)
    found = await consumer.offsets_for_times({tp: _ms(moment) for tp in partitions})
    ends = await consumer.end_offsets(partitions)
    return {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}


async def _read(
    consumer: AIOKafkaConsumer, ranges: dict[TopicPartition, tuple[int, int]]
) -> list[ConsumerRecord]:
    """Every record in [start, stop) of each partition."""
    todo = {tp: r for tp, r in ranges.items() if r[0] < r[1]}
    consumer.assign(list(todo))
    for tp, (start, _stop) in todo.items():
        consumer.seek(tp, start)
    records: list[ConsumerRecord] = []
    async with asyncio.timeout(READ_DEADLINE_S):
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=500)
            for tp, messages in batch.items():
                records += [m for m in messages if m.offset < todo[tp][1]]
            for tp in list(todo):
                if await consumer.position(tp) >= todo[tp][1]:
                    del todo[tp]
    return records


async def read_between(
    topic: str, start: datetime | None = None, end: datetime | None = None
) -> list[ConsumerRecord]:
    """The records `topic` holds that were written in [start, end), oldest first."""
    async with _consumer() as consumer:
        partitions = await _partitions(topic)
        if not partitions:
            return []
        first = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await _offsets_at(consumer, partitions, start, first)
        stops = await _offsets_at(consumer, partitions, end, ends)
        records = await _read(consumer, {tp: (starts[tp], stops[tp]) for tp in partitions})
    return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))


async def read_one(topic: str, partition: int, offset: int) -> ConsumerRecord | None:
    """The record at topic:partition:offset, or None when the topic does not hold it (any more)."""
    async with _consumer() as consumer:
        tp = TopicPartition(topic, partition)
        if tp not in await _partitions(topic):
            return None
        first = (await consumer.beginning_offsets([tp]))[tp]
        end = (await consumer.end_offsets([tp]))[tp]
        if not first <= offset < end:
            return None
        found = await _read(consumer, {tp: (offset, offset + 1)})
    return found[0] if found else None
