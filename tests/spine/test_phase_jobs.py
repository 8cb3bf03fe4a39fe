"""Phases as durable jobs on the real broker and database: parked phases show `waiting` and resume where they
were, a worker gone while a phase waits changes nothing, PostgreSQL or Kafka errors are retried instead of
failing the import, and the watchdog never fails a waiting phase."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import ImportRequestedEvent, Phase
from mysetlist_common.messaging.kafka import ensure_topics
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter, PhaseResult
from mysetlist_common.phases.runner import PhaseRunner
from mysetlist_common.upstream.calls import Parked, current_call
from mysetlist_common.web.sse import SseEvent, read_sse
from mysetlist_devtools.stand_in import stand_in_ingest
from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

Work = Callable[[ImportRequestedEvent, PhaseReporter], Any]


async def quick(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
    return PhaseResult(counts={"items": 1})


@asynccontextmanager
async def stack(catalog: Work) -> AsyncIterator[tuple[str, str, list[PhaseRunner]]]:
    """Gateway and progress in this loop, the shows phase a quick stand-in, the catalog phase `catalog`.
    The consumer groups stay the same from test to test, as a deployment's do: each import is taken once."""
    from mysetlist_gateway.app import create_app as gateway_app
    from mysetlist_progress.app import create_app as progress_app

    ingests = [
        stand_in_ingest(Phase.SHOWS, "stand-in-shows", quick),
        stand_in_ingest(Phase.CATALOG, "stand-in-catalog", catalog),
    ]
    runners = [runner for _, runner in ingests]
    async with AsyncExitStack() as exits:
        gateway = await exits.enter_async_context(running_app(gateway_app()))
        progress = await exits.enter_async_context(running_app(progress_app()))
        await ensure_topics()
        for workers, runner in ingests:
            await workers.start()
            exits.push_async_callback(workers.stop)
            runner.start()
            exits.push_async_callback(runner.stop)
        yield gateway, progress, runners


async def kickoff(client: httpx.AsyncClient, gateway: str, tm_attraction_id: str) -> dict[str, Any]:
    response = await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": tm_attraction_id})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def until(client: httpx.AsyncClient, url: str, done: Callable[[dict], bool]) -> dict[str, Any]:
    """Poll the status document until `done` (bounded by the outer test's own limits, not by time here)."""
    status: dict[str, Any] = {}
    for _ in range(3000):
        response = await client.get(url)
        if response.status_code == 200:
            status = response.json()
            if done(status):
                return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"never reached; last status {status}")


async def stream(client: httpx.AsyncClient, url: str) -> list[SseEvent]:
    events: list[SseEvent] = []
    async with client.stream("GET", url, timeout=120) as response:
        async for event in read_sse(response):
            events.append(event)
    return events


