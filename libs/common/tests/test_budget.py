"""The shared upstream budget on the real PostgreSQL: several processes (or engines standing in for them)
share one key's row. Nothing here measures our own durations: the assertions are counts, orders, and the
simulator's own figures."""

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mysetlist_common.db.session import make_engine
from mysetlist_common.settings import Settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget, KeyBusy
from mysetlist_common.upstream.budget.ledger import Booking
from mysetlist_common.upstream.budget.policy import Policy, key_hash, paced_policy
from mysetlist_common.upstream.budget.postgres import PgLedger
from mysetlist_common.upstream.budget.registry import use_ledger
from mysetlist_common.upstream.calls import CallContext, Parked, calling
from mysetlist_common.upstream.spotify.client import ProcessState, SpotifyClient
from mysetlist_common.upstream.spotify.client import budget_policy as spotify_policy

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parents[3]


LEDGERS: list[PgLedger] = []


def pg_ledger(engine: AsyncEngine) -> PgLedger:
    """A ledger on `engine`, its held connection returned when the module's engines go."""
    LEDGERS.append(PgLedger(lambda: engine))
    return LEDGERS[-1]


@pytest.fixture(scope="module")
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines: two processes' connection pools, as far as the database can tell."""
    first, second = make_engine(database_url, pool_size=4), make_engine(database_url, pool_size=4)
    yield first, second
    for each in LEDGERS:
        await each.aclose()
    await first.dispose()
    await second.dispose()


async def row(engine: AsyncEngine, policy: Policy) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT * FROM rate_key WHERE upstream = :u AND key_hash = :h"),
            {"u": policy.upstream, "h": policy.key_hash},
        )
        return dict(found.mappings().one())


# ------------------------------------------------------------------------- (a) processes, one key


WORKER = """
import asyncio, os, sys
import httpx
from mysetlist_common.settings import get_settings
from mysetlist_common.upstream.ticketmaster.client import TicketmasterClient

async def main() -> None:
    async with httpx.AsyncClient() as http:
        client = TicketmasterClient(http, get_settings())
        # warm connections, as in a running service: a first TCP handshake on a loaded machine can take
        # longer than the slack between two slots, and the simulator admits by arrival
        origin = get_settings().ticketmaster_base_url.split("/discovery")[0]
        await asyncio.gather(*(http.get(origin + "/healthz") for _ in range(3)))
        print("ready", flush=True)
        while not os.path.exists(sys.argv[1]):  # every process starts asking at once
            await asyncio.sleep(0.01)
        await asyncio.gather(*(client.attraction(a) for a in sys.argv[2:]))
        print(client.stats.requests, client.stats.rate_limited, flush=True)

asyncio.run(main())
"""


async def test_three_processes_share_one_ticketmaster_key_without_a_429(
    database_url: str, simulator_url: str, tmp_path: Path, engines: tuple[AsyncEngine, AsyncEngine]
) -> None:
    async with httpx.AsyncClient(base_url=simulator_url) as sim:
        artists = [a["tm_attraction_id"] for a in (await sim.get("/_sim/artists")).json()]
        asks = (artists * 2)[:8]  # eight requests per process, 24 in all: ~5 s at the key's 5/s
        env = {
            **os.environ,
            "TICKETMASTER_BASE_URL": f"{simulator_url}/discovery/v2",
            "DATABASE_URL": database_url,
        }
        go = tmp_path / "go"
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", WORKER, str(go), *asks, env=env, cwd=REPO, stdout=subprocess.PIPE
            )
            for _ in range(3)
        ]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert (await worker.stdout.readline()).strip() == b"ready"
            await sim.post("/_sim/stats/reset")  # also clears the simulator's rate windows
            go.touch()
            results = [(await asyncio.wait_for(worker.communicate(), 120))[0].decode() for worker in workers]
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        stats = (await sim.get("/_sim/stats")).json()["ticketmaster"]
    assert all(w.returncode == 0 for w in workers), results
    assert [r.split() for r in results] == [["8", "0"]] * 3
    # the simulator's own count: every request arrived and its sliding-second spike arrest never fired
    assert stats["requests"] == 24
    assert stats["rate_limited"] == 0
    policy = paced_policy("ticketmaster", Settings().ticketmaster_api_key.get_secret_value(), 5.0, 5000)
    # one count for all three: the upstream's, as its last answers told it (a few may still be in flight)
    assert (await row(engines[0], policy))["quota_left"] <= 5000 - 24 + 3


