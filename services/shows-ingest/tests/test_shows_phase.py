"""The shows phase end to end: real Kafka, real PostgreSQL, the simulator process as Ticketmaster."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from sqlalchemy import text

from mysetlist_common.db.session import get_engine, session_factory
from mysetlist_common.messaging.events import (
    ImportRequested,
    ImportRequestedEvent,
    Phase,
    progress_event_adapter,
)
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED, topic
from mysetlist_common.phases.slugs import slugify
from mysetlist_common.settings import get_settings
from mysetlist_common.upstream.budget.registry import forget_budgets
from mysetlist_devtools.testing import lifespan_of
from mysetlist_simulator.testing import pick

pytestmark = pytest.mark.real


QUOTA_DAY_S = 6.0  # the simulator's quota period in the quota test


@dataclass
class Outcome:
    type: str  # PhaseCompleted | PhaseFailed
    payload: dict[str, Any]
    progress: list[dict[str, Any]] = field(default_factory=list)
    import_id: UUID | None = None

    @property
    def counts(self) -> dict[str, int]:
        return self.payload.get("counts", {})


class Driver:
    """Publishes ImportRequested like the gateway's relay would and waits for the shows phase's outcome."""

    def __init__(self, simulator_url: str) -> None:
        self.sim = httpx.AsyncClient(base_url=simulator_url, timeout=30)
        self.broker = make_broker("shows-ingest-test")
        self.events: dict[UUID, list[dict[str, Any]]] = {}
        self.arrived = asyncio.Condition()
        self.sessions = session_factory()

    async def artists(self) -> list[dict[str, Any]]:
        return (await self.sim.get("/_sim/artists")).raise_for_status().json()

    async def truth(self, tm_attraction_id: str) -> dict[str, Any]:
        return (await self.sim.get(f"/_sim/truth/{tm_attraction_id}")).raise_for_status().json()

    async def artist_id(self, tm_attraction_id: str) -> UUID:
        """The shell row the gateway creates (slug tm-<id>, name = id), or the existing one."""
        async with self.sessions.begin() as session:
            await session.execute(
                text(
                    "INSERT INTO artist (name, slug, tm_attraction_id) VALUES (:name, :slug, :tm)"
                    " ON CONFLICT (tm_attraction_id) DO NOTHING"
                ),
                {"name": tm_attraction_id, "slug": f"tm-{tm_attraction_id.lower()}", "tm": tm_attraction_id},
            )
            return await session.scalar(
                text("SELECT id FROM artist WHERE tm_attraction_id = :tm"), {"tm": tm_attraction_id}
            )

    async def run_import(self, tm_attraction_id: str) -> Outcome:
        requested = ImportRequestedEvent(
            import_id=uuid4(),
            artist_id=await self.artist_id(tm_attraction_id),
            payload=ImportRequested(tm_attraction_id=tm_attraction_id),
        )
        await self.broker.publish(
            requested.model_dump(mode="json"), topic(IMPORTS_REQUESTED), key=requested.key
        )
        async with asyncio.timeout(240), self.arrived:
            while True:
                events = self.events.get(requested.import_id, [])
                final = [e for e in events if e["type"] in ("PhaseCompleted", "PhaseFailed")]
                if final:
                    progress = [e["payload"] for e in events if e["type"] == "PhaseProgress"]
                    return Outcome(final[0]["type"], final[0]["payload"], progress, requested.import_id)
                await self.arrived.wait()

    async def listen(self, consumer: AIOKafkaConsumer) -> None:
        async for message in consumer:
            event = progress_event_adapter.validate_json(message.value).model_dump(mode="json")
            if event["payload"].get("phase") != Phase.SHOWS:
                continue
            async with self.arrived:
                self.events.setdefault(UUID(event["import_id"]), []).append(event)
                self.arrived.notify_all()


async def _ensure_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for name in names:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(name, num_partitions=8, replication_factor=1)])
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def shows(stack_env: dict[str, str], simulator_url: str) -> AsyncIterator[Driver]:
    """The service (broker and consumer running via its app lifespan) plus a driver for imports."""
    with pytest.MonkeyPatch.context() as mp:
        # the simulator's timeout fault holds a request for seconds; time out long before that
        mp.setenv("HTTP_TIMEOUT_S", "1.5")
        get_settings.cache_clear()
        get_engine.cache_clear()
        from mysetlist_shows_ingest.app import create_app

        bootstrap = get_settings().kafka_bootstrap_servers
        await _ensure_topics(bootstrap, [topic(IMPORTS_REQUESTED), topic(IMPORTS_PROGRESS)])
        driver = Driver(simulator_url)
        consumer = AIOKafkaConsumer(
            topic(IMPORTS_PROGRESS), bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        listener = asyncio.create_task(driver.listen(consumer))
        await driver.broker.start()
        try:
            async with lifespan_of(create_app()):
                yield driver
        finally:
            listener.cancel()
            await consumer.stop()
            await driver.broker.stop()
            await driver.sim.aclose()
        get_settings.cache_clear()


async def stored(driver: Driver, tm_attraction_id: str) -> tuple[set[str], set[str]]:
    async with driver.sessions() as session:
        shows = await session.scalars(
            text(
                "SELECT s.tm_event_id FROM show s JOIN show_artist l ON l.show_id = s.id"
                " JOIN artist a ON a.id = l.artist_id WHERE a.tm_attraction_id = :t"
            ),
            {"t": tm_attraction_id},
        )
        venues = await session.scalars(
            text(
                "SELECT DISTINCT v.tm_venue_id FROM venue v JOIN show s ON s.venue_id = v.id"
                " JOIN show_artist l ON l.show_id = s.id JOIN artist a ON a.id = l.artist_id"
                " WHERE a.tm_attraction_id = :t"
            ),
            {"t": tm_attraction_id},
        )
        return set(shows), set(venues)


async def versions(driver: Driver) -> dict[str, str]:
    async with driver.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT 'show:' || tm_event_id, xmin::text || updated_at::text FROM show"
                " UNION ALL SELECT 'venue:' || tm_venue_id, xmin::text || updated_at::text FROM venue"
                " UNION ALL SELECT 'link:' || show_id || ':' || artist_id, xmin::text FROM show_artist"
            )
        )
        return dict(rows.all())


async def sim_stats(driver: Driver) -> dict[str, Any]:
    return (await driver.sim.get("/_sim/stats")).raise_for_status().json()["ticketmaster"]


async def assert_matches_truth(driver: Driver, artist: dict[str, Any]) -> None:
    truth = await driver.truth(artist["tm_attraction_id"])
    shows, venues = await stored(driver, artist["tm_attraction_id"])
    assert shows == set(truth["shows"]), artist["profile"]
    assert venues == set(truth["venues"]), artist["profile"]


@dataclass
class FirstImports:
    artists: list[dict[str, Any]]
    outcomes: list[Outcome]
    stats: dict[str, Any]  # the simulator's Ticketmaster figures for these imports alone


@pytest.fixture(scope="module")
async def imported(shows: Driver) -> FirstImports:
    """Every profile imported once, all at once (concurrent imports share one rate budget).

    Module-scoped so each test that needs imported artists gets them whatever ran before it.
    """
    artists = await shows.artists()
    await shows.sim.post("/_sim/stats/reset")
    outcomes = await asyncio.gather(*(shows.run_import(a["tm_attraction_id"]) for a in artists))
    return FirstImports(artists, list(outcomes), await sim_stats(shows))


async def test_every_profile_stores_exactly_the_truth(shows: Driver, imported: FirstImports) -> None:
    artists, outcomes = imported.artists, imported.outcomes
    assert {"sparse", "mid", "prolific"} <= {a["profile"] for a in artists}
    for artist, outcome in zip(artists, outcomes, strict=True):
        assert outcome.type == "PhaseCompleted", outcome.payload
        truth = await shows.truth(artist["tm_attraction_id"])
        assert outcome.counts["shows_stored"] == len(truth["shows"])
        assert outcome.counts["venues_stored"] == len(truth["venues"])
        assert outcome.counts["requests"] >= 2 and outcome.counts["rate_limited"] == 0
        await assert_matches_truth(shows, artist)
        if truth["shows"]:
            assert outcome.progress, "a progress event per page"
    assert imported.stats["rate_limited"] == 0, "our pacing caused a 429"
    prolific = next(o for a, o in zip(artists, outcomes, strict=True) if a["profile"] == "prolific")
    assert prolific.counts["events_seen"] > 1000  # beyond the deep-paging limit


async def test_identity_is_stored_with_a_readable_slug(shows: Driver, imported: FirstImports) -> None:
    artists = imported.artists
    async with shows.sessions() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT tm_attraction_id, name, slug, spotify_id, mbid, identity_synced_at,"
                    " shows_synced_at FROM artist"
                )
            )
        ).all()
        aliases = set(await session.scalars(text("SELECT slug FROM artist_slug_alias")))
    by_id = {r.tm_attraction_id: r for r in rows}
    for artist in artists:
        row = by_id[artist["tm_attraction_id"]]
        assert row.name == artist["name"]
        assert row.spotify_id == artist["spotify_id"] and row.mbid == artist["mbid"]
        assert row.identity_synced_at is not None and row.shows_synced_at is not None
        assert row.slug.isascii() and row.slug.startswith(slugify(artist["name"]))
        assert f"tm-{artist['tm_attraction_id'].lower()}" in aliases  # the shell's slug keeps resolving
    assert len({r.slug for r in rows}) == len(rows)


async def test_second_import_changes_no_row(shows: Driver, imported: FirstImports) -> None:
    artists = [a for a in imported.artists if a["profile"] in ("prolific", "mid", "sparse")]
    before = await versions(shows)
    assert before
    outcomes = await asyncio.gather(*(shows.run_import(a["tm_attraction_id"]) for a in artists))
    assert all(o.type == "PhaseCompleted" for o in outcomes)
    assert all(o.counts["shows_changed"] == 0 and o.counts["venues_changed"] == 0 for o in outcomes)
    assert await versions(shows) == before


async def test_injected_faults_give_the_same_result(shows: Driver) -> None:
    artists = [a for a in await shows.artists() if a["profile"] in ("prolific", "mid")]
    tm_attraction_ids = [a["tm_attraction_id"] for a in artists]
    async with shows.sessions.begin() as session:  # start from nothing for these artists
        await session.execute(
            text("DELETE FROM artist WHERE tm_attraction_id = ANY(:ids)"), {"ids": tm_attraction_ids}
        )
    faults = {"500": 0.06, "502": 0.06, "503": 0.06, "timeout": 0.06, "truncated": 0.03, "html": 0.03}
    await shows.sim.post("/_sim/config", json={"fault_rates": faults, "timeout_fault_s": 5})
    await shows.sim.post("/_sim/stats/reset")
    try:
        outcomes = await asyncio.gather(*(shows.run_import(t) for t in tm_attraction_ids))
        stats = await sim_stats(shows)
    finally:
        await shows.sim.post("/_sim/config", json={"fault_rates": dict.fromkeys(faults, 0)})
    for artist, outcome in zip(artists, outcomes, strict=True):
        assert outcome.type == "PhaseCompleted", outcome.payload
        await assert_matches_truth(shows, artist)
    assert stats["faults"] > 0, "the simulator injected nothing: the test proves nothing"
    assert stats["rate_limited"] == 0, "our pacing (retries included) caused a 429"


async def test_pages_smaller_than_asked_for_still_bring_every_show(shows: Driver) -> None:
    """Regression: with Ticketmaster serving 20 events a page instead of the 200 asked for, the phase
    counted pages of 200 and completed with 40 of a mid artist's 250 shows."""
    artist = next(a for a in await shows.artists() if a["profile"] == "mid")
    await forget(shows, [artist["tm_attraction_id"]])
    await shows.sim.post("/_sim/config", json={"ticketmaster_max_page_size": 20})
    try:
        outcome = await shows.run_import(artist["tm_attraction_id"])
    finally:
        await shows.sim.post("/_sim/config", json={"ticketmaster_max_page_size": 200})
    assert outcome.type == "PhaseCompleted", outcome.payload
    await assert_matches_truth(shows, artist)


