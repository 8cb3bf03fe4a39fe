"""What every benchmark needs: the stack's Kafka and PostgreSQL, a throwaway database, child processes
(the simulator, our services), and imports driven through the real topics."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mysetlist_devtools.databases import admin, with_database
from mysetlist_devtools.processes import serving_process
from mysetlist_devtools.stack_tools import stack_tool

if TYPE_CHECKING:
    from mysetlist_common.messaging.events import PhaseCompletedEvent

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench-results"
LOGS = RESULTS / "logs"
IMPORT_TOPICS = ("imports.requested", "imports.progress")


def servers() -> tuple[str, str]:
    """(Kafka bootstrap, PostgreSQL URL): the environment's, else the stack's (started when needed)."""
    with stack_tool("layout").stack_lock():
        kafka, postgres = stack_tool("kafka_broker").Kafka(), stack_tool("postgres_cluster").Postgres()
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            kafka.start()
        if not os.environ.get("DATABASE_URL"):
            postgres.start()
    return (
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or str(kafka.bootstrap),
        os.environ.get("DATABASE_URL") or str(postgres.url),
    )


@contextmanager
def database(server_url: str, name: str) -> Iterator[str]:
    """A migrated database of its own for one benchmark, dropped afterwards."""
    from mysetlist_common.db import migrate

    name = f"{name}_{os.getpid()}"
    url = with_database(server_url, name)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(admin(server_url, drop, f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(admin(server_url, drop))


@contextmanager
def process(argv: Sequence[str], env: dict[str, str], health: str, log_name: str) -> Iterator[None]:
    """A child process that must answer `health` before the benchmark goes on; stopped afterwards.
    Its output goes to bench-results/logs/`log_name`."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with serving_process(argv, env, health, LOGS / log_name, cwd=REPO, start_within_s=90, stop_within_s=20):
        yield


def python(module: str, *args: str) -> list[str]:
    """The argv that runs `module` with this interpreter (the workspace's)."""
    return [sys.executable, "-m", module, *args]


def environment(database_url: str, kafka: str, topic_prefix: str) -> dict[str, str]:
    """A service's environment: the caller's, pointed at the benchmark's database, broker and topics."""
    return {
        # one benchmark client does the work of many: the per-client limits would measure themselves
        "KICKOFF_LIMIT_PER_CLIENT_PER_MIN": "0",
        "SSE_STREAMS_PER_CLIENT": "0",
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
    }


@contextmanager
def simulator(log: str) -> Iterator[str]:
    """A simulator process at its defaults on a free port; yields its base URL."""
    port = stack_tool("probes").free_port()
    url = f"http://127.0.0.1:{port}"
    with process(python("mysetlist_simulator", "--port", str(port)), dict(os.environ), f"{url}/healthz", log):
        yield url


@contextmanager
def service(
    module: str, port_env: str, env: dict[str, str], log: str, ready: str = "/healthz"
) -> Iterator[str]:
    """`python -m module` on a free port (told in `port_env`); yields its base URL once `ready` answers."""
    port = stack_tool("probes").free_port()
    url = f"http://127.0.0.1:{port}"
    with process(python(module), env | {port_env: str(port)}, f"{url}{ready}", log):
        yield url


@contextmanager
def prometheus(targets: Sequence[str], log: str) -> Iterator[str | None]:
    """Prometheus scraping `targets` (base URLs) every 5 s like the stack's; None when it is not installed."""
    import shutil
    import tempfile

    binary = shutil.which("prometheus")
    if binary is None:
        yield None
        return
    port = stack_tool("probes").free_port()
    with tempfile.TemporaryDirectory(prefix="bench-prometheus-") as folder:
        hosts = ", ".join(f'"{urllib.parse.urlsplit(t).netloc}"' for t in targets)
        config = Path(folder) / "prometheus.yml"
        config.write_text(
            f"global: {{scrape_interval: 5s}}\nscrape_configs:\n"
            f"  - {{job_name: mysetlist, static_configs: [{{targets: [{hosts}]}}]}}\n"
        )
        argv = [
            binary, f"--config.file={config}", f"--storage.tsdb.path={folder}/data",
            f"--web.listen-address=127.0.0.1:{port}",
        ]  # fmt: skip
        with process(argv, dict(os.environ), f"http://127.0.0.1:{port}/-/ready", log):
            yield f"http://127.0.0.1:{port}"


async def create_topics(bootstrap: str, prefix: str, names: Sequence[str] = IMPORT_TOPICS) -> None:
    """Made before anyone subscribes, so no consumer waits for a metadata refresh to see them."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    kafka_admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await kafka_admin.start()
    try:
        await kafka_admin.create_topics([NewTopic(f"{prefix}{name}", 8, 1) for name in names])
    finally:
        await kafka_admin.close()


class Imports:
    """Publishes ImportRequested for an artist row and awaits one phase's end on the progress topic
    (`env`: a service environment, its broker and topic prefix)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
        self.prefix = env["KAFKA_TOPIC_PREFIX"]

    async def __aenter__(self) -> Imports:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        await create_topics(self.bootstrap, self.prefix)
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True)
        self.consumer = AIOKafkaConsumer(
            f"{self.prefix}imports.progress", bootstrap_servers=self.bootstrap, auto_offset_reset="earliest"
        )
        await self.producer.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def run(
        self, artist_id: uuid.UUID, phase: str, tm_attraction_id: str = "-", timeout_s: float = 180
    ) -> PhaseCompletedEvent:
        """One import of the artist; the phase's PhaseCompleted, or RuntimeError saying why it failed."""
        from mysetlist_common.messaging.events import (
            ImportRequested,
            ImportRequestedEvent,
            PhaseCompletedEvent,
            PhaseFailedEvent,
            progress_event_adapter,
        )

        payload = ImportRequested(tm_attraction_id=tm_attraction_id)
        requested = ImportRequestedEvent(import_id=uuid.uuid4(), artist_id=artist_id, payload=payload)
        await self.producer.send_and_wait(
            f"{self.prefix}imports.requested", requested.model_dump_json().encode(), key=requested.key
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for messages in (await self.consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    event = progress_event_adapter.validate_json(message.value)
                    if not isinstance(event, PhaseCompletedEvent | PhaseFailedEvent):
                        continue
                    if event.import_id != requested.import_id or event.payload.phase != phase:
                        continue
                    if isinstance(event, PhaseFailedEvent):
                        raise RuntimeError(f"{phase} phase of artist {artist_id} failed: {event.payload}")
                    return event
        raise TimeoutError(f"no end of the {phase} phase of import {requested.import_id}")


def percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max in milliseconds."""
    ordered = sorted(samples_s)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p90_ms": round(q[89] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "samples": len(ordered),
    }


async def open_loop(rate: float, seconds: float, request: Callable[[int], Awaitable[Any]]) -> dict[str, Any]:
    """Send request(i) at t0 + i/rate whatever the answers do (open loop, so queueing shows in the figures);
    returns the latency percentiles of the successful ones, the errors and the rate achieved."""
    latencies: list[float] = []
    errors = 0

    async def timed(i: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            await request(i)
        except Exception:  # a refused or failed request is reported, not fatal
            errors += 1
            return
        latencies.append(time.perf_counter() - started)

    total = int(rate * seconds)
    t0 = time.perf_counter()
    tasks = []
    for i in range(total):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(i)))
    await asyncio.gather(*tasks)
    achieved = total / (time.perf_counter() - t0)
    return {
        "target_rate_per_s": rate,
        "achieved_rate_per_s": round(achieved, 1),
        "errors": errors,
        **percentiles(latencies),
    }