# ------------------------------------------------------------------------------------ (b) AIMD


def _spotify(handler: Any) -> tuple[SpotifyClient, httpx.AsyncClient]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return handler(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    settings = Settings(
        spotify_api_base_url="http://sp.test/v1",
        spotify_accounts_base_url="http://sp.test/api",
        spotify_client_id="aimd-test-client",
        http_max_retries=0,
    )
    return SpotifyClient(settings, http, ProcessState()), http


async def test_a_429_halves_the_shared_rate_for_every_process_and_pauses_the_key(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = engines
    use_ledger(pg_ledger(first))
    try:
        client, http = _spotify(
            lambda r: httpx.Response(429, json={"error": {"status": 429}}, headers={"Retry-After": "30"})
        )
        policy = client.api.budget.policy if client.api.budget else spotify_policy(Settings())
        with pytest.raises(Exception, match="429"):
            await client.track("t1")
        await http.aclose()
    finally:
        use_ledger(None)
    ceiling = policy.rate_per_s
    seen = await row(second, policy)  # another session reads what the first process wrote
    assert seen["rate_per_s"] == pytest.approx(ceiling / 2)
    assert seen["paused_until"] > seen["rate_changed_at"] + 25

    # another process books nothing while the key is paused: a caller that may not wait 30 s hears so
    other = KeyBudget(policy, pg_ledger(second))
    with pytest.raises(KeyBusy) as busy:
        await other.acquire("user", 0, max_wait_s=5.0)
    assert busy.value.paused and busy.value.wait_s > 20
    booking = await pg_ledger(second).book(policy, 1, 0.5)
    assert booking.granted == 0 and booking.paused_s > 20
    # a lower learned rate shows in every booking, and it does not creep back up while the key is paused
    # (no request can tell whether it is right then)
    assert booking.rate_per_s == seen["rate_per_s"]

    # the other 429s of the same burst (booked before the decrease) do not halve it again
    ledger = pg_ledger(second)
    assert await ledger.slow_down(policy, seen["rate_changed_at"] - 1) is None
    later = await ledger.slow_down(policy, seen["rate_changed_at"] + 1)
    assert later is not None and later == pytest.approx(booking.rate_per_s / 2, rel=0.05)
    assert later >= policy.floor_per_s


async def test_the_learned_rate_never_falls_below_its_floor(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    policy = Policy("spotify", key_hash("spotify", "floor-test"), 100.0, floor_per_s=1.0, increase_per_s2=0.0)
    ledger = pg_ledger(engines[0])
    await ledger.book(policy, 1, 0.0)
    for _ in range(12):
        await ledger.slow_down(policy, time.time() + 3600)  # a 429 booked after every decrease
    assert (await row(engines[1], policy))["rate_per_s"] == pytest.approx(1.0)


# ----------------------------------------------------------------------------------- (c) Parked


async def test_a_call_that_would_wait_beyond_its_allowance_parks_and_books_nothing(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first, second = engines
    asked: list[str] = []
    client, http = _spotify(lambda r: asked.append(r.url.path) or httpx.Response(200, json={}))
    policy = spotify_policy(Settings(spotify_client_id="aimd-test-client"))
    policy = Policy(policy.upstream, key_hash("spotify", "parked-test"), policy.rate_per_s)
    client.api._budget = policy
    other = pg_ledger(second)
    await other.book(policy, 1, 0.0)
    await other.pause(policy, 120.0, "Retry-After 120 s")  # another process met a 429
    before = await row(first, policy)
    use_ledger(pg_ledger(first))
    try:
        context = CallContext("user", wait_cap_s=30.0)
        with calling(context), pytest.raises(Parked) as parked:
            await client.track("t1")
        # a second call of the same phase parks at once too (the process knows of the pause now)
        with calling(context), pytest.raises(Parked):
            await client.track("t2")
    finally:
        use_ledger(None)
        await http.aclose()
    assert parked.value.upstream == "spotify"
    assert parked.value.resume_at == pytest.approx(time.time() + 120, abs=30)
    assert "Retry-After" in parked.value.reason
    assert asked == []  # no request went out
    after = await row(first, policy)
    assert after["tat"] == before["tat"]  # and no slot was booked for it
    assert context.requests == 0


# ------------------------------------------------------------------------------- (d) priorities


class Gated:
    """A ledger that holds every booking until `open` is set: everyone queues before anyone is served."""

    def __init__(self, ledger: PgLedger) -> None:
        self.ledger = ledger
        self.open = asyncio.Event()

    async def prepare(self, policy: Policy) -> None:
        await self.open.wait()
        await self.ledger.prepare(policy)

    async def book(self, policy: Policy, n: int, horizon_s: float) -> Booking:
        await self.open.wait()
        return await self.ledger.book(policy, n, horizon_s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)


async def _served_order(engine: AsyncEngine, name: str, callers: list[tuple[str, str, int]]) -> list[str]:
    """Queue every (label, priority, attained) caller on a busy key, then let the bookers go."""
    policy = Policy("ticketmaster", key_hash("ticketmaster", name), 50.0)
    gate = Gated(pg_ledger(engine))
    budget = KeyBudget(policy, gate)  # type: ignore[arg-type]
    order: list[str] = []

    async def call(label: str, priority: Any, attained: int) -> None:
        await budget.acquire(priority, attained, max_wait_s=60)
        order.append(label)

    tasks = []
    for label, priority, attained in callers:
        tasks.append(asyncio.create_task(call(label, priority, attained)))
        await asyncio.sleep(0)  # each one queued before the next arrives
    while budget.waiting < len(callers):
        await asyncio.sleep(0.01)
    gate.open.set()
    await asyncio.gather(*tasks)
    return order


async def test_a_user_is_served_before_background_callers_queued_earlier(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    callers = [(f"bg{i}", "background", 0) for i in range(4)] + [("user", "user", 40)]
    order = await _served_order(engines[0], "priority-test", callers)
    assert order == ["user", "bg0", "bg1", "bg2", "bg3"]


async def test_the_import_with_fewer_requests_so_far_goes_first(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    prolific = [(f"prolific{n}", "user", n) for n in (50, 51, 52)]
    sparse = [(f"sparse{n}", "user", n) for n in (0, 1, 2)]
    order = await _served_order(engines[0], "las-test", prolific + sparse)
    assert order == ["sparse0", "sparse1", "sparse2", "prolific50", "prolific51", "prolific52"]


# ------------------------------------------------------------------------- the database is down


async def test_no_request_goes_upstream_while_the_budget_database_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead = make_engine("postgresql+asyncpg://nobody:nothing@127.0.0.1:1/none", pool_size=1)
    asked: list[str] = []
    client, http = _spotify(lambda r: asked.append(r.url.path) or httpx.Response(200, json={}))
    dead_ledger = PgLedger(lambda: dead)
    client.api._budget = KeyBudget(spotify_policy(Settings()), dead_ledger)
    client.api.wait_cap_s = 2.5
    try:
        for _ in range(3):
            with pytest.raises(Exception, match="cannot be reached") as failed:
                await client.track("t1")
            assert getattr(failed.value, "retryable", False)
    finally:
        await http.aclose()
        await dead_ledger.aclose()
        await dead.dispose()
    assert asked == []
    lines = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(lines) == 1  # one line for the outage, not one per request
