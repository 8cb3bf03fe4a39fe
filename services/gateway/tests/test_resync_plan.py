"""The resync planner against a real PostgreSQL: who is due and in which order, what each costs, and that
the plan never spends more than its share of the day's Ticketmaster quota (the rest waits for tomorrow)."""

import time
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from mysetlist_common.settings import Settings
from mysetlist_gateway.resync_planner import Quota, plan

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

HOUR = 3600
# name: (hours since synced (None: never completed), last import state, upcoming shows, past shows)
ARTISTS = {
    "Fresh": (1, "completed", 3, 0),
    "Stale": (30, "completed", 0, 5),
    "Stale With Shows": (20, "completed", 450, 10),  # 20 h with upcoming shows: staler than 30 h without
    "Broken": (2, "failed", 1, 0),
    "Never": (None, "failed", 0, 0),
    "Busy": (40, "running", 0, 0),
}


@pytest.fixture(scope="module")
async def sessions(stack_env: dict[str, str]) -> async_sessionmaker[AsyncSession]:
    engine = create_async_engine(stack_env["DATABASE_URL"])
    makers = async_sessionmaker(engine, expire_on_commit=False)
    async with makers.begin() as session:
        for index, (name, (hours, state, upcoming, past)) in enumerate(ARTISTS.items()):
            artist = uuid4()
            await session.execute(
                text(
                    "INSERT INTO artist (id, name, slug, tm_attraction_id, shows_synced_at, "
                    "catalog_synced_at) VALUES (:id, :name, :slug, :tm, "
                    "now() - make_interval(hours => :ago), now() - make_interval(hours => :ago))"
                ),
                {"id": artist, "name": name, "slug": name.lower().replace(" ", "-"), "tm": f"K8PLAN{index}",
                 "ago": hours},
            )  # fmt: skip
            await session.execute(
                text("INSERT INTO import_run (artist_id, reason, state, error) VALUES (:a, 'user', :s, :e)"),
                {"a": artist, "s": state, "e": "Ticketmaster answered 503" if state == "failed" else None},
            )
            for number in range(upcoming + past):
                days = 10 + number if number < upcoming else -10 - number
                await _show(session, artist, f"EPLAN{index}x{number}", days)
    return makers


async def _show(session: AsyncSession, artist: UUID, event_id: str, days: int) -> None:
    await session.execute(
        text(
            "WITH s AS (INSERT INTO show (tm_event_id, artist_id, name, starts_at, status) "
            "VALUES (:e, :a, 'a show', now() + make_interval(days => :d), 'onsale') RETURNING id) "
            "INSERT INTO show_artist (show_id, artist_id) SELECT id, :a FROM s"
        ),
        {"e": event_id, "a": artist, "d": days},
    )


def settings(**values: object) -> Settings:
    return Settings(resync_min_age_s=6 * HOUR, **values)  # type: ignore[arg-type]


async def test_due_artists_in_order_with_their_costs(sessions: async_sessionmaker[AsyncSession]) -> None:
    quota = Quota(5000, 4000, time.time() + 12 * HOUR, "test")
    async with sessions() as session:
        result = await plan(session, settings(), quota)
    names = [p.name for p in result.chosen]
    # failures first (the never-completed one too), then the stalest; fresh and running ones wait
    assert names == ["Never", "Broken", "Stale With Shows", "Stale"]
    assert not result.deferred
    costs = {p.name: (p.ticketmaster_requests, p.mode) for p in result.chosen}
    assert costs["Stale"] == (2, "incremental")  # the attraction and one page of upcoming events
    assert costs["Stale With Shows"] == (4, "incremental")  # 451 upcoming: three pages of 200
    assert costs["Never"][1] == "full"
    assert "failed (Ticketmaster answered 503)" in result.chosen[1].why
    assert "450 upcoming shows" in result.chosen[2].why
    assert result.allowance == 3000  # 60 % of 5000, nothing spent by resyncs today


async def test_the_plan_fits_the_quota_share_and_leaves_the_rest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        small = await plan(session, settings(), Quota(10, 10, time.time() + HOUR, "test"))
        nearly_out = await plan(session, settings(), Quota(50, 3, time.time() + HOUR, "test"))
        limited = await plan(session, settings(), Quota(5000, 5000, time.time() + HOUR, "test"), limit=1)
        unknown = await plan(session, settings(), None)
    assert small.allowance == 6
    assert sum(p.ticketmaster_requests for p in small.chosen) <= 6
    assert small.deferred, "what does not fit waits for tomorrow"
    assert nearly_out.allowance == 3  # never more than what is left of the day, whatever the share
    assert sum(p.ticketmaster_requests for p in nearly_out.chosen) <= 3
    assert len(limited.chosen) == 1 and len(limited.deferred) == 3
    assert not unknown.chosen, "no quota known: nothing is spent blind"


async def test_one_artist_on_request_even_if_fresh(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        artist = await session.scalar(text("SELECT id FROM artist WHERE name = 'Fresh'"))
        result = await plan(session, settings(), Quota(5000, 5000, time.time() + HOUR, "test"), artist=artist)
        full = await plan(
            session, settings(), Quota(5000, 5000, time.time() + HOUR, "test"), artist=artist, mode="full"
        )
    assert [p.name for p in result.chosen] == ["Fresh"]
    assert full.chosen[0].mode == "full"
