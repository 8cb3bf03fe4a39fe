"""The import spine for real: gateway kickoff -> outbox -> Kafka -> stand-in phases -> progress -> SSE."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from uuid import UUID

import httpx
import pytest

from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.kafka import ensure_topics, make_broker
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult
from mysetlist_common.web.sse import SseEvent, read_sse
from mysetlist_devtools.stand_in import stand_in_ingest
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

PHASE_STEPS = 3


class StandInPhases:
    """Both phases as stand-ins: each reports PHASE_STEPS progress events; a gate can hold them mid-import."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_catalog_with: str | None = None
        self.runs: list[tuple[Phase, UUID]] = []

    def work(self, phase: Phase):  # type: ignore[no-untyped-def]
        async def run(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
            self.runs.append((phase, event.import_id))
            for step in range(1, PHASE_STEPS + 1):
                await reporter.progress(step, PHASE_STEPS, f"step {step}")
                if step == 1:
                    await self.gate.wait()
            if phase is Phase.CATALOG and self.fail_catalog_with:
                from mysetlist_common.phases.reporting import PhaseError

                raise PhaseError(self.fail_catalog_with)
            return PhaseResult(counts={"items": PHASE_STEPS})

        return run


@asynccontextmanager
async def spine(
    stack_env: dict[str, str], progress_replicas: int = 1
) -> AsyncIterator[tuple[str, list[str], StandInPhases]]:
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    phases = StandInPhases()
    ingests = [
        stand_in_ingest(Phase.SHOWS, "stand-in-shows", phases.work(Phase.SHOWS)),
        stand_in_ingest(Phase.CATALOG, "stand-in-catalog", phases.work(Phase.CATALOG)),
    ]
    async with AsyncExitStack() as stack:
        gateway = await stack.enter_async_context(running_app(gateway_app()))
        progress = [
            await stack.enter_async_context(running_app(progress_app())) for _ in range(progress_replicas)
        ]
        await ensure_topics()
        for workers, runner in ingests:
            await workers.start()
            stack.push_async_callback(workers.stop)
            runner.start()
            stack.push_async_callback(runner.stop)
        yield gateway, progress, phases


async def kickoff(client: httpx.AsyncClient, gateway: str, tm_attraction_id: str) -> dict:
    response = await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": tm_attraction_id})
    assert response.status_code == 200, response.text
    return response.json()


async def collect(
    client: httpx.AsyncClient, url: str, headers: dict | None = None, stop_after: int | None = None
) -> list[SseEvent]:
    events: list[SseEvent] = []
    async with client.stream("GET", url, headers=headers or {}, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for event in read_sse(response):
            events.append(event)
            if stop_after is not None and sum(e.id is not None for e in events) >= stop_after:
                break
    return events


def expected_types() -> int:
    # per phase: started, PHASE_STEPS progress, completed; then ImportFinished
    return 2 * (PHASE_STEPS + 2) + 1


async def test_kickoff_to_sse_in_order(stack_env: dict[str, str]) -> None:
    async with spine(stack_env) as (gateway, (progress,), _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vSpineOrder1")
        assert accepted["slug"] == "tm-k8vspineorder1"
        events = await collect(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
    assert events[0].event == "status" and events[0].data["importId"] == accepted["importId"]
    numbered = [e for e in events if e.id is not None]
    assert [e.id for e in numbered] == list(range(1, len(numbered) + 1)), "gapless sequence, none twice"
    assert len(numbered) == expected_types()
    assert numbered[-1].event == "ImportFinished" and numbered[-1].data["payload"]["outcome"] == "completed"
    for phase in ("shows", "catalog"):
        kinds = [e.event for e in numbered if e.data["payload"].get("phase") == phase]
        assert kinds == ["PhaseStarted"] + ["PhaseProgress"] * PHASE_STEPS + ["PhaseCompleted"]

    async with httpx.AsyncClient() as client, spine(stack_env) as (_, (progress,), _):
        status = (await client.get(f"{progress}/api/artists/{accepted['artistId']}/status")).json()
    assert status["stage"] == "completed" and status["progress"] == 100
    assert set(status["phases"]) == {"shows", "catalog"}
    for phase in status["phases"].values():
        assert phase["state"] == "completed" and phase["done"] == phase["total"] == PHASE_STEPS
        assert phase["duration"] is not None and phase["duration"] >= 0


async def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(stack_env: dict[str, str]) -> None:
    async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
        phases.gate.clear()  # hold both phases after their first progress event
        accepted = await kickoff(client, gateway, "K8vSpineResume")
        url = f"{progress}/api/artists/{accepted['artistId']}/stream"
        first = await collect(client, url + "?lastEventId=0", stop_after=3)
        seen = [e.id for e in first if e.id is not None]
        phases.gate.set()
        rest = await collect(client, url, headers={"Last-Event-ID": str(seen[-1])})
    resumed = [e.id for e in rest if e.id is not None]
    assert resumed[0] == seen[-1] + 1, "nothing missed, nothing twice"
    assert seen + resumed == list(range(1, expected_types() + 1))
    assert rest[-1].event == "ImportFinished"


async def test_two_progress_replicas_stream_every_event(stack_env: dict[str, str]) -> None:
    async with (
        spine(stack_env, progress_replicas=2) as (gateway, replicas, phases),
        httpx.AsyncClient() as client,
    ):
        phases.gate.clear()
        accepted = await kickoff(client, gateway, "K8vSpineReplicas")
        streams = [
            asyncio.create_task(
                collect(client, f"{r}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
            )
            for r in replicas
        ]
        await asyncio.sleep(0.5)
        phases.gate.set()
        results = await asyncio.wait_for(asyncio.gather(*streams), 60)
    for events in results:
        assert [e.id for e in events if e.id is not None] == list(range(1, expected_types() + 1))
        assert events[-1].event == "ImportFinished"


async def test_fifty_concurrent_kickoffs_make_one_import(stack_env: dict[str, str]) -> None:
    async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
        phases.gate.clear()
        answers = await asyncio.gather(*(kickoff(client, gateway, "K8vSpineFifty") for _ in range(50)))
        assert len({a["importId"] for a in answers}) == 1
        assert sum(a["created"] for a in answers) == 1
        assert len({a["artistId"] for a in answers}) == 1
        phases.gate.set()
        events = await collect(
            client, f"{progress}/api/artists/{answers[0]['artistId']}/stream?lastEventId=0"
        )
        assert events[-1].event == "ImportFinished"
        # once ended, a kickoff starts a new import
        again = await kickoff(client, gateway, "K8vSpineFifty")
        assert again["importId"] != answers[0]["importId"] and again["created"]
        await collect(client, f"{progress}/api/artists/{again['artistId']}/stream?lastEventId=0")
    assert sorted(str(i) for p, i in phases.runs if p is Phase.SHOWS) == sorted(
        [answers[0]["importId"], again["importId"]]
    )


async def test_failed_phase_settles_import_as_failed_naming_it(stack_env: dict[str, str]) -> None:
    async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
        phases.fail_catalog_with = "Spotify answered 401 for the client credentials"
        accepted = await kickoff(client, gateway, "K8vSpineFails")
        events = await collect(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
        status = (await client.get(f"{progress}/api/artists/{accepted['artistId']}/status")).json()
    finished = events[-1]
    assert finished.event == "ImportFinished" and finished.data["payload"]["outcome"] == "failed"
    assert status["stage"] == "failed"
    assert "catalog failed: Spotify answered 401" in status["message"]
    assert status["phases"]["shows"]["state"] == "completed"


@pytest.mark.parametrize(
    "body", [{}, {"tmAttractionId": ""}, {"tmAttractionId": "x" * 65}, {"tmAttractionId": "K8v/../x"}]
)
async def test_kickoff_rejects_bad_ids_with_a_clear_422(stack_env: dict[str, str], body: dict) -> None:
    from mysetlist_gateway.app import create_app

    async with running_app(create_app()) as gateway, httpx.AsyncClient() as client:
        response = await client.post(f"{gateway}/api/artists/import", json=body)
    assert response.status_code == 422
    body = response.json()
    assert "tmAttractionId" in body["detail"], "the message names the field"
    assert body["errors"][0]["loc"][-1] == "tmAttractionId" and body["errors"][0]["msg"]


async def test_stream_of_unknown_artist_is_404(stack_env: dict[str, str]) -> None:
    from mysetlist_progress.app import create_app

    async with running_app(create_app()) as progress, httpx.AsyncClient() as client:
        response = await client.get(f"{progress}/api/artists/00000000-0000-0000-0000-000000000000/stream")
        assert response.status_code == 404
        response = await client.get(f"{progress}/api/artists/00000000-0000-0000-0000-000000000000/status")
        assert response.status_code == 404


async def test_services_expose_their_slo_metrics(stack_env: dict[str, str]) -> None:
    async with spine(stack_env) as (gateway, (progress,), _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vSpineMetrics")
        await collect(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
        gateway_metrics = (await client.get(f"{gateway}/metrics")).text
        progress_metrics = (await client.get(f"{progress}/metrics")).text
        health = (
            (await client.get(f"{gateway}/healthz")).json(),
            (await client.get(f"{progress}/readyz")).json(),
        )
    assert 'mysetlist_kickoff_latency_seconds_bucket{le="0.2"}' in gateway_metrics
    assert 'mysetlist_sse_delivery_latency_seconds_bucket{le="0.05"}' in progress_metrics
    assert "mysetlist_imports_finished_total" in progress_metrics
    assert "faststream_received_messages_total" in progress_metrics  # FastStream's Prometheus middleware
    assert health == ({"status": "ok", "service": "gateway"}, {"status": "ready"})


async def test_an_event_whose_recording_fails_is_redelivered_and_recorded_once(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mysetlist_progress import consumers

    monkeypatch.setenv("CONSUMER_REDELIVERY_DELAY_S", "0.2")
    from mysetlist_common.settings import get_settings

    get_settings.cache_clear()
    real_record = consumers.record
    failures: list[str] = []

    async def flaky_record(session, event):  # type: ignore[no-untyped-def]
        if event.type == "PhaseCompleted" and not failures:
            failures.append(event.type)
            raise ConnectionError("database went away")  # a transient failure mid-transaction
        return await real_record(session, event)

    monkeypatch.setattr(consumers, "record", flaky_record)
    async with spine(stack_env) as (gateway, (progress,), _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vSpineFlaky")
        events = await collect(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
    get_settings.cache_clear()
    assert failures == ["PhaseCompleted"], "the failure happened"
    numbered = [e for e in events if e.id is not None]
    assert [e.id for e in numbered] == list(range(1, expected_types() + 1)), "nothing lost, nothing twice"
    assert numbered[-1].event == "ImportFinished" and numbered[-1].data["payload"]["outcome"] == "completed"


async def test_stream_hints_retry_and_sends_heartbeats_while_quiet(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mysetlist_common.settings import get_settings

    monkeypatch.setenv("SSE_HEARTBEAT_S", "0.3")
    get_settings.cache_clear()
    try:
        async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
            phases.gate.clear()  # the import goes quiet after each phase's first progress event
            accepted = await kickoff(client, gateway, "K8vSpineHeartbeat")
            lines: list[str] = []
            url = f"{progress}/api/artists/{accepted['artistId']}/stream"
            async with client.stream("GET", url, timeout=30) as response:
                async for line in response.aiter_lines():
                    lines.append(line)
                    if sum(line == ": heartbeat" for line in lines) >= 2:
                        break
            phases.gate.set()
            await collect(client, url + "?lastEventId=0")
    finally:
        get_settings.cache_clear()
    assert lines[0] == "retry: 2000"
    assert lines.count(": heartbeat") == 2


async def test_a_last_event_id_of_an_earlier_import_replays_the_current_one_from_its_start(
    stack_env: dict[str, str],
) -> None:
    async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
        first = await kickoff(client, gateway, "K8vSpineTwice")
        url = f"{progress}/api/artists/{first['artistId']}/stream"
        await collect(client, url + "?lastEventId=0")
        phases.gate.clear()  # the second import holds early, below the first one's last id
        second = await kickoff(client, gateway, "K8vSpineTwice")
        assert second["importId"] != first["importId"]
        stale_id = str(expected_types())  # the last id the client saw of the first import
        reconnect = asyncio.create_task(collect(client, url, headers={"Last-Event-ID": stale_id}))
        await asyncio.sleep(0.5)
        phases.gate.set()
        events = await asyncio.wait_for(reconnect, 60)
    numbered = [e for e in events if e.id is not None]
    assert all(e.data["import_id"] == second["importId"] for e in numbered)
    assert [e.id for e in numbered] == list(range(1, expected_types() + 1))


async def test_reconnecting_streams_never_start_work(stack_env: dict[str, str]) -> None:
    """Lesson: the old SSE route started an import on every reconnect. Here streams only observe."""
    from sqlalchemy import func, select

    from mysetlist_common.db.schema import ImportRun, Outbox
    from mysetlist_common.db.session import session_factory

    async with spine(stack_env) as (gateway, (progress,), phases), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vSpineObserve")
        url = f"{progress}/api/artists/{accepted['artistId']}/stream"
        await collect(client, url + "?lastEventId=0")
        for headers in ({}, {"Last-Event-ID": "0"}, {"Last-Event-ID": "3"}, {"Last-Event-ID": "999"}):
            await collect(client, url, headers=headers)
        await asyncio.sleep(0.5)  # any import a reconnect had started would have been queued by now
    async with session_factory()() as session:
        runs = await session.scalar(
            select(func.count()).where(ImportRun.artist_id == UUID(accepted["artistId"]))
        )
        queued = await session.scalar(
            select(func.count()).where(Outbox.key == accepted["artistId"], Outbox.topic.like("%requested"))
        )
    assert runs == 1 and queued == 1
    assert sorted(p.value for p, _ in phases.runs) == ["catalog", "shows"], "each phase ran once"


async def test_a_malformed_import_request_is_dead_lettered_and_the_next_one_runs(
    stack_env: dict[str, str],
) -> None:
    from aiokafka import AIOKafkaConsumer

    from mysetlist_common.messaging.topics import IMPORTS_REQUESTED, dead_letter, topic
    from mysetlist_common.settings import get_settings

    publisher = make_broker("test-poison-request")
    async with spine(stack_env) as (gateway, (progress,), _), httpx.AsyncClient() as client:
        await publisher.start()
        try:
            await publisher.publish(b'{"type": "ImportRequested"}', topic(IMPORTS_REQUESTED), key=b"poison")
        finally:
            await publisher.stop()
        accepted = await kickoff(client, gateway, "K8vSpineAfterPoison")
        events = await collect(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
    assert events[-1].data["payload"]["outcome"] == "completed"
    consumer = AIOKafkaConsumer(
        dead_letter(IMPORTS_REQUESTED),
        bootstrap_servers=get_settings().kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id="dlq-requested-check",
    )
    await consumer.start()
    try:
        parked = [await asyncio.wait_for(consumer.getone(), 120) for _ in range(2)]  # one per phase consumer
    finally:
        await consumer.stop()
    assert all(r.value == b'{"type": "ImportRequested"}' and "error" in dict(r.headers) for r in parked)
