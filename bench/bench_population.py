"""What a large simulator population costs: a simulator process started with SIM_POPULATION=0 and 1000
(latency 0, limits off), timed over HTTP: its start (process start to /healthz), `GET /_sim/artists`,
and one Ticketmaster events page (200 per page) of a population member of each profile, the first time
(the member is generated then) and again (cached).

Run alone: `uv run python bench/run.py population`; writes bench-results/population.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

import harness

FAST_ENV = {
    "SIM_LATENCY_MS": "0",
    "SIM_JITTER_MS": "0",
    "SIM_RATE_LIMITS": '{"ticketmaster_per_s": 0, "spotify_per_30s": 0, "musicbrainz_per_s": 0}',
}
KEY = "sim-ticketmaster-key"


def timed(http: Any, url: str, **params: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = http.get(url, params=params)
    response.raise_for_status()
    return round((time.perf_counter() - started) * 1000, 1), response


def measure(population: int) -> dict[str, Any]:
    import httpx

    port = harness.stack_tool("probes").free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **FAST_ENV, "SIM_POPULATION": str(population)}
    started = time.perf_counter()
    argv = harness.python("mysetlist_simulator", "--port", str(port))
    with harness.process(argv, env, f"{url}/healthz", f"population-{population}.log"):
        start_ms = round((time.perf_counter() - started) * 1000, 1)
        with httpx.Client(base_url=url, timeout=60) as http:
            first_ms, listing = timed(http, "/_sim/artists")
            again = [timed(http, "/_sim/artists")[0] for _ in range(5)]
            out: dict[str, Any] = {
                "population": population,
                "start_to_healthy_ms": start_ms,
                "artists_listed": len(listing.json()),
                "get_sim_artists_first_ms": first_ms,
                "get_sim_artists_median_ms": statistics.median(again),
                "events_page_ms": {},
            }
            for profile in ("sparse", "mid", "prolific"):
                member = next(
                    (
                        a
                        for a in listing.json()
                        if a["population"] and a["profile"] == profile and a["events"]
                    ),
                    None,
                )
                if member is None:
                    continue
                params = {"apikey": KEY, "attractionId": member["tm_attraction_id"], "size": 200}
                first, _ = timed(http, "/discovery/v2/events.json", **params)
                later = [timed(http, "/discovery/v2/events.json", **params)[0] for _ in range(5)]
                out["events_page_ms"][profile] = {
                    "first_generates_ms": first,
                    "median_later_ms": statistics.median(later),
                }
            fixed = next(a for a in listing.json() if not a["population"] and a["profile"] == "sparse")
            params = {"apikey": KEY, "attractionId": fixed["tm_attraction_id"], "size": 200}
            out["fixed_sparse_events_page_median_ms"] = statistics.median(
                [timed(http, "/discovery/v2/events.json", **params)[0] for _ in range(5)]
            )
    return out


def main() -> dict[str, Any]:
    results = {str(n): measure(n) for n in (0, 1000)}
    for n, r in results.items():
        print(
            f"population {n}: start {r['start_to_healthy_ms']} ms, /_sim/artists first"
            f" {r['get_sim_artists_first_ms']} ms then {r['get_sim_artists_median_ms']} ms,"
            f" events pages {r['events_page_ms']},"
            f" fixed sparse page {r['fixed_sparse_events_page_median_ms']} ms"
        )
    return results


if __name__ == "__main__":  # the same as bench/run.py population
    import run

    sys.exit(run.main(["population"]))
