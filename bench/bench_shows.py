"""Shows phase benchmark: the shows-ingest process against the simulator process at its default latency.

For each simulator profile, imports the artist several times from scratch (ImportRequested published to
the real Kafka, PhaseCompleted awaited on the progress topic) and prints the median phase duration, the
requests made and the lower bound Ticketmaster allows: max(requests / rate limit, sequential round
trips x latency). Run alone: `uv run python bench/run.py shows` (or `python bench/bench_shows.py`).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from typing import Any

import harness

RUNS = int(os.environ.get("BENCH_SHOWS_RUNS", "5"))
PROFILES = ("sparse", "mid", "prolific")
SHELL_SQL = "INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:n, :s, :t) RETURNING id"


async def measure(sim_url: str, env: dict[str, str]) -> dict[str, Any]:
    import httpx
    from sqlalchemy import text

    from mysetlist_common.db.session import make_engine

    shell = text(SHELL_SQL)
    engine = make_engine(env["DATABASE_URL"], pool_size=2)
    async with httpx.AsyncClient(base_url=sim_url) as sim, harness.Imports(env) as imports:
        config = (await sim.get("/_sim/config")).json()
        artists = (await sim.get("/_sim/artists")).json()
        latency_s = config["latency_ms"]["ticketmaster"] / 1000
        rate = config["rate_limits"]["ticketmaster_per_s"]
        results: dict[str, Any] = {}
        for profile in PROFILES:
            artist = next(a for a in artists if a["profile"] == profile)
            tm_attraction_id = artist["tm_attraction_id"]
            runs = []
            for _ in range(RUNS):
                async with engine.begin() as conn:  # a first import every time
                    await conn.execute(text("DELETE FROM artist"))
                    await conn.execute(text("DELETE FROM venue"))
                    artist_id = await conn.scalar(
                        shell,
                        {"n": tm_attraction_id, "s": f"tm-{tm_attraction_id.lower()}", "t": tm_attraction_id},
                    )
                sent = time.perf_counter()
                outcome = await imports.run(artist_id, "shows", tm_attraction_id=tm_attraction_id)
                wall = time.perf_counter() - sent
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
    kafka, server = harness.servers()
    with (
        harness.database(server, "bench_shows") as database_url,
        harness.simulator("shows-simulator.log") as sim_url,
    ):
        prefix = f"bench-{uuid.uuid4().hex[:8]}."
        upstream = harness.stack_tool("python_services").upstream_env(sim_url)
        env = harness.environment(database_url, kafka, prefix) | upstream
        log = "shows-service.log"
        with harness.service("mysetlist_shows_ingest", "SHOWS_INGEST_PORT", env, log, ready="/readyz"):
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


if __name__ == "__main__":  # the same as bench/run.py shows
    import run

    sys.exit(run.main(["shows"]))
