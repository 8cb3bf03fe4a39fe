"""GET /api/search against the upstream simulator process: results, the brief cache (one upstream call
for repeated and concurrent searches), what we imported already, clear 422s and a 502 naming the cause."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from mysetlist_common.db.schema import Artist
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.ticketmaster.models import Attraction
from mysetlist_devtools.testing import lifespan_of
from mysetlist_gateway.search_cache import SearchCache

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
async def client(stack_env: dict[str, str], simulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from mysetlist_gateway.app import create_app

    app = create_app()
    async with (
        lifespan_of(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://gw") as http,
    ):
        yield http


@pytest.fixture(scope="module")
async def sim_artists(simulator_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        return list((await http.get(f"{simulator_url}/_sim/artists")).json())


async def tm_requests(simulator_url: str) -> int:
    async with httpx.AsyncClient() as http:
        return int((await http.get(f"{simulator_url}/_sim/stats")).json()["ticketmaster"]["requests"])


async def test_finds_artists_by_part_of_the_name(
    client: httpx.AsyncClient, sim_artists: list[dict[str, Any]]
) -> None:
    wanted = sim_artists[0]
    word = wanted["name"].split()[-1]
    response = await client.get("/api/search", params={"q": word.upper()})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == word.upper()
    assert body["items"], body
    assert all(word.casefold() in hit["name"].casefold() for hit in body["items"])
    assert wanted["tm_attraction_id"] in {hit["tmAttractionId"] for hit in body["items"]}
    assert "max-age" in response.headers["cache-control"]


async def test_repeated_and_concurrent_searches_make_one_upstream_call(
    client: httpx.AsyncClient, simulator_url: str, sim_artists: list[dict[str, Any]]
) -> None:
    name = sim_artists[1]["name"]
    before = await tm_requests(simulator_url)
    answers = await asyncio.gather(*(client.get("/api/search", params={"q": name}) for _ in range(20)))
    again = await client.get("/api/search", params={"q": f"  {name.lower()} "})  # same query, other spelling
    assert {a.status_code for a in answers} == {200}
    assert again.json()["items"] == answers[0].json()["items"]
    assert answers[0].json()["items"][0]["name"] == name
    assert await tm_requests(simulator_url) - before == 1


async def test_imported_artists_carry_their_id_and_slug(
    client: httpx.AsyncClient, stack_env: dict[str, str], sim_artists: list[dict[str, Any]]
) -> None:
    artist = sim_artists[2]
    engine = create_async_engine(stack_env["DATABASE_URL"])
    async with engine.begin() as conn:
        artist_id = await conn.scalar(
            insert(Artist)
            .values(name=artist["name"], slug="already-here", tm_attraction_id=artist["tm_attraction_id"])
            .returning(Artist.id)
        )
    await engine.dispose()
    hits = (await client.get("/api/search", params={"q": artist["name"]})).json()["items"]
    known = next(h for h in hits if h["tmAttractionId"] == artist["tm_attraction_id"])
    assert known["artistId"] == str(artist_id) and known["slug"] == "already-here"
    assert all(h["artistId"] is None for h in hits if h is not known)


async def test_no_match_is_an_empty_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/search", params={"q": "zzqqxx no such artist"})
    assert response.status_code == 200 and response.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "q: Field required"),
        ({"q": "   "}, "q must not be empty: type part of an artist's name"),
        ({"q": "x" * 101}, "q is too long: at most 100 characters"),
    ],
)
async def test_bad_queries_are_422_with_a_message(
    client: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await client.get("/api/search", params=params)
    assert response.status_code == 422
    assert response.json()["detail"] == message


async def test_upstream_failure_is_502_naming_the_cause(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mysetlist_common.settings import get_settings
    from mysetlist_devtools.testing import free_port
    from mysetlist_gateway.app import create_app

    monkeypatch.setenv("TICKETMASTER_BASE_URL", f"http://127.0.0.1:{free_port()}/discovery/v2")
    get_settings.cache_clear()
    try:
        app = create_app()
        async with (
            lifespan_of(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://gw") as http,
        ):
            response = await http.get("/api/search", params={"q": "waves"})
            assert response.status_code == 502
            detail = response.json()["detail"]
            assert detail.startswith("artist search failed: ticketmaster:")
            assert "transport error" in detail and "apikey" not in detail
            # a failure is not cached: the next search asks again (and fails again here)
            assert (await http.get("/api/search", params={"q": "waves"})).status_code == 502
    finally:
        get_settings.cache_clear()


async def test_cache_keeps_answers_not_failures() -> None:
    # The 502 test above cannot tell a cached failure from a fresh one (the upstream is down either way):
    # here the second search must reach the loader again, and only its success is kept.
    cache = SearchCache(ttl_s=60)
    calls: list[str] = []
    answer = [Attraction.model_validate({"id": "K8vZ9171ob7", "name": "Waves"})]

    async def failing() -> list[Attraction]:
        calls.append("fail")
        raise UpstreamError("ticketmaster: transport error", upstream="ticketmaster")

    async def working() -> list[Attraction]:
        calls.append("ok")
        return answer

    with pytest.raises(UpstreamError):
        await cache.get(("waves", 8), failing)
    assert await cache.get(("waves", 8), working) is answer
    assert await cache.get(("waves", 8), failing) is answer  # cached now: the loader is not called
    assert calls == ["fail", "ok"]


async def test_a_caller_going_away_does_not_cancel_the_shared_search() -> None:
    cache = SearchCache(ttl_s=60)
    release = asyncio.Event()
    calls = 0
    answer = [Attraction.model_validate({"id": "K8vZ9171ob7", "name": "Waves"})]

    async def slow() -> list[Attraction]:
        nonlocal calls
        calls += 1
        await release.wait()
        return answer

    first = asyncio.create_task(cache.get(("waves", 8), slow))
    second = asyncio.create_task(cache.get(("waves", 8), slow))
    await asyncio.sleep(0.01)
    first.cancel()  # the browser that started the search closed its request
    release.set()
    assert await second is answer
    assert first.cancelled() and calls == 1
