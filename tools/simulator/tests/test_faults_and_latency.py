"""Latency with jitter and injected faults, in-process."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from mysetlist_simulator.testing import configure, tm_events

NO_FAULTS = {"500": 0, "502": 0, "503": 0, "timeout": 0, "truncated": 0, "html": 0}


async def test_latency_is_fixed_plus_jitter(sim: httpx.AsyncClient) -> None:
    await configure(sim, latency_ms={"ticketmaster": 80}, jitter_ms={"ticketmaster": 40})
    durations = []
    for _ in range(5):
        start = time.perf_counter()
        await tm_events(sim, size=1)
        durations.append(time.perf_counter() - start)
    assert min(durations) >= 0.08
    config = (await sim.get("/_sim/config")).json()
    assert config["latency_ms"]["spotify"] == 0  # a partial object changes only what it names


@pytest.mark.parametrize("kind", ["500", "502", "503"])
async def test_status_faults(sim: httpx.AsyncClient, kind: str) -> None:
    await configure(sim, fault_rates={**NO_FAULTS, kind: 1})
    response = await tm_events(sim, size=1)
    assert response.status_code == int(kind)
    stats = (await sim.get("/_sim/stats")).json()["ticketmaster"]
    assert stats["faults"] == 1 and stats["faults_by_kind"][kind] == 1


async def test_truncated_json_fault(sim: httpx.AsyncClient) -> None:
    await configure(sim, fault_rates={**NO_FAULTS, "truncated": 1})
    response = await tm_events(sim, size=5)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_html_error_page_fault(sim: httpx.AsyncClient) -> None:
    await configure(sim, fault_rates={**NO_FAULTS, "html": 1})
    response = await tm_events(sim, size=5)
    assert response.headers["content-type"].startswith("text/html") and b"<html>" in response.content


async def test_timeout_fault_holds_the_request(sim: httpx.AsyncClient) -> None:
    await configure(sim, fault_rates={**NO_FAULTS, "timeout": 1}, timeout_fault_s=0.3)
    start = time.perf_counter()
    response = await tm_events(sim, size=1)
    assert time.perf_counter() - start >= 0.3 and response.status_code == 504


async def test_fault_rates_are_fractions(sim: httpx.AsyncClient) -> None:
    await configure(sim, fault_rates={**NO_FAULTS, "503": 0.3})
    statuses = [(await tm_events(sim, size=1)).status_code for _ in range(200)]
    assert 25 <= statuses.count(503) <= 100
    stats = (await sim.get("/_sim/stats")).json()["ticketmaster"]
    assert stats["faults"] == statuses.count(503)
