"""Drives imports through the cluster as a fan would (the gateway's kickoff) and watches them end."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from . import check
from .cluster import Cluster

FINAL = ("completed", "failed")


@dataclass
class Driver:
    cluster: Cluster
    rng: random.Random
    imports: dict[str, UUID] = field(default_factory=dict)  # import id (str) -> artist id
    artist_ids: dict[str, UUID] = field(default_factory=dict)  # tm_attraction_id -> artist id
    ended_at: dict[str, float] = field(default_factory=dict)  # import id -> monotonic time of its end
    seen_stages: dict[str, set[str]] = field(default_factory=dict)
    notes: dict[str, float] = field(default_factory=dict)  # a trial's own measurements, reported as is
    problems: list[str] = field(default_factory=list)  # what a trial found wrong beyond the checks

    @property
    def sim(self) -> httpx.Client:
        return httpx.Client(base_url=self.cluster.simulator_url, timeout=30)

    def sample_artists(self) -> list[dict[str, Any]]:
        with self.sim as sim:
            return list(sim.get("/_sim/artists").raise_for_status().json())

    def configure(self, **config: Any) -> None:
        """Simulator settings (faults, latency, limits): a partial object, see tools/simulator/README.md."""
        with self.sim as sim:
            sim.post("/_sim/config", json=config).raise_for_status()

    def reset(self, baseline: dict[str, Any]) -> None:
        """Before a trial: the simulator at its baseline with fresh limits, an empty database."""
        self.configure(**baseline)
        with self.sim as sim:
            sim.post("/_sim/stats/reset").raise_for_status()
        asyncio.run(check.reset(self.cluster.database_url))
        self.imports.clear()
        self.artist_ids.clear()
        self.ended_at.clear()
        self.seen_stages.clear()
        self.notes.clear()
        self.problems.clear()

    def kick_off(self, artists: list[dict[str, Any]] | None = None) -> None:
        """One import per artist (every sample artist by default), through the gateway."""
        with httpx.Client(base_url=self.cluster.gateway_url, timeout=30) as gateway:
            for artist in artists or self.sample_artists():
                tm_attraction_id = artist["tm_attraction_id"]
                body = gateway.post("/api/artists/import", json={"tmAttractionId": tm_attraction_id})
                started = body.raise_for_status().json()
                self.imports[started["importId"]] = UUID(started["artistId"])
                self.artist_ids[tm_attraction_id] = UUID(started["artistId"])

    def phase_running(self, phase: str, timeout: float = 120.0) -> None:
        """Wait until some import's `phase` has made progress (so a fault lands mid-phase)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.cluster.gateway_url, timeout=10) as gateway:
            while time.monotonic() < deadline:
                for artist_id in set(self.imports.values()):
                    status = gateway.get(f"/api/artists/{artist_id}/status")
                    if status.status_code == 200:
                        state = status.json()["phases"][phase]
                        if state["state"] == "running" and state["done"] > 0:
                            return
                time.sleep(0.1)
        raise TimeoutError(f"no {phase} phase got going within {timeout:.0f} s")

    def watch(self, seconds: float) -> None:
        """Keep recording the imports' stages for `seconds` (while a fault lasts)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._poll()
            time.sleep(0.5)

    def settle(self, timeout: float) -> bool:
        """Wait until every import has ended (or `timeout`); True when all did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._poll():
                return True
            time.sleep(0.5)
        return False

    def _poll(self) -> bool:
        try:
            stages = asyncio.run(check.stages(self.cluster.database_url, [UUID(i) for i in self.imports]))
        except OSError:  # PostgreSQL away: nothing to learn now
            return False
        except Exception as exc:  # asyncpg's "cannot connect now" while PostgreSQL starts
            if "starting up" in str(exc) or "shutting down" in str(exc):
                return False
            raise
        now = time.monotonic()
        for import_id, stage in stages.items():
            self.seen_stages.setdefault(str(import_id), set()).add(stage)
            if stage in FINAL:
                self.ended_at.setdefault(str(import_id), now)
        return len(self.ended_at) == len(self.imports)

    def final_stages(self) -> dict[str, str]:
        stages = asyncio.run(check.stages(self.cluster.database_url, [UUID(i) for i in self.imports]))
        return {str(i): s for i, s in stages.items()}
