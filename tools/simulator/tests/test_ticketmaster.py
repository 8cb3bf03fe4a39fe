"""Ticketmaster Discovery v2 behaviour, in-process."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from mysetlist_simulator.testing import TM_KEY, configure, pick, tm_events, tm_walk, with_key


async def test_bad_or_missing_key_is_401(sim: httpx.AsyncClient) -> None:
    bad = await sim.get("/discovery/v2/events.json", params={"apikey": "nope"})
    assert bad.status_code == 401
    assert bad.json()["fault"]["detail"]["errorcode"] == "oauth.v2.InvalidApiKey"
    missing = await sim.get("/discovery/v2/events.json")
    assert missing.status_code == 401


async def test_page_size_is_capped_at_200(sim: httpx.AsyncClient, artists: list[dict[str, Any]]) -> None:
    prolific = pick(artists, "prolific")
    body = (await tm_events(sim, attractionId=prolific["tm_attraction_id"], size=500)).json()
    assert body["page"]["size"] == 200
    assert len(body["_embedded"]["events"]) == 200


async def test_deep_paging_error_when_size_times_page_reaches_1000(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    tm_attraction_id = pick(artists, "prolific")["tm_attraction_id"]
    assert (await tm_events(sim, attractionId=tm_attraction_id, size=200, page=4)).status_code == 200
    deep = await tm_events(sim, attractionId=tm_attraction_id, size=200, page=5)
    assert deep.status_code == 400
    assert deep.json()["errors"][0]["code"] == "DIS1035"


async def test_next_link_is_relative_without_key_and_absent_on_last_page(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    mid = pick(artists, "mid")
    first = (await tm_events(sim, attractionId=mid["tm_attraction_id"], size=200)).json()
    href = first["_links"]["next"]["href"]
    assert href.startswith("/discovery/v2/events?") and "apikey" not in href and "page=1" in href
    last = (await sim.get(with_key(href))).json()
    assert "next" not in last["_links"]
    assert first["page"]["totalElements"] == mid["events"] == 250
    assert len(first["_embedded"]["events"]) + len(last["_embedded"]["events"]) == 250


async def test_empty_result_has_no_embedded_key(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    no_events = pick(artists, "sparse", events=0)
    body = (await tm_events(sim, attractionId=no_events["tm_attraction_id"])).json()
    assert "_embedded" not in body
    assert body["page"]["totalElements"] == 0


async def test_date_window_returns_only_events_inside_it(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    tm_attraction_id = pick(artists, "prolific")["tm_attraction_id"]
    events = await tm_walk(
        sim,
        attractionId=tm_attraction_id,
        startDateTime="2024-01-01T00:00:00Z",
        endDateTime="2024-12-31T23:59:59Z",
    )
    assert 0 < len(events) < 1000
    for event in events:
        start = event["dates"]["start"]
        assert start["localDate"][:4] in ("2023", "2024", "2025")  # local dates may cross the UTC year
        if "dateTime" in start:
            assert "2024-01-01T00:00:00Z" <= start["dateTime"] <= "2024-12-31T23:59:59Z"
    bad = await tm_events(sim, attractionId=tm_attraction_id, startDateTime="2024-01-01")
    assert bad.status_code == 400


async def test_tba_events_dropped_when_a_date_is_sent_unless_included(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    tm_attraction_id = pick(artists, "sparse", events=15)["tm_attraction_id"]
    window = {"startDateTime": "2000-01-01T00:00:00Z", "endDateTime": "2100-01-01T00:00:00Z"}

    def undated(events: list[dict[str, Any]]) -> int:
        return sum(e["dates"]["start"]["dateTBA"] or e["dates"]["start"]["dateTBD"] for e in events)

    assert undated(await tm_walk(sim, attractionId=tm_attraction_id)) == 2
    assert undated(await tm_walk(sim, attractionId=tm_attraction_id, **window)) == 0
    both = await tm_walk(sim, attractionId=tm_attraction_id, includeTBA="yes", includeTBD="yes", **window)
    assert undated(both) == 2 and len(both) == 15


async def test_windowed_import_past_the_deep_paging_limit_finds_exactly_the_truth(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    prolific = pick(artists, "prolific")
    tm_attraction_id = prolific["tm_attraction_id"]
    assert prolific["events"] > 1000
    seen: list[str] = []
    for year in range(2015, 2031):  # one window a year, each under the limit
        window = {"startDateTime": f"{year}-01-01T00:00:00Z", "endDateTime": f"{year}-12-31T23:59:59Z"}
        seen += [e["id"] for e in await tm_walk(sim, attractionId=tm_attraction_id, **window)]
    undated = await tm_walk(sim, attractionId=tm_attraction_id, includeTBA="only", includeTBD="only")
    seen += [e["id"] for e in undated]
    truth = (await sim.get(f"/_sim/truth/{tm_attraction_id}")).json()
    assert sorted(seen) == sorted(truth["shows"])


async def test_event_shapes_lat_long_strings_and_edge_cases(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    sparse = pick(artists, "sparse", events=15)
    events = await tm_walk(sim, attractionId=sparse["tm_attraction_id"])
    venues = [e["_embedded"]["venues"][0] for e in events if "venues" in e.get("_embedded", {})]
    assert all(isinstance(v["location"]["latitude"], str) for v in venues)
    assert all(isinstance(v["location"]["longitude"], str) for v in venues)
    statuses = {e["dates"]["status"]["code"] for e in events}
    assert {"canceled", "cancelled", "postponed", "rescheduled", "onsale"} <= statuses
    assert any("venues" not in e["_embedded"] for e in events), "an event without a venue"
    assert any("attractions" not in e["_embedded"] for e in events), "an event without attractions"
    assert any(
        e["dates"]["start"]["noSpecificTime"] and "dateTime" not in e["dates"]["start"] for e in events
    )
    by_name: dict[str, set[str]] = {}
    for v in venues:
        by_name.setdefault(v["name"], set()).add(v["city"]["name"])
    assert any(len(cities) > 1 for cities in by_name.values()), "same-named venues in different cities"


async def test_rate_limit_headers_count_down(sim: httpx.AsyncClient) -> None:
    first = await tm_events(sim, size=1)
    second = await tm_events(sim, size=1)
    assert first.headers["Rate-Limit"] == "5000"
    assert int(second.headers["Rate-Limit-Available"]) == int(first.headers["Rate-Limit-Available"]) - 1
    assert int(first.headers["Rate-Limit-Reset"]) > time.time() * 1000


class SimClock:
    """The simulator's clock for its rate limits, moved by the test alone: what a window admits then
    depends on the requests' moments, never on how busy the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim_clock(monkeypatch: pytest.MonkeyPatch) -> SimClock:
    clock = SimClock()
    monkeypatch.setattr("mysetlist_simulator.ticketmaster.clock", clock)
    return clock


