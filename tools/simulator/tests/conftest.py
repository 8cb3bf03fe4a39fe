"""In-process simulator fixtures: one generated catalog per session, a fresh app (config, limits, stats)
per test, reached through httpx.ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mysetlist_simulator.app import create_app
from mysetlist_simulator.catalog import Catalog
from mysetlist_simulator.config import SimConfig
from mysetlist_simulator.testing import FAST

SEED = 1


@pytest.fixture(scope="session")
def sim_catalog() -> Catalog:
    return Catalog(SEED)


@pytest.fixture
async def sim(sim_catalog: Catalog) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimConfig(seed=SEED, **FAST), sim_catalog)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim.test"
    ) as client:
        yield client


@pytest.fixture
async def artists(sim: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await sim.get("/_sim/artists")
    response.raise_for_status()
    return list(response.json())
