"""The /_sim control surface, SIM_* environment configuration and determinism."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mysetlist_simulator.catalog import Catalog
from mysetlist_simulator.config import ConfigError, SimConfig
from mysetlist_simulator.testing import configure, spotify_headers, tm_events


async def test_artists_list_every_profile_and_edge_case(artists: list[dict[str, Any]]) -> None:
    assert {"sparse", "mid", "prolific"} <= {a["profile"] for a in artists}
    for a in artists:
        assert set(a) >= {"tm_attraction_id", "spotify_id", "mbid", "name", "profile"}
    assert any(a["spotify_id"] is None for a in artists), "an artist without a Spotify link"
    assert any(a["events"] == 0 for a in artists), "an artist without events"
    assert any(not a["name"].isascii() for a in artists), "a non-ASCII name"


async def test_config_post_changes_only_what_it_names(sim: httpx.AsyncClient) -> None:
    before = (await sim.get("/_sim/config")).json()
    after = await configure(sim, spotify_mode="extended", rate_limits={"spotify_per_30s": 7})
    assert after["spotify_mode"] == "extended" and after["rate_limits"]["spotify_per_30s"] == 7
    assert after["rate_limits"]["ticketmaster_daily"] == before["rate_limits"]["ticketmaster_daily"]
    assert {k: v for k, v in after.items() if k not in ("spotify_mode", "rate_limits")} == {
        k: v for k, v in before.items() if k not in ("spotify_mode", "rate_limits")
    }


@pytest.mark.parametrize(
    "partial",
    [
        {"spotify_mode": "premium"},
        {"latency_ms": {"deezer": 1}},
        {"nope": 1},
        {"fault_rates": {"500": 2}},
        {"seed": 3},
        {"unreliable_paging": "maybe"},
    ],
)
async def test_invalid_config_is_400_and_changes_nothing(
    sim: httpx.AsyncClient, partial: dict[str, Any]
) -> None:
    before = (await sim.get("/_sim/config")).json()
    response = await sim.post("/_sim/config", json={"audio_features_grandfathered": True, **partial})
    assert response.status_code == 400 and response.json()["error"]
    assert (await sim.get("/_sim/config")).json() == before


async def test_stats_count_per_upstream_and_endpoint_and_reset(sim: httpx.AsyncClient) -> None:
    await tm_events(sim, size=1)
    await tm_events(sim, size=1, apikey="bad")
    await spotify_headers(sim)
    stats = (await sim.get("/_sim/stats")).json()
    assert stats["ticketmaster"]["requests"] == 2 and stats["ticketmaster"]["endpoints"] == {"events": 2}
    assert stats["ticketmaster"]["status"] == {"200": 1, "401": 1}
    assert stats["spotify"]["endpoints"] == {"token": 1} and stats["musicbrainz"]["requests"] == 0
    reset = (await sim.post("/_sim/stats/reset")).json()
    assert all(reset[u]["requests"] == 0 and reset[u]["rate_limited"] == 0 for u in reset)


async def test_unknown_truth_is_404(sim: httpx.AsyncClient) -> None:
    assert (await sim.get("/_sim/truth/K8vZnothing")).status_code == 404


def test_environment_configures_every_field() -> None:
    env = {
        "SIM_SEED": "7",
        "SIM_PORT": "8111",
        "SIM_SPOTIFY_MODE": "extended",
        "SIM_AUDIO_FEATURES_GRANDFATHERED": "true",
        "SIM_LATENCY_MS": "0",
        "SIM_JITTER_MS_SPOTIFY": "5",
        "SIM_RATE_LIMITS": '{"ticketmaster_per_s": 10}',
        "SIM_FAULT_RATES_503": "0.1",
        "SIM_UNRELIABLE_PAGING": "1",
        "SIM_TICKETMASTER_API_KEY": "k",
    }
    config = SimConfig.from_env(env)
    values = config.as_dict()
    assert config.seed == 7 and config.port == 8111 and values["spotify_mode"] == "extended"
    assert values["audio_features_grandfathered"] and values["unreliable_paging"]
    assert values["latency_ms"] == {"ticketmaster": 0, "spotify": 0, "musicbrainz": 0}
    assert values["jitter_ms"]["spotify"] == 5 and values["jitter_ms"]["ticketmaster"] == 20
    assert (
        values["rate_limits"]["ticketmaster_per_s"] == 10
        and values["rate_limits"]["ticketmaster_daily"] == 5000
    )
    assert values["fault_rates"]["503"] == 0.1 and values["ticketmaster_api_key"] == "k"
    with pytest.raises(ConfigError):
        SimConfig.from_env({"SIM_SPOTIFY_MODE": "free"})


def test_same_seed_same_catalog_other_seed_other_catalog(sim_catalog: Catalog) -> None:
    again, other = Catalog(1), Catalog(2)
    assert [a.attraction.id for a in again.artists] == [a.attraction.id for a in sim_catalog.artists]
    assert [a.truth_recordings for a in again.artists] == [a.truth_recordings for a in sim_catalog.artists]
    assert {a.attraction.id for a in other.artists}.isdisjoint(a.attraction.id for a in sim_catalog.artists)