async def test_spike_arrest_rejects_the_sixth_request_within_a_second(
    sim: httpx.AsyncClient, sim_clock: SimClock
) -> None:
    await configure(sim, rate_limits={"ticketmaster_per_s": 5})
    answers = [await tm_events(sim, size=1) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[-1].json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.SpikeArrestViolation"
    stats = (await sim.get("/_sim/stats")).json()["ticketmaster"]
    assert stats["rate_limited"] == 1 and stats["requests"] == 6


async def test_even_pacing_at_exactly_five_per_second_is_never_rejected(
    sim: httpx.AsyncClient, sim_clock: SimClock
) -> None:
    await configure(sim, rate_limits={"ticketmaster_per_s": 5})
    statuses = []
    for _ in range(16):  # 3 seconds at one request every 200 ms
        statuses.append((await tm_events(sim, size=1)).status_code)
        sim_clock.now += 0.2
    assert statuses == [200] * 16
    assert (await sim.get("/_sim/stats")).json()["ticketmaster"]["rate_limited"] == 0


async def test_daily_quota_answers_429_quota_violation_without_retry_after(sim: httpx.AsyncClient) -> None:
    await configure(sim, rate_limits={"ticketmaster_daily": 2})
    answers = [await tm_events(sim, size=1) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    body = answers[-1].json()
    assert body["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    assert "Retry-After" not in answers[-1].headers
    assert (
        answers[-1].headers["Rate-Limit-Available"] == "0" and answers[-1].headers["Rate-Limit-Over"] == "1"
    )
    reset_ms = int(answers[-1].headers["Rate-Limit-Reset"])
    assert datetime.fromtimestamp(reset_ms / 1000, UTC) > datetime.now(UTC)


async def test_attraction_carries_external_links_or_not(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    linked = pick(artists, "sparse", events=15)
    body = (
        await sim.get(
            f"/discovery/v2/attractions/{linked['tm_attraction_id']}.json", params={"apikey": TM_KEY}
        )
    ).json()
    assert body["externalLinks"]["spotify"][0]["url"].endswith(f"/artist/{linked['spotify_id']}")
    assert body["externalLinks"]["musicbrainz"][0]["id"] == linked["mbid"]
    unlinked = pick(artists, "sparse", spotify_id=None)
    body = (
        await sim.get(
            f"/discovery/v2/attractions/{unlinked['tm_attraction_id']}.json", params={"apikey": TM_KEY}
        )
    ).json()
    assert "spotify" not in body["externalLinks"]
    missing = await sim.get("/discovery/v2/attractions/K8vZ000.json", params={"apikey": TM_KEY})
    assert missing.status_code == 404


async def test_attraction_search_by_keyword_folds_accents(
    sim: httpx.AsyncClient, artists: list[dict[str, Any]]
) -> None:
    non_ascii = next(a for a in artists if not a["name"].isascii())
    keyword = non_ascii["name"].split()[0]
    folded = keyword.encode("ascii", "ignore").decode()
    for term in (keyword, non_ascii["name"].lower()):
        body = (
            await sim.get("/discovery/v2/attractions.json", params={"apikey": TM_KEY, "keyword": term})
        ).json()
        assert non_ascii["tm_attraction_id"] in [a["id"] for a in body["_embedded"]["attractions"]]
    assert folded  # e.g. "Bjorn" for "Björn"
    none = (
        await sim.get("/discovery/v2/attractions.json", params={"apikey": TM_KEY, "keyword": "zzqx"})
    ).json()
    assert "_embedded" not in none


async def test_quota_period_sets_the_reset_and_a_new_period_has_a_fresh_quota(
    sim: httpx.AsyncClient, monkeypatch: Any
) -> None:
    from mysetlist_simulator import ticketmaster

    now = [1_800_000_000.0]
    monkeypatch.setattr(ticketmaster.time, "time", lambda: now[0])  # the quota's clock, not a sleep
    await configure(sim, rate_limits={"ticketmaster_daily": 2}, ticketmaster_quota_period_s=60)
    answers = [await tm_events(sim, size=1) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].json()["fault"]["detail"]["errorcode"] == "policies.ratelimit.QuotaViolation"
    # the period's real end: 60 s after the key's first call, in epoch milliseconds
    assert {a.headers["Rate-Limit-Reset"] for a in answers} == {str(int((now[0] + 60) * 1000))}
    now[0] += 59.9
    assert (await tm_events(sim, size=1)).status_code == 429
    now[0] += 0.1  # the next period
    fresh = await tm_events(sim, size=1)
    assert fresh.status_code == 200 and fresh.headers["Rate-Limit-Available"] == "1"
    assert fresh.headers["Rate-Limit-Reset"] == str(int((now[0] + 60) * 1000))


async def test_quota_period_is_a_positive_number_read_from_the_environment(sim: httpx.AsyncClient) -> None:
    from mysetlist_simulator.config import SimConfig

    assert (await sim.get("/_sim/config")).json()["ticketmaster_quota_period_s"] == 86400
    assert (await sim.post("/_sim/config", json={"ticketmaster_quota_period_s": 0})).status_code == 400
    env = SimConfig.from_env({"SIM_TICKETMASTER_QUOTA_PERIOD_S": "30"})
    assert env.ticketmaster_quota_period_s == 30
