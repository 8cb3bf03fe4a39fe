"""POST /api/admin/replay on the real broker and database: each selection, dry runs, joining, pacing's
reason. No ingest service runs here, so every import stays `running` until the test settles it."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.messaging.topic_reader import read_between
from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, topic
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]


async def scalar(sql: str, **params: Any) -> Any:
    async with session_factory()() as session:
        return await session.scalar(text(sql), params)


async def requested() -> list[ImportRequestedEvent]:
    records = await read_between(topic(IMPORTS_REQUESTED))
    return [ImportRequestedEvent.model_validate_json(r.value) for r in records]


async def on_topic(import_ids: set[str]) -> None:
    """Wait until the relay published these imports' ImportRequested (an event, not a time)."""
    async with asyncio.timeout(60):
        while not import_ids <= {str(e.import_id) for e in await requested()}:
            await asyncio.sleep(0.1)


async def settle_all_failed() -> None:
    """As if every running import had failed (what the progress service records)."""
    async with session_factory().begin() as session:
        await session.execute(
            text("UPDATE import_run SET state = 'failed', finished_at = now() WHERE state = 'running'")
        )


async def test_replay_selections_dry_run_and_join(admin_env: dict[str, str]) -> None:
    from mysetlist_gateway.app import create_app

    async with running_app(create_app()) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def kick(tm_attraction_id: str) -> dict[str, Any]:
            return dict(
                (await client.post("/api/artists/import", json={"tmAttractionId": tm_attraction_id})).json()
            )

        async def replay(**body: Any) -> dict[str, Any]:
            response = await client.post("/api/admin/replay", json=body, headers=admin_env)
            assert response.status_code == 200, response.text
            return dict(response.json())

        assert (await client.post("/api/admin/replay", json={"artist": "x"})).status_code == 401
        both = {"artist": "x", "failedSince": "2026-01-01T00:00:00Z"}
        assert (await client.post("/api/admin/replay", json=both, headers=admin_env)).status_code == 422
        missing = {"artist": "K8vNobodyHere"}
        assert (await client.post("/api/admin/replay", json=missing, headers=admin_env)).status_code == 404

        start = datetime.now(UTC)
        a, b = await kick("K8vReplayA"), await kick("K8vReplayB")
        await on_topic({a["importId"], b["importId"]})
        await asyncio.sleep(0.01)  # `end` falls in a later millisecond than both records' timestamps
        end = datetime.now(UTC)
        c = await kick("K8vReplayC")
        await on_topic({c["importId"]})
        window = [start.isoformat(), end.isoformat()]

        # a dry run lists what the topic holds in the window (A and B, running: they would be joined)
        runs, outbox = (
            await scalar("SELECT count(*) FROM import_run"),
            await scalar("SELECT count(*) FROM outbox"),
        )
        dry = await replay(requestedBetween=window, dryRun=True)
        assert dry["dryRun"] and [i["tmAttractionId"] for i in dry["items"]] == ["K8vReplayA", "K8vReplayB"]
        assert [i["outcome"] for i in dry["items"]] == ["would join", "would join"]
        assert [i["replayOf"] for i in dry["items"]] == [a["importId"], b["importId"]]
        assert await scalar("SELECT count(*) FROM import_run") == runs, "a dry run changes nothing"
        assert await scalar("SELECT count(*) FROM outbox") == outbox

        # all three failed; the replay of the window opens new imports for A and B only, reason replay
        await settle_all_failed()
        failed = await replay(failedSince=start.isoformat(), dryRun=True)
        assert {i["tmAttractionId"] for i in failed["items"]} == {"K8vReplayA", "K8vReplayB", "K8vReplayC"}
        done = await replay(requestedBetween=window, ratePerSecond=100)
        assert (done["started"], done["joined"]) == (2, 0)
        new_ids = [i["importId"] for i in done["items"]]
        assert not {a["importId"], b["importId"]} & set(new_ids), "a replay is a new import"
        reasons = await scalar(
            "SELECT array_agg(reason) FROM import_run WHERE id = ANY(CAST(:ids AS uuid[]))", ids=new_ids
        )
        assert reasons == ["replay", "replay"]
        await on_topic(set(new_ids))
        replayed = [e for e in await requested() if str(e.import_id) in new_ids]
        assert {e.payload.reason for e in replayed} == {"replay"}

        # A and B's failures are superseded by their replays: only C is still failed
        failed = await replay(failedSince=start.isoformat(), dryRun=True)
        assert [(i["tmAttractionId"], i["outcome"]) for i in failed["items"]] == [
            ("K8vReplayC", "would start")
        ]

        # A is importing (its replay): replaying it by artist id joins that import
        joined = await replay(artist=a["artistId"])
        assert joined["items"][0]["outcome"] == "joined" and joined["items"][0]["importId"] == new_ids[0]

        # C by its failed import's id: a new import
        by_import = await replay(importId=c["importId"])
        assert by_import["items"][0]["outcome"] == "started"
        assert by_import["items"][0]["replayOf"] == c["importId"]
        assert by_import["items"][0]["importId"] != c["importId"]
