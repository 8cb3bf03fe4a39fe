"""Load benchmark: many imports at once through the whole stack, against one upstream budget.

Each scenario starts the real stack (`tools/stack/stack.py up`: simulator, progress, 2 replicas of each
ingest service, gateway) on ports and a local folder of its own, on the machine's Kafka and PostgreSQL
(a database and a topic prefix of its own), sets the simulator up, asks the gateway for 100 distinct
population artists within 10 s, waits until every import settles (completed or failed; a phase that is
`waiting` for an upstream is not settled), compares each artist's rows with `/_sim/truth`, and stops
the stack again.

- A: population 150, the simulator at its default latency and limits.
- B: as A, with the simulator's Spotify window at 100 per 30 s (a thirtieth of the services' pacing
  setting, SPOTIFY_REQUESTS_PER_30S=3000): the services must live with 429s they did not expect.
- C (`make scale` only): Spotify's window at 100 per 30 s with a Retry-After of 90 s, and a Ticketmaster
  quota of 150 calls per 60 s period that runs out mid-import: imports should show `waiting` with a
  `resumeAt`, then complete exact.
- D (`make scale` only): twenty prolific imports, then one sparse import while they run: how soon it
  completes (goal: within 5 s).

Figures per scenario: imports completed / failed / exact / unsettled, the makespan (first request to
last settled import), the bound (for each upstream: requests made, from `/_sim/stats`, divided by its
rate - Ticketmaster 5/s, Spotify the simulator's per-30 s window / 30, MusicBrainz 1/s; the largest is
the bound), makespan / bound, simulator 429s, p50/p99 time-to-complete of the sparse imports, imports
seen waiting, and the peak RSS (VmHWM) of every service process. A failed import is a figure, not a
crash: the benchmark completes its measurement and says what it saw. Each scenario has a hard timeout
(reported as `timed_out`, imports still open as `unsettled`).

    uv run python bench/run.py load                      # A and B (part of `make bench`)
    BENCH_LOAD_SCENARIOS=A,B,C,D uv run python bench/run.py load   # what `make scale` runs
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness
from load_stack import peak_rss_mib, stack_env, stack_py
from load_wave import Import, check_exact, follow, kick_off

IMPORTS = 100
POPULATION = 150


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    sim_config: dict[str, Any]
    timeout_s: float  # the whole import wave, from the first request
    population: int = POPULATION
    prolific_then_sparse: int = 0  # instead of IMPORTS of every profile: this many prolific, then one sparse


SCENARIOS = {
    "A": Scenario("A", "simulator defaults", {}, 900),
    "B": Scenario("B", "Spotify window 100 per 30 s", {"rate_limits": {"spotify_per_30s": 100}}, 1200),
    "C": Scenario(
        "C",
        "Spotify 100 per 30 s with Retry-After 90 s; Ticketmaster quota 150 per 60 s period",
        {
            "rate_limits": {"spotify_per_30s": 100, "ticketmaster_daily": 150},
            "spotify_retry_after_s": 90,
            "ticketmaster_quota_period_s": 60,
        },
        1800,
    ),
    "D": Scenario(
        "D",
        "twenty prolific imports, then one sparse import while they run (its time to complete)",
        {},
        900,
        population=800,  # about 3 % prolific: twenty of them
        prolific_then_sparse=20,
    ),
}


def bound(stats: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    limits = config["rate_limits"]
    rates = {
        "ticketmaster": limits["ticketmaster_per_s"],
        "spotify": limits["spotify_per_30s"] / 30,
        "musicbrainz": limits["musicbrainz_per_s"],
    }
    per_key = {key: round(stats[key]["requests"] / rate, 2) if rate else 0.0 for key, rate in rates.items()}
    # The same over the accepted requests only: rejected ones (429/503) cost the upstream nothing, so
    # with many rejections the makespan can beat the bound above.
    accepted = {
        key: round((stats[key]["requests"] - stats[key]["rate_limited"]) / rate, 2) if rate else 0.0
        for key, rate in rates.items()
    }
    return {
        "seconds": max(per_key.values()),
        "per_upstream_seconds": per_key,
        "accepted_only_seconds": max(accepted.values()),
        "accepted_only_per_upstream_seconds": accepted,
        "rates_per_s": rates,
    }


def ms_percentile(samples: list[float], q: int) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return round(samples[0] * 1000, 1)
    return round(statistics.quantiles(sorted(samples), n=100, method="inclusive")[q - 1] * 1000, 1)


async def measure(scenario: Scenario, env: dict[str, str], database_url: str) -> dict[str, Any]:
    import httpx

    gateway = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
    sim_url = f"http://127.0.0.1:{env['SIMULATOR_PORT']}"
    limits = httpx.Limits(max_connections=20)
    async with (
        httpx.AsyncClient(base_url=sim_url, timeout=30) as sim,
        httpx.AsyncClient(base_url=gateway, timeout=30, limits=limits) as http,
    ):
        (
            await sim.post("/_sim/config", json={"population": scenario.population, **scenario.sim_config})
        ).raise_for_status()
        config = (await sim.get("/_sim/config")).json()
        members = [a for a in (await sim.get("/_sim/artists")).json() if a["population"]]
        if scenario.prolific_then_sparse:  # the sparse one is sent last, while the prolific ones run
            prolific = [a for a in members if a["profile"] == "prolific"][: scenario.prolific_then_sparse]
            members = [*prolific, next(a for a in members if a["profile"] == "sparse")]
        imports = [Import(a) for a in members[:IMPORTS]]
        await sim.post("/_sim/stats/reset")  # this wave's requests only
        t0 = time.monotonic()
        deadline = t0 + scenario.timeout_s
        kickoff = asyncio.create_task(kick_off(http, imports, t0))
        await asyncio.sleep(0.5)
        all_settled = await follow(http, imports, t0, deadline)
        await kickoff
        stats = (await sim.get("/_sim/stats")).json()
        exactness = await check_exact(imports, sim, database_url)
    settled = [i.settled_s for i in imports if i.settled_s is not None]
    sparse = [
        i.settled_s - i.sent_s
        for i in imports
        if i.stage == "completed" and i.settled_s is not None and i.artist["profile"] == "sparse"
    ]
    # Timed out: the wave lasted at least until the deadline, whatever settled before.
    end = max(settled) if all_settled and settled else max([scenario.timeout_s, *settled])
    makespan = end - min(i.sent_s for i in imports)
    limit = bound(stats, config)
    failures = [i for i in imports if i.stage == "failed"]
    inexact = {k: v for k, v in exactness.items() if v}
    return {
        "scenario": scenario.name,
        "what": scenario.what,
        "imports": len(imports),
        "profiles": {
            p: sum(i.artist["profile"] == p for i in imports) for p in ("sparse", "mid", "prolific")
        },
        "completed": sum(i.stage == "completed" for i in imports),
        "failed": len(failures),
        "unsettled": sum(i.settled_s is None for i in imports),
        "exact": sum(not v for v in exactness.values()),
        "timed_out": not all_settled,
        "timeout_s": scenario.timeout_s,
        "makespan_s": round(makespan, 1),
        "bound_s": limit["seconds"],
        "bound": limit,
        "makespan_over_bound": round(makespan / limit["seconds"], 2) if limit["seconds"] else None,
        "simulator_429s": {
            key: stats[key]["rate_limited"] for key in ("ticketmaster", "spotify", "musicbrainz")
        },
        "simulator_requests": {
            key: stats[key]["requests"] for key in ("ticketmaster", "spotify", "musicbrainz")
        },
        "sparse_time_to_complete": {
            "p50_ms": ms_percentile(sparse, 50),
            "p99_ms": ms_percentile(sparse, 99),
            "samples": len(sparse),
        },
        "waiting_seen": {
            "imports": sum(bool(i.waited) for i in imports),
            "for": sorted({w for i in imports for w in i.waited}),
            "resume_at_example": next((i.resume_at for i in imports if i.resume_at), None),
            "waited_then_completed_exact": sum(
                bool(i.waited) and i.stage == "completed" and not exactness.get(i.artist["tm_attraction_id"])
                for i in imports
            ),
        },
        "failures": [
            {
                "tm_attraction_id": i.artist["tm_attraction_id"],
                "profile": i.artist["profile"],
                "why": i.error or i.kickoff_error,
            }
            for i in failures[:10]
        ],
        "inexact": dict(list(inexact.items())[:10]),
    }


def run_scenario(scenario: Scenario, kafka: str, server: str) -> dict[str, Any]:
    started = time.monotonic()
    local = Path(tempfile.mkdtemp(prefix=f"mysetlist-load-{scenario.name}-"))
    prefix = f"bench-load-{scenario.name.lower()}-{uuid.uuid4().hex[:8]}."
    asyncio.run(harness.create_topics(kafka, prefix))
    result: dict[str, Any] = {"scenario": scenario.name, "what": scenario.what}
    with harness.database(server, f"bench_load_{scenario.name.lower()}") as database_url:
        env = stack_env(local, database_url, kafka, prefix)
        try:
            up = stack_py("up", env)
            if "stack up in" not in up or "WITHOUT" in up:
                result["error"] = f"the stack did not start:\n{up[-3000:]}"
                return result
            result |= asyncio.run(measure(scenario, env, database_url))
            result["peak_rss_mib"] = peak_rss_mib(local)
        except Exception as err:  # reported as the scenario's outcome: the other scenarios still run
            result["error"] = repr(err)
        finally:
            stack_py("down", env)
            result["logs"] = str(local / "logs")
            result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def report(r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"scenario {r['scenario']} ({r['what']}): ERROR {r['error']}")
        return
    print(
        f"scenario {r['scenario']} ({r['what']}): {r['completed']} completed, {r['failed']} failed,"
        f" {r['exact']} exact, {r['unsettled']} unsettled{' (TIMED OUT)' if r['timed_out'] else ''}\n"
        f"  makespan {r['makespan_s']} s, bound {r['bound_s']} s {r['bound']['per_upstream_seconds']},"
        f" ratio {r['makespan_over_bound']} (accepted requests only: bound"
        f" {r['bound'].get('accepted_only_seconds')} s)\n"
        f"  429s {r['simulator_429s']}, sparse p50 {r['sparse_time_to_complete']['p50_ms']} ms"
        f" p99 {r['sparse_time_to_complete']['p99_ms']} ms, waiting seen {r['waiting_seen']['imports']}\n"
        f"  peak RSS MiB {r.get('peak_rss_mib')}"
    )


def main() -> dict[str, Any]:
    names = [n.strip().upper() for n in os.environ.get("BENCH_LOAD_SCENARIOS", "A,B").split(",") if n.strip()]
    kafka, server = harness.servers()
    out: dict[str, Any] = {"imports": IMPORTS, "population": POPULATION, "scenarios": {}}
    for name in names:
        result = run_scenario(SCENARIOS[name], kafka, server)
        out["scenarios"][name] = result
        report(result)
        harness.RESULTS.mkdir(exist_ok=True)  # each scenario on its own too: a later one may take long
        (harness.RESULTS / f"load-{name}.json").write_text(json.dumps(result, indent=2))
    return out


if __name__ == "__main__":  # the same as bench/run.py load
    import run

    sys.exit(run.main(["load"]))
