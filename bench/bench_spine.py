"""Spine benchmark: kickoff latency under an open-loop load of 200 requests/s, and SSE delivery latency
(event occurred -> written to an SSE client), against real gateway and progress processes, real Kafka and
PostgreSQL. Run alone: `uv run python bench/run.py spine`. Goals: kickoff p99 < 20 ms, SSE p99 < 50 ms.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import harness

KICKOFF_RATE = int(os.environ.get("BENCH_KICKOFF_RATE", "200"))
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


async def sse_latencies(client: Any, gateway: str, progress: str, env: dict[str, str]) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer

    from mysetlist_common.events import Phase, PhaseProgress, PhaseProgressEvent
    from mysetlist_common.sse import read_sse

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
        kickoff = await kickoff_latencies(client, gateway)
        sse = await sse_latencies(client, gateway, progress, env)
    return {"kickoff": kickoff, "sse_delivery": sse, "goals": {"kickoff_p99_ms": 20, "sse_p99_ms": 50}}


def main() -> dict[str, Any]:
    kafka, server = harness.servers()
    with harness.database(server, "bench_spine") as database_url:
        env = harness.environment(database_url, kafka, f"bench-{uuid.uuid4().hex[:8]}.")
        with (
            harness.service("mysetlist_gateway", "GATEWAY_PORT", env, "spine-gateway.log") as gateway,
            harness.service("mysetlist_progress", "PROGRESS_PORT", env, "spine-progress.log") as progress,
        ):
            result = asyncio.run(measure(gateway, progress, env))
    k, e = result["kickoff"], result["sse_delivery"]
    print(
        f"kickoff at {k['achieved_rate_per_s']}/s: p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms"
        f" ({k['errors']} errors)"
        f"\nSSE delivery: p50 {e['p50_ms']} ms, p99 {e['p99_ms']} ms over {e['samples']} events"
    )
    return result


if __name__ == "__main__":  # the same as bench/run.py spine
    import run

    sys.exit(run.main(["spine"]))
