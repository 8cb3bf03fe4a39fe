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
import os
import statistics
import sys
import uuid
from typing import Any

import harness

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
SERVICE_ENV = {
    "SPOTIFY_MODE": "auto",
    "CATALOG_ISRC_BACKFILL_PER_S": "0",  # the backfill would change the next run's starting point
    "MUSICBRAINZ_CACHE_TTL_S": "0",  # every run a first import: MusicBrainz asked every time
}


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
    async with httpx.AsyncClient(base_url=sim_url, timeout=30) as sim, harness.Imports(env) as imports:
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

        await imports.run(await artist_row(chosen["sparse"]), "catalog")  # mode and token learnt, as live
        for profile in PROFILES:
            artist = chosen[profile]
            runs = []
            for _ in range(RUNS):
                # MusicBrainz allows one request per second per IP: imports by different users are
                # seconds apart, back-to-back runs would measure the queue for that one slot instead.
                await asyncio.sleep(1.1)
                artist_id = await artist_row(artist)
                await sim.post("/_sim/stats/reset")
                end = await imports.run(artist_id, "catalog")
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
    kafka, server = harness.servers()
    out: dict[str, Any] = {"phase": "catalog", "modes": {}}
    with (
        harness.database(server, "bench_catalog") as database_url,
        harness.simulator("catalog-simulator.log") as sim_url,
    ):
        upstream = harness.stack_tool("python_services").upstream_env(sim_url) | SERVICE_ENV
        for mode in MODES:  # a fresh service per mode: it learns the mode once, as in production
            asyncio.run(_set_mode(sim_url, mode))
            prefix = f"bench-catalog-{uuid.uuid4().hex[:8]}."
            env = harness.environment(database_url, kafka, prefix) | upstream
            log = f"catalog-service-{mode}.log"
            with harness.service("mysetlist_catalog_ingest", "CATALOG_INGEST_PORT", env, log):
                out["modes"][mode] = asyncio.run(measure_mode(mode, sim_url, env))
    for mode, figures in out["modes"].items():
        print(f"catalog phase, {mode} mode (mean latency {figures['mean_latency_ms']} ms):")
        header = ("songs", "median s", "requests", "req/song", "bound s", "ratio")
        print(f"  {'profile':10} " + " ".join(f"{h:>9}" for h in header))
        for profile, r in figures["profiles"].items():
            print(
                f"  {profile:10} {r['songs']:>9} {r['median_phase_seconds']:>9.3f} {r['spotify_requests']:>9}"
                f" {r['requests_per_stored_song']:>9.3f} {r['lower_bound_seconds']:>9.3f} {r['ratio']:>9.2f}"
            )
    return out


async def _set_mode(sim_url: str, mode: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=sim_url) as sim:
        (await sim.post("/_sim/config", json={"spotify_mode": mode})).raise_for_status()


if __name__ == "__main__":  # the same as bench/run.py catalog
    import run

    sys.exit(run.main(["catalog"]))
