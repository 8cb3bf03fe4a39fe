"""Dead letters: list and show what the `.dlq` topics hold, and send one back to its topic, once.

A message is named `topic:partition:offset`. Kafka messages cannot be changed, so the table `dlq_replayed`
remembers what was sent back: the row is inserted in the same transaction that publishes, so a second
replay (even a concurrent one, which waits on the row lock) finds it and sends nothing. Should the process
die between the publish and the commit, the message is sent again by the next replay, and the consumer's
inbox drops the duplicate by its event id.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_common.messaging.topic_reader import read_between, read_one
from mysetlist_common.messaging.topics import (
    DEAD_LETTER_SUFFIX,
    IMPORTS_PROGRESS,
    IMPORTS_REQUESTED,
    dead_letter,
)

ORIGIN_HEADER = "dlq-origin"  # on a message sent back: the dead letter it came from


def dead_letter_topics() -> list[str]:
    return [dead_letter(IMPORTS_REQUESTED), dead_letter(IMPORTS_PROGRESS)]


def parse_ref(ref: str) -> tuple[str, int, int] | None:
    """`topic:partition:offset` of one of the system's dead-letter topics, else None."""
    name, _, rest = ref.rpartition(":")
    name, _, partition = name.rpartition(":")
    if name not in dead_letter_topics() or not partition.isdigit() or not rest.isdigit():
        return None
    return name, int(partition), int(rest)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, record: ConsumerRecord) -> "DeadLetter":
        headers = {k: (v or b"").decode(errors="replace") for k, v in record.headers or ()}
        moment = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        return cls(
            record.topic, record.partition, record.offset, moment, record.key, record.value or b"", headers
        )

    @property
    def ref(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def origin(self) -> str:
        return self.topic.removesuffix(DEAD_LETTER_SUFFIX)

    @property
    def error(self) -> str:
        return self.headers.get("error", "")

    def peek(self) -> dict[str, Any]:
        """type, version, event id and import id, when the body is a JSON object that has them."""
        try:
            body = json.loads(self.value)
        except (ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(body, dict):
            return {}
        return {k: body.get(k) for k in ("type", "version", "event_id", "import_id")}


async def list_dead_letters(name: str | None = None) -> list[DeadLetter]:
    """Every dead letter (of one dead-letter topic, or all of them), oldest first."""
    letters = []
    for dlq in dead_letter_topics():
        if name in (None, dlq):
            letters += [DeadLetter.of(r) for r in await read_between(dlq)]
    return sorted(letters, key=lambda d: d.timestamp)


async def get_dead_letter(ref: str) -> DeadLetter | None:
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    record = await read_one(*parsed)
    return DeadLetter.of(record) if record is not None else None


async def replayed_at(session: AsyncSession, letters: list[DeadLetter]) -> dict[str, datetime]:
    """When each of these was sent back (those never sent back are absent)."""
    if not letters:
        return {}
    rows = await session.execute(
        text(
            'SELECT d.topic, d.partition, d."offset", d.replayed_at FROM dlq_replayed d '
            "JOIN unnest(CAST(:topics AS text[]), CAST(:partitions AS int[]), CAST(:offsets AS bigint[])) "
            'AS l(topic, partition, "offset") USING (topic, partition, "offset")'
        ),
        {
            "topics": [d.topic for d in letters],
            "partitions": [d.partition for d in letters],
            "offsets": [d.offset for d in letters],
        },
    )
    return {f"{r.topic}:{r.partition}:{r.offset}": r.replayed_at for r in rows}


async def send_back(
    sessions: async_sessionmaker[AsyncSession], broker: KafkaBroker, letter: DeadLetter
) -> datetime | None:
    """Publish the dead letter to its own topic again; None when it was sent back before."""
    async with sessions.begin() as session:
        at = await session.scalar(
            text(
                'INSERT INTO dlq_replayed (topic, partition, "offset") VALUES (:topic, :partition, :offset) '
                "ON CONFLICT DO NOTHING RETURNING replayed_at"
            ),
            {"topic": letter.topic, "partition": letter.partition, "offset": letter.offset},
        )
        if at is None:
            return None
        # the body as it was, keyed as it was (the artist id keeps the artist's events in one partition)
        headers = {k: v for k, v in letter.headers.items() if k != "error"} | {ORIGIN_HEADER: letter.ref}
        await broker.publish(letter.value, letter.origin, key=letter.key, headers=headers)
    return at
