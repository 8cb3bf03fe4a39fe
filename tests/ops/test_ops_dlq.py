"""Dead letters on the real broker and database: an ImportRequested of an event version the consumer does
not know yet is dead-lettered, listed and shown; once the consumer is upgraded it is sent back, lands and
is enqueued once, and a second replay sends nothing."""

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pydantic import ConfigDict
from sqlalchemy import text

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequested, ImportRequestedEvent, Phase
from mysetlist_common.messaging.topic_reader import read_between
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, dead_letter, topic
from mysetlist_common.phases.ingest import Intake, take_phase
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult
from mysetlist_devtools.stand_in import stand_in_ingest
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

GROUP = "test-dlq-shows"


class ImportRequestedV2(ImportRequested):
    """The upgraded consumer's payload: it reads version 2, whose `market` it may ignore."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class UpgradedEvent(ImportRequestedEvent):
    payload: ImportRequestedV2


async def take_upgraded(requested: UpgradedEvent, intake: Intake) -> None:
    """The upgraded consumer's handler: reads version 2, then takes the phase like the services do."""
    await take_phase(requested, intake)


async def never_run(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
    raise AssertionError("the runner is not started: the test only looks at the enqueued job")


async def eventually(check: Any, timeout_s: float = 60) -> Any:
    """Poll until `check()` is truthy: waits for an event, never for a fixed time."""
    async with asyncio.timeout(timeout_s):
        while not (found := await check()):
            await asyncio.sleep(0.1)
    return found


async def jobs_of(import_id: str) -> int:
    async with session_factory()() as session:
        n = await session.scalar(
            text("SELECT count(*) FROM phase_job WHERE import_id = CAST(:id AS uuid)"), {"id": import_id}
        )
    return int(n or 0)


async def test_poison_is_listed_shown_and_replayed_once_after_the_fix(
    admin_env: dict[str, str],
) -> None:
    from mysetlist_gateway.app import create_app

    consumer, _ = stand_in_ingest(Phase.SHOWS, GROUP, never_run)  # its runner stays stopped
    import_id, event_id = str(uuid4()), str(uuid4())
    v2 = {
        "event_id": event_id,
        "version": 2,
        "occurred_at": "2026-11-30T00:00:00Z",
        "import_id": import_id,
        "artist_id": str(uuid4()),
        "type": "ImportRequested",
        "payload": {"tm_attraction_id": "K8vDlqV2", "reason": "user", "market": "DE"},
    }
    async with (
        running_app(create_app()) as url,  # its start-up creates the topics
        httpx.AsyncClient(base_url=url, headers=admin_env, timeout=60) as client,
    ):
        await consumer.start()
        try:
            await consumer.publish(v2, topic(IMPORTS_REQUESTED), key=v2["artist_id"].encode())

            async def listed() -> list[dict[str, Any]]:
                page = (await client.get("/api/admin/dlq")).json()
                return [i for i in page["items"] if i["eventId"] == event_id]

            [item] = await eventually(listed)
            assert item["topic"] == dead_letter(IMPORTS_REQUESTED) and item["origin"] == topic(
                IMPORTS_REQUESTED
            )
            assert (item["type"], item["version"], item["replayedAt"]) == ("ImportRequested", 2, None)
            assert "market" in item["error"]
            assert await jobs_of(import_id) == 0

            assert (
                await client.get("/api/admin/dlq", headers={"Authorization": "Bearer no"})
            ).status_code == 401
            shown = (await client.get(f"/api/admin/dlq/{item['id']}")).json()
            assert '"market"' in shown["body"] and shown["headers"]["error"] == item["error"]
            other = f"{topic(IMPORTS_REQUESTED)}:0:0"  # not a dead-letter topic
            assert (await client.get(f"/api/admin/dlq/{other}")).status_code == 404
            assert (await client.get(f"/api/admin/dlq/{item['id']}9")).status_code == 404

            await consumer.stop()  # the consumer is upgraded: it now knows version 2
            consumer, _ = stand_in_ingest(Phase.SHOWS, GROUP, never_run, take_upgraded)
            await consumer.start()
            first = await client.post(f"/api/admin/dlq/{item['id']}/replay")
            assert first.status_code == 200, first.text
            assert first.json()["sentTo"] == topic(IMPORTS_REQUESTED)
            again = await client.post(f"/api/admin/dlq/{item['id']}/replay")
            assert again.status_code == 409, "sent back once, never twice"

            await eventually(lambda: jobs_of(import_id))
            copies = [r for r in await read_between(topic(IMPORTS_REQUESTED)) if event_id.encode() in r.value]
            assert len(copies) == 2, "the original and exactly one copy sent back"
            assert dict(copies[1].headers)["dlq-origin"] == item["id"].encode()
            assert await jobs_of(import_id) == 1
            [after] = await listed()
            assert after["replayedAt"] == first.json()["replayedAt"]
        finally:
            await consumer.stop()
