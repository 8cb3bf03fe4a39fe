"""Shows phase benchmark: the shows-ingest process against the simulator process at its default latency.

For each simulator profile, imports the artist several times from scratch (ImportRequested published to
the real Kafka, PhaseCompleted awaited on the progress topic) and prints the median phase duration, the
requests made and the lower bound Ticketmaster allows: max(requests / rate limit, sequential round
trips x latency). Run alone: `uv run python bench/run.py shows` (or `python bench/bench_shows.py`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_SHOWS_RUNS", "5"))
PROFILES = ("sparse", "mid", "prolific")
FINAL = ("PhaseCompleted", "PhaseFailed")
SHELL_SQL = "INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:n, :s, :t) RETURNING id"


def _stack() -> Any:
    spec = importlib.util.spec_from_file_location("mysetlist_stack", REPO / "tools" / "stack" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mysetlist_stack", module)
    spec.loader.exec_module(module)
    return module


@contextmanager
def process(argv: list[str], env: dict[str, str], health: str, log: Path) -> Iterator[None]:
    """A child process that must answer `health` before the benchmark goes on."""
    stack = _stack()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not stack.http_ok(health):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[2]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    from mysetlist_common.db import migrate

    name = f"bench_shows_{os.getpid()}"
    parts = urllib.parse.urlsplit(server_url)
    url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(_admin(server_url, drop, f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, drop))


async def measure(sim_url: str, env: dict[str, str]) -> dict[str, Any]:
    import httpx
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from sqlalchemy import text

    SHELL = text(SHELL_SQL)

    from mysetlist_common.db.session import make_engine
    from mysetlist_common.events import ImportRequested, ImportRequestedEvent, progress_event_adapter

    prefix = env["KAFKA_TOPIC_PREFIX"]
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:  # exist before anyone subscribes, so no consumer waits for a metadata refresh
        await admin.create_topics(
            [NewTopic(f"{prefix}{name}", 8, 1) for name in ("imports.requested", "imports.progress")]
        )
    finally:
        await admin.close()
    engine = make_engine(env["DATABASE_URL"], pool_size=2)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        f"{prefix}imports.progress", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await producer.start()
    await consumer.start()
    async with httpx.AsyncClient(base_url=sim_url) as sim:
        config = (await sim.get("/_sim/config")).json()
        artists = (await sim.get("/_sim/artists")).json()
        latency_s = config["latency_ms"]["ticketmaster"] / 1000
        rate = config["rate_limits"]["ticketmaster_per_s"]
        results: dict[str, Any] = {}
        for profile in PROFILES:
            artist = next(a for a in artists if a["profile"] == profile)
            tm_id = artist["tm_attraction_id"]
            runs = []
            for _ in range(RUNS):
                async with engine.begin() as conn:  # a first import every time
                    await conn.execute(text("DELETE FROM artist"))
                    await conn.execute(text("DELETE FROM venue"))
                    artist_id = await conn.scalar(SHELL, {"n": tm_id, "s": f"tm-{tm_id.lower()}", "t": tm_id})
                payload = ImportRequested(tm_attraction_id=tm_id)
                request = ImportRequestedEvent(import_id=uuid.uuid4(), artist_id=artist_id, payload=payload)
                sent = time.perf_counter()
                await producer.send_and_wait(
                    f"{prefix}imports.requested", request.model_dump_json().encode(), key=request.key
                )
                outcome: Any = None
                async for message in consumer:
                    event = progress_event_adapter.validate_json(message.value)
                    if event.import_id == request.import_id and event.type in FINAL:
                        outcome = event
                        break
                wall = time.perf_counter() - sent
                if outcome is None or outcome.type != "PhaseCompleted":
                    raise RuntimeError(f"{profile} import failed: {outcome}")
                runs.append({"phase_s": outcome.payload.duration_s, "wall_s": wall, **outcome.payload.counts})
            median = statistics.median(r["phase_s"] for r in runs)
            requests = int(statistics.median(r["requests"] for r in runs))
            rounds = int(statistics.median(r["sequential_rounds"] for r in runs))
            bound = max(requests / rate, rounds * latency_s)
            results[profile] = {
                "events": runs[-1]["events_seen"],
                "runs": RUNS,
                "median_phase_seconds": round(median, 3),
                "median_wall_seconds": round(statistics.median(r["wall_s"] for r in runs), 3),
                "requests": requests,
                "sequential_rounds": rounds,
                "rate_limited_total": sum(r["rate_limited"] for r in runs),
                "lower_bound_seconds": round(bound, 3),
                "ratio": round(median / bound, 3),
            }
        stats = (await sim.get("/_sim/stats")).json()
    await consumer.stop()
    await producer.stop()
    await engine.dispose()
    return {
        "phase": "shows",
        "rate_limit_per_s": rate,
        "latency_ms": config["latency_ms"]["ticketmaster"],
        "jitter_ms": config["jitter_ms"]["ticketmaster"],
        "profiles": results,
        "simulator_429s": stats["ticketmaster"]["rate_limited"],
    }


def main() -> dict[str, Any]:
    stack = _stack()
    with stack.stack_lock():  # started when nothing serves their ports, never stopped (shared)
        broker, postgres = stack.Kafka(), stack.Postgres()
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            broker.start()
        if not os.environ.get("DATABASE_URL"):
            postgres.start()
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or str(broker.bootstrap)
    server = os.environ.get("DATABASE_URL") or str(postgres.url)
    logs = REPO / "bench-results"
    logs.mkdir(exist_ok=True)
    with bench_database(server) as database_url:
        sim_port, svc_port = stack.free_port(), stack.free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "KAFKA_TOPIC_PREFIX": f"bench-{uuid.uuid4().hex[:8]}.",
            "TICKETMASTER_BASE_URL": f"{sim_url}/discovery/v2",
            "SHOWS_INGEST_PORT": str(svc_port),
            "SIM_PORT": str(sim_port),
        }
        python = sys.executable
        with (
            process([python, "-m", "mysetlist_simulator", "--port", str(sim_port)], env,
                    f"{sim_url}/healthz", logs / "bench_shows_simulator.log"),
            process([python, "-m", "mysetlist_shows_ingest"], env,
                    f"http://127.0.0.1:{svc_port}/readyz", logs / "bench_shows_service.log"),
        ):  # fmt: skip
            result = asyncio.run(measure(sim_url, env))
    print(f"shows phase: rate {result['rate_limit_per_s']}/s, latency {result['latency_ms']} ms")
    header = ("profile", "events", "median s", "requests", "rounds", "bound s", "ratio")
    print(f"{header[0]:10} " + " ".join(f"{h:>9}" for h in header[1:]))
    for profile, r in result["profiles"].items():
        print(
            f"{profile:10} {r['events']:>9} {r['median_phase_seconds']:>9.3f} {r['requests']:>9} "
            f"{r['sequential_rounds']:>9} {r['lower_bound_seconds']:>9.3f} {r['ratio']:>9.2f}"
        )
    print(f"429s counted by the simulator: {result['simulator_429s']}")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