async def test_an_exhausted_daily_quota_parks_the_phase_until_the_reset(
    shows: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quota is a wait, not a failure: the phase waits (durably) for the reset, then completes."""
    # the running service's settings: it parks (rather than waits) beyond a third of the short "day"
    monkeypatch.setattr(get_settings(), "phase_wait_cap_s", QUOTA_DAY_S / 3)
    artist = next(a for a in await shows.artists() if a["profile"] == "sparse")
    config = (await shows.sim.get("/_sim/config")).json()
    # one call per "day" of QUOTA_DAY_S: the attraction passes, the events page finds the quota used up
    short_day = {"rate_limits": {"ticketmaster_daily": 1}, "ticketmaster_quota_period_s": QUOTA_DAY_S}
    await shows.sim.post("/_sim/config", json=short_day)
    try:
        outcome = await shows.run_import(artist["tm_attraction_id"])
    finally:
        restore = {k: config[k] for k in ("rate_limits", "ticketmaster_quota_period_s")}
        await shows.sim.post("/_sim/config", json=restore)
        await forget_budgets()  # the key was paused until the quota's reset; the simulator restored it
    assert outcome.type == "PhaseCompleted", outcome.payload
    waits = [e["payload"] for e in shows.events[outcome.import_id] if e["type"] == "PhaseWaiting"]
    assert waits and all(w["waiting_for"] == "ticketmaster" and w["resume_at"] for w in waits)
    await assert_matches_truth(shows, artist)


async def forget(driver: Driver, tm_attraction_ids: list[str]) -> None:
    """Start from nothing for these artists: they, and the shows their imports stored first, are gone."""
    async with driver.sessions.begin() as session:
        await session.execute(
            text("DELETE FROM artist WHERE tm_attraction_id = ANY(:ids)"), {"ids": tm_attraction_ids}
        )


async def test_a_support_act_imported_after_its_headliner_gets_exactly_its_shows(shows: Driver) -> None:
    headliner = pick(await shows.artists(), "mid")
    support = {"tm_attraction_id": headliner["support_acts"][0], "profile": "support act"}
    await forget(shows, [support["tm_attraction_id"]])
    assert (await shows.run_import(headliner["tm_attraction_id"])).type == "PhaseCompleted"
    outcome = await shows.run_import(support["tm_attraction_id"])
    assert outcome.type == "PhaseCompleted", outcome.payload
    truth = await shows.truth(support["tm_attraction_id"])
    assert outcome.counts["shows_stored"] == outcome.counts["shows_linked"] == len(truth["shows"])
    await assert_matches_truth(shows, support)
    await assert_matches_truth(shows, headliner)  # its shared shows stay its own

    before = await versions(shows)
    for artist in (headliner, support):  # a re-import writes no show and no link
        again = await shows.run_import(artist["tm_attraction_id"])
        assert again.type == "PhaseCompleted"
        assert again.counts["shows_changed"] == again.counts["shows_linked"] == 0
        assert again.counts["shows_removed"] == 0
    assert await versions(shows) == before


async def test_a_support_act_imported_before_its_headliner_leaves_it_every_show(shows: Driver) -> None:
    headliner = pick(await shows.artists(), "sparse", spotify_id=None)
    support = {"tm_attraction_id": headliner["support_acts"][-1], "profile": "support act"}
    await forget(shows, [headliner["tm_attraction_id"], support["tm_attraction_id"]])
    shared = set((await shows.truth(headliner["tm_attraction_id"]))["shows"]) & set(
        (await shows.truth(support["tm_attraction_id"]))["shows"]
    )
    assert shared, "the two share events"
    for artist in (support, headliner):
        outcome = await shows.run_import(artist["tm_attraction_id"])
        assert outcome.type == "PhaseCompleted", outcome.payload
    await assert_matches_truth(shows, support)
    await assert_matches_truth(shows, headliner)
