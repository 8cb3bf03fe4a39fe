"""GET /api/search latency, cached and uncached, through a gateway process and the simulator process at its
default latency (Ticketmaster 60 ms per call).

Method: uncached = every request is a query the gateway has not seen (distinct words and prefixes of the
simulator's artist names, at distinct `limit`s), sent one at a time at 4 requests/s, under the 5/s
Ticketmaster budget the gateway keeps, so the figure is one upstream round trip plus our own work, not
time spent queueing for the budget. Cached = the same 20 queries repeated, after one warm-up each:
sequentially, then by 16 concurrent clients (closed loop: throughput-bound), then at a steady 200/s
(open loop: each request leaves on schedule whatever the others do). Timing is from request sent to body
read, on keep-alive connections, on this machine (2 shared cores).

Against a running stack: BENCH_GATEWAY_URL=http://127.0.0.1:8000 (and the simulator it uses).
Otherwise a simulator and a gateway are started on free ports with a throwaway database.
Run: `uv run python bench/run.py search` (or `uv run python bench/bench_search.py`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import harness
import httpx

UNCACHED = int(os.environ.get("BENCH_SEARCH_UNCACHED", "200"))
CACHED = int(os.environ.get("BENCH_SEARCH_CACHED", "2000"))
UNCACHED_RATE = 4.0  # requests/s: below the gateway's 5/s Ticketmaster budget
CONCURRENCY = 16
CACHED_RATE = 200  # requests/s, open loop: the latency a steady load of cached searches sees
CACHED_SECONDS = 10


@contextmanager
def gateway() -> Iterator[tuple[str, str]]:
    """(gateway URL, simulator URL): the running ones named in the environment, or fresh processes."""
    if os.environ.get("BENCH_GATEWAY_URL"):
        sim = os.environ.get("BENCH_SIMULATOR_URL", "http://127.0.0.1:8100")
        yield os.environ["BENCH_GATEWAY_URL"].rstrip("/"), sim
        return
    kafka, postgres = harness.servers()
    with (
        harness.database(postgres, "bench_search") as db,
        harness.simulator("search-simulator.log") as sim,
    ):
        upstream = harness.stack_tool("python_services").upstream_env(sim)
        env = harness.environment(db, kafka, f"bench-search-{os.getpid()}.") | upstream
        with harness.service("mysetlist_gateway", "GATEWAY_PORT", env, "search-gateway.log") as gw:
            yield gw, sim


def queries(names: list[str]) -> Iterator[tuple[str, int]]:
    """Distinct (query, limit) pairs that match something: words and word prefixes of the artists' names."""
    terms: list[str] = []
    for name in names:
        for word in name.split():
            terms += [word[:n] for n in range(3, len(word) + 1)]
    unique = list(dict.fromkeys(t.lower() for t in terms))
    for limit in range(1, 21):
        for term in unique:
            yield term, limit


async def timed(http: httpx.AsyncClient, q: str, limit: int) -> float:
    started = time.perf_counter()
    response = await http.get("/api/search", params={"q": q, "limit": limit})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


async def measure(gw: str, sim: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=gw, timeout=30) as http:
        names = [a["name"] for a in (await http.get(f"{sim}/_sim/artists")).json()]
        fresh = queries(names)
        # a few warm-up calls: connections, the gateway's first database session
        for q, limit in itertools.islice(fresh, 5):
            await timed(http, q, limit)

        uncached = []
        for q, limit in itertools.islice(fresh, UNCACHED):
            uncached.append(await timed(http, q, limit))
            await asyncio.sleep(max(0.0, 1 / UNCACHED_RATE - uncached[-1]))

        hot = [(name.split()[-1].lower(), 8) for name in names][:20]
        for q, limit in hot:
            await timed(http, q, limit)
        sequential = [await timed(http, *hot[i % len(hot)]) for i in range(CACHED)]

    async def client(n: int) -> list[float]:
        async with httpx.AsyncClient(base_url=gw, timeout=30) as own:
            return [await timed(own, *hot[(n + i) % len(hot)]) for i in range(CACHED // CONCURRENCY)]

    started = time.perf_counter()
    parallel = [t for ts in await asyncio.gather(*(client(n) for n in range(CONCURRENCY))) for t in ts]
    wall = time.perf_counter() - started

    async with httpx.AsyncClient(base_url=gw, timeout=30, limits=httpx.Limits(max_connections=200)) as http:

        async def cached(i: int) -> None:
            q, limit = hot[i % len(hot)]
            (await http.get("/api/search", params={"q": q, "limit": limit})).raise_for_status()

        steady = await harness.open_loop(CACHED_RATE, CACHED_SECONDS, cached)
    return {
        "uncached": harness.percentiles(uncached),
        "cached_sequential": harness.percentiles(sequential),
        f"cached_{CONCURRENCY}_concurrent": {
            **harness.percentiles(parallel),
            "throughput_rps": round(len(parallel) / wall, 1),
        },
        f"cached_open_loop_{CACHED_RATE}_per_s": steady,
        "method": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
    }


def main() -> dict[str, Any]:
    with gateway() as (gw, sim):
        result = asyncio.run(measure(gw, sim))
    for name, r in result.items():
        if not isinstance(r, dict):
            continue
        print(f"search {name}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms over {r['samples']} requests")
    return result


if __name__ == "__main__":  # the same as bench/run.py search
    import run

    sys.exit(run.main(["search"]))