async def test_a_parked_phase_shows_waiting_then_resumes_where_it_was(stack_env: dict[str, str]) -> None:
    tries: list[dict[str, Any]] = []

    async def catalog(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        context = current_call()
        assert context is not None
        tries.append(dict(context.journal))
        if len(tries) == 1:
            context.journal["GET /albums?page=1"] = {"items": ["first answer"]}
            raise Parked("spotify", time.time() + 3, "rate limited (429); Retry-After 3 s")
        return PhaseResult(counts={"songs": 1})

    async with stack(catalog) as (gateway, progress, _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vParkedOnce")
        status_url = f"{progress}/api/artists/{accepted['artistId']}/status"
        waiting = await until(client, status_url, lambda s: s["phases"]["catalog"]["state"] == "waiting")
        final = await until(client, status_url, lambda s: s["stage"] != "running")
        events = await stream(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")

    assert waiting["stage"] == "running", "a wait is not a failure"
    catalog_status = waiting["phases"]["catalog"]
    assert catalog_status["waitingFor"] == "spotify"
    assert catalog_status["resumeAt"].endswith("+00:00") or catalog_status["resumeAt"].endswith("Z")
    assert "waiting for Spotify's rate limit" in catalog_status["message"]
    assert final["stage"] == "completed" and final["importId"] == accepted["importId"]
    assert "waitingFor" not in final["phases"]["catalog"] or final["phases"]["catalog"]["waitingFor"] is None
    assert tries == [{}, {"GET /albums?page=1": {"items": ["first answer"]}}], "resumed with what it had"
    kinds = [e.event for e in events if e.data and e.data.get("payload", {}).get("phase") == "catalog"]
    assert kinds[:2] == ["PhaseStarted", "PhaseWaiting"] and kinds[-1] == "PhaseCompleted"


async def test_a_worker_gone_while_its_phase_waits_changes_nothing(stack_env: dict[str, str]) -> None:
    """The phase parks in one runner; that runner stops for good; another runner resumes it."""
    runs: list[int] = []

    async def catalog(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        context = current_call()
        assert context is not None
        runs.append(context.attempt)
        if context.attempt == 1:
            raise Parked("ticketmaster", time.time() + 2, "daily quota used up")
        return PhaseResult(counts={"songs": 1})

    async with stack(catalog) as (gateway, progress, runners), httpx.AsyncClient() as client:
        catalog_runner = runners[1]
        accepted = await kickoff(client, gateway, "K8vParkedGone")
        status_url = f"{progress}/api/artists/{accepted['artistId']}/status"
        await until(client, status_url, lambda s: s["phases"]["catalog"]["state"] == "waiting")
        await catalog_runner.stop()  # the only catalog worker is gone while the phase waits
        old = catalog_runner
        replacement = PhaseRunner(old.broker, Phase.CATALOG, old.work, old.sessions, old.settings)
        replacement.start()
        try:
            final = await until(client, status_url, lambda s: s["stage"] != "running")
        finally:
            await replacement.stop()
    assert final["stage"] == "completed"
    assert runs == [1, 2]


async def test_postgres_or_kafka_errors_are_retried_never_reported_as_failures(
    stack_env: dict[str, str],
) -> None:
    """Regression: a phase that met ConnectionRefusedError (PostgreSQL stopped) was reported failed."""
    runs: list[int] = []

    async def catalog(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        runs.append(len(runs) + 1)
        if len(runs) == 1:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 55432)")
        return PhaseResult(counts={"songs": 1})

    async with stack(catalog) as (gateway, progress, _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vInfraRetry")
        events = await stream(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
    assert events[-1].event == "ImportFinished"
    assert events[-1].data["payload"]["outcome"] == "completed", events[-1].data
    assert not [e for e in events if e.event == "PhaseFailed"]
    assert runs == [1, 2]


async def test_a_phase_that_can_never_succeed_fails_at_once(stack_env: dict[str, str]) -> None:
    runs: list[int] = []

    async def catalog(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        runs.append(1)
        raise PhaseError("Spotify answered 401 for the client credentials")

    async with stack(catalog) as (gateway, progress, _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vNeverWorks")
        events = await stream(client, f"{progress}/api/artists/{accepted['artistId']}/stream?lastEventId=0")
    assert events[-1].data["payload"]["outcome"] == "failed"
    assert "401" in events[-1].data["payload"]["message"]
    assert runs == [1], "not retried"
    async with session_factory()() as session:
        left = await session.scalar(text("SELECT count(*) FROM phase_job"))
    assert left == 0, "ended phases leave no job behind"


async def test_the_watchdog_never_fails_a_waiting_phase(stack_env: dict[str, str]) -> None:
    from mysetlist_progress.recorder import fail_stalled

    release = asyncio.Event()

    async def catalog(event: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        context = current_call()
        assert context is not None
        if context.attempt == 1:
            raise Parked("spotify", time.time() + 3600, "Retry-After 3600 s")
        await release.wait()
        return PhaseResult()

    async with stack(catalog) as (gateway, progress, _), httpx.AsyncClient() as client:
        accepted = await kickoff(client, gateway, "K8vWatchdogWaits")
        status_url = f"{progress}/api/artists/{accepted['artistId']}/status"
        settled_phases = {"shows": "completed", "catalog": "waiting"}  # no event is on its way any more
        await until(
            client, status_url, lambda s: {k: v["state"] for k, v in s["phases"].items()} == settled_phases
        )
        sessions = session_factory()
        async with sessions.begin() as session:  # silent for "longer" than a 1 s stall timeout
            await session.execute(text("UPDATE progress_event SET recorded_at = now() - interval '1 hour'"))
            await session.execute(text("UPDATE import_run SET requested_at = now() - interval '1 hour'"))
            settled = await fail_stalled(session, 1.0)
        assert settled == [], "the waiting phase resumes within the hour: not stalled"
        async with sessions.begin() as session:  # the same import with its phase gone silent
            await session.execute(text("DELETE FROM phase_job"))
            settled = await fail_stalled(session, 1.0)
        assert [f.import_id for f in settled] == [accepted["importId"]] or [
            str(f.import_id) for f in settled
        ] == [accepted["importId"]]
