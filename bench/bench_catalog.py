"""Catalog phase benchmark: the catalog-ingest process against the simulator process at default latency.

For each Spotify app mode (a fresh service process per mode, warmed by one small import so the mode and
the token are known, as in a running service) and each simulator profile, the artist's catalog is imported
from scratch several times: ImportRequested published to the real Kafka, PhaseCompleted awaited on the
progress topic. Reported per profile and mode: median phase duration, Spotify requests, requests per
stored song, and the lower bound:

- rate bound: requests / (the simulator's Spotify rate limit per second);
- chain bound: the dependent round trips no client can avoid x mean latency: the first listing page,
  then (when there are more) the rest of the pages, one round for the tracks of the releases, one more
  for releases with over 50 tracks, one for ISRCs when any are asked for;
- lower bound = max of both; ratio = median / lower bound.

Spotify's limit is a rolling 30 s window, not a pace: requests that fit in one window may all go at once.
So the rate bound above (the literal "requests over the rate limit") can exceed what the API enforces;
`window_bound_seconds` is what the window really forces (0 while the requests fit in it) and
`ratio_to_window_bound` compares the median with max(window bound, chain bound).

Run alone: `uv run python bench/run.py catalog` (or `uv run python bench/bench_catalog.py`); both write
bench-results/catalog.json. BENCH_CATALOG_RUNS sets the runs per profile and mode (5).
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
RESULTS = REPO / "bench-results"
RUNS = int(os.environ.get("BENCH_CATALOG_RUNS", "5"))
PROFILES = ("sparse", "mid", "prolific")
MODES = ("extended", "development")
PAGE_LIMIT = {"extended": 50, "development": 10}
CLEAR = (
    "DELETE FROM artist_song",
    "DELETE FROM song",
    "DELETE FROM catalog_decision",
    "DELETE FROM track_isrc",
)


def _stack() -> Any:
    spec = importlib.util.spec_from_file_location("mysetlist_stack", REPO / "tools" / "stack" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mysetlist_stack", module)
    spec.loader.exec_module(module)
    return module


@contextmanager
def child(argv: list[str], env: dict[str, str], health: str, log: Path) -> Iterator[None]:
    """A child process, ready once `health` answers; terminated afterwards."""
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
def scratch_database(server_url: str) -> Iterator[str]:
    from mysetlist_common.db import migrate

    name = f"bench_catalog_{os.getpid()}"
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path=f"/{name}"))
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(_admin(server_url, drop, f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, drop))


def pages(count: int, limit: int) -> int:
    """Listing rounds: the first page, then all further pages at once (asked for ahead of time)."""
    return 1 if count < limit else 2


def chain_rounds(counts: dict[str, int], mode: str) -> int:
    limit = PAGE_LIMIT[mode]
    listing = max(pages(counts["releases_album"], limit), pages(counts["releases_single"], limit))
    rounds = listing + (1 if counts["releases"] else 0)
    rounds += 1 if counts["releases_over_50_tracks"] else 0
    rounds += 1 if counts["isrc_requests"] else 0
    return rounds


class Driver:
    """Publishes ImportRequested and waits for the catalog phase's end on the progress topic."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.prefix = env["KAFKA_TOPIC_PREFIX"]

    async def __aenter__(self) -> Driver:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        bootstrap = self.env["KAFKA_BOOTSTRAP_SERVERS"]
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:  # exist before anyone subscribes: no consumer waits for a metadata refresh
            names = ("imports.requested", "imports.progress")
            await admin.create_topics([NewTopic(f"{self.prefix}{n}", 8, 1) for n in names])
        finally:
            await admin.close()
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
        self.consumer = AIOKafkaConsumer(
            f"{self.prefix}imports.progress", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await self.producer.start()
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()
        await self.producer.stop()

    async def run(self, artist_id: uuid.UUID, timeout_s: float = 180) -> Any:
        from mysetlist_common.events import (
            ImportRequested,
            ImportRequestedEvent,
            PhaseCompletedEvent,
            PhaseFailedEvent,
            progress_event_adapter,
        )

        request = ImportRequestedEvent(
            import_id=uuid.uuid4(), artist_id=artist_id, payload=ImportRequested(tm_attraction_id="-")
        )
        await self.producer.send_and_wait(
            f"{self.prefix}imports.requested", request.model_dump_json().encode(), key=request.key
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            batch = await self.consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    event = progress_event_adapter.validate_json(message.value)
                    if (
                        isinstance(event, PhaseCompletedEvent | PhaseFailedEvent)
                        and event.import_id == request.import_id
                        and event.payload.phase == "catalog"
                    ):
                        return event
        raise TimeoutError(f"no end of the catalog phase of {request.import_id}")


async def measure_mode(mode: str, sim_url: str, env: dict[str, str]) -> dict[str, Any]:
    import httpx
    from sqlalchemy import text

    from mysetlist_common.db.session import make_engine

    engine = make_engine(env["DATABASE_URL"], pool_size=2)
    insert = text(
        "INSERT INTO artist (name, slug, tm_attraction_id, spotify_id, mbid, identity_synced_at)"
        " VALUES (:n, :s, :t, :sp, :mb, now())"
        " ON CONFLICT (tm_attraction_id) DO UPDATE SET name = excluded.name"
        " RETURNING id"
    )
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=sim_url, timeout=30) as sim, Driver(env) as driver:
        config = (await sim.get("/_sim/config")).json()
        latency_s = (config["latency_ms"]["spotify"] + config["jitter_ms"]["spotify"] / 2) / 1000
        window = int(config["rate_limits"]["spotify_per_30s"])
        rate_per_s = window / 30
        chosen: dict[str, dict[str, Any]] = {}
        for a in (await sim.get("/_sim/artists")).json():
            if a["spotify_id"] and a["profile"] in PROFILES:
                chosen.setdefault(a["profile"], a)

        async def artist_row(a: dict[str, Any]) -> uuid.UUID:
            async with engine.begin() as conn:
                for sql in CLEAR:  # a first import every time
                    await conn.execute(text(sql))
                values = {
                    "n": a["name"],
                    "s": f"bench-{a['tm_attraction_id'].lower()}",
                    "t": a["tm_attraction_id"],
                }
                return await conn.scalar(insert, values | {"sp": a["spotify_id"], "mb": a["mbid"]})

        warm = await driver.run(
            await artist_row(chosen["sparse"])
        )  # mode and token learnt, as in a live service
        if warm.type != "PhaseCompleted":
            raise RuntimeError(f"warm-up import failed: {warm}")
        for profile in PROFILES:
            artist = chosen[profile]
            runs = []
            for _ in range(RUNS):
                # MusicBrainz allows one request per second per IP: imports by different users are
                # seconds apart, back-to-back runs would measure the queue for that one slot instead.
                await asyncio.sleep(1.1)
                artist_id = await artist_row(artist)
                await sim.post("/_sim/stats/reset")
                end = await driver.run(artist_id)
                if end.type != "PhaseCompleted":
                    raise RuntimeError(f"{profile} ({mode}) failed: {end.payload}")
                stats = (await sim.get("/_sim/stats")).json()["spotify"]
                runs.append({"phase_s": end.payload.duration_s, "sim": stats, **end.payload.counts})
            counts = runs[-1]
            median = statistics.median(r["phase_s"] for r in runs)
            requests = int(statistics.median(r["spotify_requests"] for r in runs))
            rounds = chain_rounds(counts, mode)
            rate_bound = requests / rate_per_s
            chain_bound = rounds * latency_s
            bound = max(rate_bound, chain_bound)
            window_bound = (-(-requests // window) - 1) * 30.0
            strict = max(window_bound, chain_bound)
            results[profile] = {
                "runs": RUNS,
                "releases": counts["releases"],
                "tracks_fetched": counts["tracks_fetched"],
                "songs": counts["songs"],
                "median_phase_seconds": round(median, 3),
                "min_phase_seconds": round(min(r["phase_s"] for r in runs), 3),
                "spotify_requests": requests,
                "spotify_requests_by_endpoint": runs[-1]["sim"].get("endpoints", {}),
                "requests_per_stored_song": round(requests / max(1, counts["songs"]), 3),
                "rate_limited": sum(r["sim"]["rate_limited"] for r in runs),
                "chain_round_trips": rounds,
                "rate_bound_seconds": round(rate_bound, 3),
                "chain_bound_seconds": round(chain_bound, 3),
                "lower_bound_seconds": round(bound, 3),
                "ratio": round(median / bound, 3),
                "window_bound_seconds": round(window_bound, 3),
                "ratio_to_window_bound": round(median / strict, 3),
            }
    await engine.dispose()
    return {
        "mean_latency_ms": round(latency_s * 1000, 1),
        "spotify_rate_per_s": rate_per_s,
        "profiles": results,
    }


def main() -> dict[str, Any]:
    stack = _stack()
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", stack.DEFAULT_KAFKA)
    server = stack.database_url()
    with stack.stack_lock():  # started when nothing serves them yet; never stopped (shared)
        stack.Kafka().start()
        stack.Postgres(url=server).start()
    RESULTS.mkdir(exist_ok=True)
    out: dict[str, Any] = {"phase": "catalog", "modes": {}}
    python = sys.executable
    with scratch_database(server) as database_url:
        sim_port = stack.free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        base_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "SPOTIFY_API_BASE_URL": f"{sim_url}/v1",
            "SPOTIFY_ACCOUNTS_BASE_URL": f"{sim_url}/api",
            "MUSICBRAINZ_BASE_URL": f"{sim_url}/ws/2",
            "SPOTIFY_MODE": "auto",
            "CATALOG_ISRC_BACKFILL_PER_S": "0",  # the backfill would change the next run's starting point
            "MUSICBRAINZ_CACHE_TTL_S": "0",  # every run a first import: MusicBrainz asked every time
            "SIM_PORT": str(sim_port),
        }
        sim_argv = [python, "-m", "mysetlist_simulator", "--port", str(sim_port)]
        with child(sim_argv, base_env, f"{sim_url}/healthz", RESULTS / "catalog-simulator.log"):
            for mode in MODES:
                asyncio.run(_set_mode(sim_url, mode))
                svc_port = stack.free_port()
                env = base_env | {
                    "KAFKA_TOPIC_PREFIX": f"bench-catalog-{uuid.uuid4().hex[:8]}.",
                    "CATALOG_INGEST_PORT": str(svc_port),
                }
                argv = [python, "-m", "mysetlist_catalog_ingest"]
                health = f"http://127.0.0.1:{svc_port}/healthz"
                with child(argv, env, health, RESULTS / f"catalog-service-{mode}.log"):
                    out["modes"][mode] = asyncio.run(measure_mode(mode, sim_url, env))
    return out


async def _set_mode(sim_url: str, mode: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=sim_url) as sim:
        (await sim.post("/_sim/config", json={"spotify_mode": mode})).raise_for_status()


if __name__ == "__main__":  # bench/run.py writes bench-results/catalog.json itself
    result = json.dumps(main(), indent=2)
    (RESULTS / "catalog.json").write_text(result)
    print(result)
