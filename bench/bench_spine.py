"""Spine benchmark: kickoff latency under an open-loop load of 200 requests/s, a burst of 100 simultaneous
kickoffs, and SSE delivery latency (event occurred -> written to an SSE client), with every service (gateway
with its outbox relay, progress, shows-ingest, catalog-ingest working on the imports the kickoffs start), the
simulator and Prometheus (scraping them) running as real processes, on real Kafka and PostgreSQL.
Run alone: `uv run python bench/run.py spine`. Goals: kickoff p99 < 20 ms at 200/s, burst p99 < 200 ms,
SSE p99 < 50 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import harness

KICKOFF_RATE = int(os.environ.get("BENCH_KICKOFF_RATE", "200"))
BURST = int(os.environ.get("BENCH_KICKOFF_BURST", "100"))
KICKOFF_SECONDS = int(os.environ.get("BENCH_KICKOFF_SECONDS", "15"))
SSE_EVENTS = int(os.environ.get("BENCH_SSE_EVENTS", "400"))
SSE_RATE = 50


async def kickoff_latencies(client: Any, gateway: str) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]

    async def kickoff(i: int) -> None:
        response = await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": f"B{run}x{i}"})
        response.raise_for_status()

    await asyncio.gather(*(kickoff(-i) for i in range(1, 51)))  # warm the pools
    return await harness.open_loop(KICKOFF_RATE, KICKOFF_SECONDS, kickoff)


async def kickoff_burst(client: Any, gateway: str) -> dict[str, Any]:
    """BURST kickoffs of distinct artists sent at the same instant: how long the last ones wait."""
    run = uuid.uuid4().hex[:6]

    async def timed(i: int) -> float:
        started = time.perf_counter()
        response = await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": f"U{run}x{i}"})
        response.raise_for_status()
        return time.perf_counter() - started

    await asyncio.sleep(2)  # let the open-loop run's imports drain a little first
    return {"burst": BURST, **harness.percentiles(await asyncio.gather(*(timed(i) for i in range(BURST))))}


async def sse_latencies(client: Any, gateway: str, progress: str, env: dict[str, str]) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    from mysetlist_common.messaging.events import Phase, PhaseProgress, PhaseProgressEvent
    from mysetlist_common.web.sse import read_sse

    accepted = (
        await client.post(f"{gateway}/api/artists/import", json={"tmAttractionId": "BenchSse1"})
    ).json()
    artist_id, import_id = uuid.UUID(accepted["artistId"]), uuid.UUID(accepted["importId"])
    delays: list[float] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with client.stream(
            "GET", f"{progress}/api/artists/{artist_id}/stream", timeout=120
        ) as response:
            async for event in read_sse(response):
                ready.set()
                if event.event == "PhaseProgress":
                    occurred = datetime.fromisoformat(event.data["occurred_at"])
                    delays.append((datetime.now(UTC) - occurred).total_seconds())
                    if len(delays) == SSE_EVENTS:
                        return

    listener = asyncio.create_task(listen())
    await ready.wait()
    producer = AIOKafkaProducer(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], enable_idempotence=True)
    await producer.start()
    try:
        for i in range(SSE_EVENTS):
            payload = PhaseProgress(phase=Phase.SHOWS, done=i, total=SSE_EVENTS, percent=100 * i / SSE_EVENTS)
            event = PhaseProgressEvent(import_id=import_id, artist_id=artist_id, payload=payload)
            await producer.send(
                f"{env['KAFKA_TOPIC_PREFIX']}imports.progress",
                event.model_dump_json().encode(),
                key=event.key,
            )
            await asyncio.sleep(1 / SSE_RATE)
        await asyncio.wait_for(listener, 60)
    finally:
        await producer.stop()
    return {"events": SSE_EVENTS, "rate_per_s": SSE_RATE, **harness.percentiles(delays)}


async def measure(gateway: str, progress: str, env: dict[str, str]) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # SSE first: the imports the kickoffs start keep every service busy for a while afterwards
        sse = await sse_latencies(client, gateway, progress, env)
        kickoff = await kickoff_latencies(client, gateway)
        burst = await kickoff_burst(client, gateway)
    goals = {"kickoff_p99_ms": 20, "burst_p99_ms": 200, "sse_p99_ms": 50}
    return {"kickoff": kickoff, "kickoff_burst": burst, "sse_delivery": sse, "goals": goals}


def main() -> dict[str, Any]:
    kafka, server = harness.servers()
    with harness.database(server, "bench_spine") as database_url, harness.simulator("spine-sim.log") as sim:
        env = harness.environment(database_url, kafka, f"bench-{uuid.uuid4().hex[:8]}.")
        env |= harness.stack_tool("python_services").upstream_env(sim)
        with (
            harness.service("mysetlist_progress", "PROGRESS_PORT", env, "spine-progress.log") as progress,
            harness.service("mysetlist_shows_ingest", "SHOWS_INGEST_PORT", env, "spine-shows.log") as shows,
            harness.service(
                "mysetlist_catalog_ingest", "CATALOG_INGEST_PORT", env, "spine-catalog.log"
            ) as cat,
            harness.service(
                "mysetlist_gateway",
                "GATEWAY_PORT",
                env | {"PROGRESS_BASE_URL": progress},
                "spine-gateway.log",
            ) as gateway,
            harness.prometheus([gateway, progress, shows, cat], "spine-prometheus.log") as prometheus,
        ):
            result = asyncio.run(measure(gateway, progress, env))
    result["prometheus"] = prometheus is not None
    k, b, e = result["kickoff"], result["kickoff_burst"], result["sse_delivery"]
    print(
        f"kickoff at {k['achieved_rate_per_s']}/s: p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms"
        f" ({k['errors']} errors)"
        f"\nburst of {b['burst']} at once: p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms"
        f"\nSSE delivery: p50 {e['p50_ms']} ms, p99 {e['p99_ms']} ms over {e['samples']} events"
        f"\n(every service{' and Prometheus' if prometheus else ' (no Prometheus installed)'} running)"
    )
    return result


if __name__ == "__main__":  # the same as bench/run.py spine
    import run

    sys.exit(run.main(["spine"]))
