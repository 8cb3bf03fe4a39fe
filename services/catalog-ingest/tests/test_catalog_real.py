"""The catalog phase for real: simulator process, real Kafka, real PostgreSQL, the service's own app.

For every profile and both Spotify app modes the stored songs must be exactly the simulator's ground
truth (one id of every studio recording, nothing else), a second import must rewrite no row, and missing
optional upstreams (audio features, MusicBrainz) must not fail the phase.
"""

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker
from sqlalchemy import text

from mysetlist_catalog_ingest.phase import MUSICBRAINZ_ATTEMPTS
from mysetlist_common.db.session import session_factory
from mysetlist_common.messaging.events import (
    ImportRequested,
    ImportRequestedEvent,
    Phase,
    PhaseCompletedEvent,
    PhaseFailedEvent,
    PhaseWaitingEvent,
    progress_event_adapter,
)
from mysetlist_common.messaging.kafka import make_broker
from mysetlist_common.messaging.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED, topic
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter, PhaseResult
from mysetlist_common.upstream.musicbrainz import forget_cached
from mysetlist_common.upstream.spotify.client import PROCESS
from mysetlist_devtools.testing import running_app
from mysetlist_devtools.truth import catalog_problems as check_against_truth

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

MODES = ("development", "extended")


# Driving the phase the way production does: an ImportRequested goes to the real broker, the service runs
# as its app (uvicorn, lifespan, consumer), and the PhaseCompleted or PhaseFailed is read back.

PhaseEnd = PhaseCompletedEvent | PhaseFailedEvent


@dataclass
class SimArtist:
    tm_attraction_id: str
    spotify_id: str | None
    mbid: str | None
    name: str
    profile: str


class Simulator:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)

    async def artists(self) -> list[SimArtist]:
        body = (await self.http.get("/_sim/artists")).raise_for_status().json()
        rows = body["artists"] if isinstance(body, dict) else body
        return [SimArtist(**{k: a.get(k) for k in SimArtist.__dataclass_fields__}) for a in rows]

    async def truth(self, tm_attraction_id: str) -> list[list[str]]:
        response = await self.http.get(f"/_sim/truth/{tm_attraction_id}")
        return response.raise_for_status().json()["recordings"]

    async def config(self, **partial: Any) -> dict[str, Any]:
        return (await self.http.post("/_sim/config", json=partial)).raise_for_status().json()

    async def stats(self) -> dict[str, Any]:
        return (await self.http.get("/_sim/stats")).raise_for_status().json()

    async def reset_stats(self) -> None:
        (await self.http.post("/_sim/stats/reset")).raise_for_status()

    async def aclose(self) -> None:
        await self.http.aclose()


class CatalogService:
    """The catalog-ingest app (broker + consumer) running in this process, plus a client broker."""

    def __init__(self, client: KafkaBroker) -> None:
        self.client = client
        self.sessions = session_factory()
        self._ends: dict[UUID, asyncio.Future[PhaseEnd]] = {}
        self.waits: dict[UUID, list[PhaseWaitingEvent]] = {}  # the phase parked (rate limit, MusicBrainz)
        self._waited = asyncio.Event()
        self.app: Any = None
        self.url = ""

    def on_progress(self, body: Any) -> None:
        # FastStream hands over JSON bodies already decoded; raw bytes when published as bytes.
        if isinstance(body, bytes | str):
            event = progress_event_adapter.validate_json(body)
        else:
            event = progress_event_adapter.validate_python(body)
        if isinstance(event, PhaseWaitingEvent) and event.payload.phase is Phase.CATALOG:
            self.waits.setdefault(event.import_id, []).append(event)
            self._waited.set()
        if isinstance(event, PhaseCompletedEvent | PhaseFailedEvent) and event.payload.phase is Phase.CATALOG:
            future = self._ends.get(event.import_id)
            if future is not None and not future.done():
                future.set_result(event)

    async def add_artist(
        self, artist: SimArtist, *, with_ids: bool = True, identity_synced: bool = True
    ) -> UUID:
        """The artist row as the gateway and the shows phase would have left it."""
        slug = re.sub(r"[^a-z0-9]+", "-", f"{artist.name}-{artist.tm_attraction_id}".lower()).strip("-")
        async with self.sessions.begin() as session:
            row = await session.execute(
                text(
                    """
                    INSERT INTO artist (name, slug, tm_attraction_id, spotify_id, mbid, identity_synced_at)
                    VALUES (:name, :slug, :tm, :sp, :mbid, CASE WHEN :synced THEN now() END)
                    ON CONFLICT (tm_attraction_id) DO UPDATE SET name = excluded.name
                    RETURNING id
                    """
                ),
                {
                    "name": artist.name,
                    "slug": slug[:200],
                    "tm": artist.tm_attraction_id,
                    "sp": artist.spotify_id if with_ids else None,
                    "mbid": artist.mbid if with_ids else None,
                    "synced": identity_synced,
                },
            )
            return row.scalar_one()

    async def run_import(
        self, artist_id: UUID, timeout_s: float = 120.0, tm_attraction_id: str = "-"
    ) -> PhaseEnd:
        event = ImportRequestedEvent(
            import_id=uuid4(), artist_id=artist_id, payload=ImportRequested(tm_attraction_id=tm_attraction_id)
        )
        future: asyncio.Future[PhaseEnd] = asyncio.get_running_loop().create_future()
        self._ends[event.import_id] = future
        await self.client.publish(event.model_dump(mode="json"), topic(IMPORTS_REQUESTED), key=event.key)
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._ends.pop(event.import_id, None)

    async def wait_for(self, upstream: str) -> PhaseWaitingEvent:
        """The first time a phase parked waiting for `upstream` (it may wait for others too)."""
        async with asyncio.timeout(300):
            while True:
                seen = [w for waits in self.waits.values() for w in waits]
                found = [w for w in seen if w.payload.waiting_for == upstream]
                if found:
                    return found[0]
                self._waited.clear()
                await self._waited.wait()

    async def stored_ids(self, artist_id: UUID) -> list[str]:
        async with self.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT s.spotify_id FROM song s JOIN artist_song l ON l.song_id = s.id"
                    " WHERE l.artist_id = :a ORDER BY 1"
                ),
                {"a": artist_id},
            )
            return list(rows.scalars())

    async def row_versions(self, artist_id: UUID) -> dict[str, list[tuple[str, str]]]:
        """xmin of every catalog row of the artist: unchanged xmin means the row was not rewritten."""
        queries = {
            "song": "SELECT s.spotify_id, s.xmin::text FROM song s JOIN artist_song l ON l.song_id = s.id"
            " WHERE l.artist_id = :a",
            "artist_song": "SELECT song_id::text, xmin::text FROM artist_song WHERE artist_id = :a",
            "catalog_decision": "SELECT spotify_track_id, xmin::text FROM catalog_decision"
            " WHERE artist_id = :a",
        }
        out = {}
        async with self.sessions() as session:
            for name, sql in queries.items():
                rows = await session.execute(text(sql), {"a": artist_id})
                out[name] = sorted((str(r[0]), str(r[1])) for r in rows)
        return out


@asynccontextmanager
async def catalog_service() -> AsyncIterator[CatalogService]:
    """Start the service's app (its lifespan starts its broker and consumer) and a client broker."""
    from mysetlist_catalog_ingest.app import create_app

    PROCESS.reset()  # a fresh process: nothing learnt about the Spotify app yet, nothing cached
    forget_cached()
    client = make_broker(f"catalog-test-{uuid4().hex[:6]}")
    service = CatalogService(client)
    client.subscriber(
        topic(IMPORTS_PROGRESS), group_id=f"catalog-test-{uuid4().hex[:8]}", auto_offset_reset="earliest"
    )(service.on_progress)
    await client.start()
    try:
        app = create_app()
        service.app = app
        async with running_app(app) as url:
            service.url = url
            yield service
    finally:
        await client.stop()


@pytest.fixture(scope="module")
def env(stack_env: dict[str, str], simulator_url: str) -> Iterator[dict[str, str]]:
    from mysetlist_common.db.session import get_engine
    from mysetlist_common.settings import get_settings

    extra = {
        "CATALOG_ISRC_BACKFILL_PER_S": "0",  # tested on its own: here it would rewrite rows between imports
        "CATALOG_IDENTITY_WAIT_S": "5",
        "SPOTIFY_MODE": "auto",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in extra.items():
            mp.setenv(key, value)
        get_settings.cache_clear()
        get_engine.cache_clear()
        yield stack_env | extra
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sim(simulator_url: str) -> AsyncIterator[Simulator]:
    simulator = Simulator(simulator_url)
    await simulator.config(audio_features_grandfathered=False, unreliable_paging=True)
    yield simulator
    await simulator.config(spotify_mode="development", unreliable_paging=False)
    await simulator.aclose()


async def by_profile(sim: Simulator) -> dict[str, SimArtist]:
    """One artist with a Spotify link per profile."""
    chosen: dict[str, SimArtist] = {}
    for artist in await sim.artists():
        if artist.spotify_id and artist.profile not in chosen:
            chosen[artist.profile] = artist
    assert {"sparse", "mid", "prolific"} <= set(chosen), chosen
    return chosen


async def import_ok(service: CatalogService, artist_id: UUID) -> PhaseCompletedEvent:
    end = await service.run_import(artist_id)
    assert isinstance(end, PhaseCompletedEvent), end
    return end


@asynccontextmanager
async def imported(
    sim: Simulator, profile: str
) -> AsyncIterator[tuple[CatalogService, SimArtist, UUID, PhaseCompletedEvent]]:
    """A running service that has just imported the profile's artist in Development mode."""
    await sim.config(spotify_mode="development")
    artist = (await by_profile(sim))[profile]
    async with catalog_service() as service:
        artist_id = await service.add_artist(artist)
        yield service, artist, artist_id, await import_ok(service, artist_id)


@pytest.mark.parametrize("mode", MODES)
async def test_every_profile_matches_the_truth_and_a_reimport_changes_nothing(
    env: dict[str, str], sim: Simulator, mode: str
) -> None:
    await sim.config(spotify_mode=mode)
    artists = await by_profile(sim)
    async with catalog_service() as service:
        for profile, artist in sorted(artists.items()):
            artist_id = await service.add_artist(artist)
            first = await import_ok(service, artist_id)
            truth = await sim.truth(artist.tm_attraction_id)
            stored = await service.stored_ids(artist_id)
            assert check_against_truth(stored, truth) == [], (profile, mode)
            assert first.payload.counts["songs"] == len(truth)

            before = await service.row_versions(artist_id)
            second = await import_ok(service, artist_id)
            assert await service.row_versions(artist_id) == before, f"{profile}: a re-import rewrote rows"
            assert second.payload.counts["songs_written"] == 0
        assert service.app.state.phase is not None


async def test_every_fetched_track_has_a_decision_and_no_live_recording_is_stored(
    env: dict[str, str], sim: Simulator
) -> None:
    async with imported(sim, "prolific") as (service, _, artist_id, end), service.sessions() as session:
        rows = await session.execute(
            text("SELECT decision, count(*) FROM catalog_decision WHERE artist_id = :a GROUP BY 1"),
            {"a": artist_id},
        )
        decisions: dict[str, int] = {str(r[0]): int(r[1]) for r in rows}
        orphan_dups = await session.scalar(
            text(
                "SELECT count(*) FROM catalog_decision d"
                " WHERE d.artist_id = :a AND d.decision = 'duplicate'"
                " AND NOT EXISTS (SELECT 1 FROM catalog_decision k WHERE k.artist_id = d.artist_id"
                " AND k.spotify_track_id = d.duplicate_of AND k.decision = 'kept')"
            ),
            {"a": artist_id},
        )
        live_stored = await session.scalar(
            text(
                "SELECT count(*) FROM song s JOIN catalog_decision d ON d.spotify_track_id = s.spotify_id"
                " WHERE d.artist_id = :a AND d.decision = 'live'"
            ),
            {"a": artist_id},
        )
    assert sum(decisions.values()) == end.payload.counts["tracks_fetched"]
    assert decisions["live"] > 0 and decisions["duplicate"] > 0 and decisions["not_credited"] > 0
    assert decisions["kept"] == end.payload.counts["songs"]
    assert orphan_dups == 0 and live_stored == 0


async def test_audio_features_403_does_not_fail_the_phase_and_grandfathered_apps_use_them(
    env: dict[str, str], sim: Simulator
) -> None:
    artist = (await by_profile(sim))["mid"]
    truth = await sim.truth(artist.tm_attraction_id)

    async def feature_calls() -> dict[str, int]:
        stats = (await sim.stats())["spotify"]
        return {"calls": stats["endpoints"].get("audio_features", 0), "403": stats["status"].get("403", 0)}

    await sim.config(spotify_mode="extended", audio_features_grandfathered=False)
    async with catalog_service() as service:
        artist_id = await service.add_artist(artist)
        await sim.reset_stats()
        await import_ok(service, artist_id)
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []
        assert await feature_calls() == {"calls": 1, "403": 1}
        await import_ok(service, artist_id)
        assert (await feature_calls())["calls"] == 1  # switched off for the process: never asked again

    await sim.config(audio_features_grandfathered=True)
    try:
        async with catalog_service() as service:
            await sim.reset_stats()
            await import_ok(service, artist_id)
            assert check_against_truth(await service.stored_ids(artist_id), truth) == []
            used = await feature_calls()
            assert used["calls"] >= 1 and used["403"] == 0
    finally:
        await sim.config(audio_features_grandfathered=False)


async def test_musicbrainz_503_does_not_fail_the_phase_and_the_decisions_say_so(
    env: dict[str, str], sim: Simulator
) -> None:
    artist = (await by_profile(sim))["sparse"]
    await sim.config(spotify_mode="development", rate_limits={"musicbrainz_per_s": 0.01})
    try:
        # Spend the simulator's MusicBrainz allowance: the service's request gets the real 503.
        await sim.http.get(
            "/ws/2/release-group",
            params={"query": "arid:x", "fmt": "json"},
            headers={"User-Agent": "catalog-test/1 ( test@example.org )"},
        )
        async with catalog_service() as service:
            artist_id = await service.add_artist(artist)
            end = await import_ok(service, artist_id)
            assert "MusicBrainz" in end.payload.message
            async with service.sessions() as session:
                reasons = list(
                    (
                        await session.execute(
                            text(
                                "SELECT reason FROM catalog_decision"
                                " WHERE artist_id = :a AND decision = 'kept'"
                            ),
                            {"a": artist_id},
                        )
                    ).scalars()
                )
            assert reasons and all("MusicBrainz unavailable" in r for r in reasons)
    finally:
        await sim.config(rate_limits={"musicbrainz_per_s": 1.0})


async def test_identity_recorded_by_the_shows_phase_later_is_waited_for(
    env: dict[str, str], sim: Simulator
) -> None:
    await sim.config(spotify_mode="development")
    used = {a.tm_attraction_id for a in (await by_profile(sim)).values()}
    artist = next(a for a in await sim.artists() if a.spotify_id and a.tm_attraction_id not in used)
    async with catalog_service() as service:
        artist_id = await service.add_artist(artist, with_ids=False, identity_synced=False)

        async def shows_phase_records_identity() -> None:
            await asyncio.sleep(1.0)
            async with service.sessions.begin() as session:
                await session.execute(
                    text(
                        "UPDATE artist SET spotify_id = :sp, mbid = :mbid, identity_synced_at = now()"
                        " WHERE id = :a"
                    ),
                    {"sp": artist.spotify_id, "mbid": artist.mbid, "a": artist_id},
                )

        later = asyncio.create_task(shows_phase_records_identity())
        end = await import_ok(service, artist_id)
        await later
        truth = await sim.truth(artist.tm_attraction_id)
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []
        assert end.payload.counts["songs"] == len(truth)


async def test_without_the_shows_phase_the_catalog_phase_fetches_the_identity_itself(
    env: dict[str, str], sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: with shows-ingest down, the phase searched Spotify for the placeholder name (the
    Ticketmaster id), found nothing and completed "skipped" with no songs."""
    from mysetlist_common.settings import get_settings

    await sim.config(spotify_mode="extended")
    monkeypatch.setenv("CATALOG_IDENTITY_WAIT_S", "0.2")
    get_settings.cache_clear()
    artist = (await by_profile(sim))["mid"]
    shell = replace(artist, name=artist.tm_attraction_id)  # what the gateway's kickoff leaves
    try:
        async with catalog_service() as service:
            async with service.sessions.begin() as session:  # a first import: nothing known about the artist
                await session.execute(
                    text("DELETE FROM artist WHERE tm_attraction_id = :t"), {"t": artist.tm_attraction_id}
                )
            artist_id = await service.add_artist(shell, with_ids=False, identity_synced=False)
            end = await service.run_import(artist_id, tm_attraction_id=artist.tm_attraction_id)
    finally:
        monkeypatch.delenv("CATALOG_IDENTITY_WAIT_S")
        get_settings.cache_clear()
    assert isinstance(end, PhaseCompletedEvent), end
    truth = await sim.truth(artist.tm_attraction_id)
    assert end.payload.counts["skipped"] == 0 and end.payload.counts["songs"] == len(truth) > 0
    assert check_against_truth(await service.stored_ids(artist_id), truth) == []
    async with service.sessions() as session:
        name = await session.scalar(text("SELECT name FROM artist WHERE id = :a"), {"a": artist_id})
    assert name == artist.name


async def test_without_a_spotify_link_search_by_exact_name_or_skip(
    env: dict[str, str], sim: Simulator
) -> None:
    await sim.config(spotify_mode="development")
    unlinked = [a for a in await sim.artists() if not a.spotify_id]
    assert unlinked, "the simulator has an artist without a Spotify link"
    async with catalog_service() as service:
        for artist in unlinked:
            artist_id = await service.add_artist(artist, with_ids=False)
            end = await import_ok(service, artist_id)
            truth = await sim.truth(artist.tm_attraction_id)
            assert check_against_truth(await service.stored_ids(artist_id), truth) == []
            assert end.payload.counts["skipped"] == (0 if truth else 1)

        nobody = SimArtist("tm-nobody-here", None, None, "Nobody By This Name Zq", "none")
        nobody_id = await service.add_artist(nobody, with_ids=False)
        end = await import_ok(service, nobody_id)
        assert end.payload.counts["skipped"] == 1 and end.payload.counts["songs"] == 0
        assert await service.stored_ids(nobody_id) == []


async def test_backfill_fills_missing_isrcs_after_a_development_import_and_never_asks_twice(
    env: dict[str, str], sim: Simulator
) -> None:
    from mysetlist_catalog_ingest.backfill import IsrcBackfill
    from mysetlist_common.settings import get_settings

    await sim.config(spotify_mode="development")
    taken = {a.tm_attraction_id for a in (await by_profile(sim)).values()}
    artist = [a for a in await sim.artists() if a.spotify_id and a.tm_attraction_id not in taken][-1]
    count_sql = text(
        "SELECT count(*) FILTER (WHERE s.isrc IS NULL),"
        " count(*) FILTER (WHERE l.isrc IS DISTINCT FROM s.isrc)"
        " FROM song s JOIN artist_song l ON l.song_id = s.id WHERE l.artist_id = :a"
    )
    async with catalog_service() as service:
        artist_id = await service.add_artist(artist)
        await import_ok(service, artist_id)
        async with service.sessions() as session:
            missing_before, _ = (await session.execute(count_sql, {"a": artist_id})).one()
        assert missing_before > 0, "a Development import leaves ISRCs that decide nothing for later"

        fast = get_settings().model_copy(update={"catalog_isrc_backfill_per_s": 500.0})
        backfill = IsrcBackfill(
            fast, service.sessions, service.app.state.phase.http, service.app.state.phase.activity
        )
        assert await backfill.fill(artist_id) == missing_before
        async with service.sessions() as session:
            missing_after, links_differing = (await session.execute(count_sql, {"a": artist_id})).one()
            unanswered = await session.scalar(
                text(
                    "SELECT count(*) FROM song s JOIN artist_song l ON l.song_id = s.id"
                    " LEFT JOIN track_isrc c ON c.spotify_id = s.spotify_id"
                    " WHERE l.artist_id = :a AND s.isrc IS NULL AND c.spotify_id IS NULL"
                ),
                {"a": artist_id},
            )
        assert missing_after < missing_before and unanswered == 0  # the rest have no ISRC at Spotify
        assert links_differing == 0  # artist_song.isrc follows the song
        assert await backfill.fill(artist_id) == 0  # never asks twice

        before = await service.row_versions(artist_id)
        await import_ok(service, artist_id)
        assert await service.row_versions(artist_id) == before  # the import keeps what the backfill learnt
        truth = await sim.truth(artist.tm_attraction_id)
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []


async def test_songs_no_longer_in_the_catalog_lose_their_link_and_leave_the_song_table(
    env: dict[str, str], sim: Simulator
) -> None:
    async with imported(sim, "sparse") as (service, artist, artist_id, _):
        async with service.sessions() as session:
            live_track = await session.scalar(
                text(
                    "SELECT spotify_track_id FROM catalog_decision WHERE artist_id = :a AND decision = 'live'"
                ),
                {"a": artist_id},
            )
        assert live_track is not None
        # What an older, wrong import could have left: a live recording stored and linked.
        async with service.sessions.begin() as session:
            await session.execute(
                text(
                    "WITH s AS (INSERT INTO song (spotify_id, name) VALUES (:t, 'stale') RETURNING id)"
                    " INSERT INTO artist_song (artist_id, song_id) SELECT :a, id FROM s"
                ),
                {"t": live_track, "a": artist_id},
            )
        end = await import_ok(service, artist_id)
        assert end.payload.counts["links_removed"] == 1
        async with service.sessions() as session:
            left = await session.scalar(
                text("SELECT count(*) FROM song WHERE spotify_id = :t"), {"t": live_track}
            )
        assert left == 0
        truth = await sim.truth(artist.tm_attraction_id)
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []


async def test_a_musicbrainz_that_never_answers_in_time_is_asked_again_then_said(
    env: dict[str, str], sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mysetlist_common.settings import get_settings

    await sim.config(spotify_mode="extended", latency_ms={"musicbrainz": 3000})
    monkeypatch.setenv("MUSICBRAINZ_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    artist = (await by_profile(sim))["sparse"]
    try:
        async with catalog_service() as service:
            artist_id = await service.add_artist(artist)
            end = await import_ok(service, artist_id)
            assert len(service.waits[end.import_id]) == MUSICBRAINZ_ATTEMPTS - 1, "asked again first"
            assert "not verified by MusicBrainz" in end.payload.message  # never quietly
            assert end.payload.counts["unverified_by_musicbrainz"] == end.payload.counts["songs"] > 0
    finally:
        await sim.config(latency_ms={"musicbrainz": 60})
        monkeypatch.delenv("MUSICBRAINZ_TIMEOUT_S")
        get_settings.cache_clear()


async def test_a_musicbrainz_late_once_is_waited_for_and_the_catalog_stays_pure(
    env: dict[str, str], sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: MusicBrainz answering after the timeout (a loaded machine) let live tracks in."""
    from mysetlist_common.settings import get_settings

    await sim.config(spotify_mode="extended", latency_ms={"musicbrainz": 3000})
    monkeypatch.setenv("MUSICBRAINZ_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    artist = (await by_profile(sim))["prolific"]  # its live albums without a live word need MusicBrainz
    try:
        async with catalog_service() as service:
            artist_id = await service.add_artist(artist)
            ending = asyncio.create_task(service.run_import(artist_id))
            await service.wait_for("musicbrainz")
            await sim.config(latency_ms={"musicbrainz": 60})  # MusicBrainz is back
            end = await ending
        assert isinstance(end, PhaseCompletedEvent), end
        assert end.payload.counts["unverified_by_musicbrainz"] == 0
        truth = await sim.truth(artist.tm_attraction_id)
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []
    finally:
        await sim.config(latency_ms={"musicbrainz": 60})
        monkeypatch.delenv("MUSICBRAINZ_TIMEOUT_S")
        get_settings.cache_clear()


async def test_an_artist_without_a_known_spotify_id_is_found_by_its_exact_name(
    env: dict[str, str], sim: Simulator
) -> None:
    await sim.config(spotify_mode="development")
    used = {a.tm_attraction_id for a in (await by_profile(sim)).values()}
    unused = [a for a in await sim.artists() if a.spotify_id and a.tm_attraction_id not in used]
    artist = unused[1]  # the identity and backfill tests take the first and the last
    async with catalog_service() as service:
        # The attraction gave an MBID but no Spotify link.
        artist_id = await service.add_artist(replace(artist, spotify_id=None))
        end = await import_ok(service, artist_id)
        truth = await sim.truth(artist.tm_attraction_id)
        assert end.payload.counts["skipped"] == 0
        assert check_against_truth(await service.stored_ids(artist_id), truth) == []
        async with service.sessions() as session:
            found = await session.scalar(
                text("SELECT spotify_id FROM artist WHERE id = :a"), {"a": artist_id}
            )
        assert found == artist.spotify_id  # remembered for the next import


class Breaking(httpx.AsyncBaseTransport):
    """The real simulator behind a transport that rewrites chosen JSON answers, as a faulty Spotify would.

    `rewrite(request, body)` returns the body to send instead, or None to pass the answer through.
    """

    def __init__(self, rewrite: Callable[[httpx.Request, Any], Any | None]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        if response.status_code != 200 or "json" not in response.headers.get("content-type", ""):
            return httpx.Response(response.status_code, headers=response.headers, content=content)
        changed = self.rewrite(request, json.loads(content))
        body = json.loads(content) if changed is None else changed
        return httpx.Response(200, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Progress:
    """The reporter as the phase uses it (progress only), for running the phase in this test."""

    async def progress(self, done: int, total: int | None, message: str = "") -> None:
        pass


async def run_phase(service: CatalogService, artist_id: UUID, transport: Breaking) -> PhaseResult:
    from mysetlist_catalog_ingest.phase import CatalogPhase
    from mysetlist_common.settings import get_settings

    requested = ImportRequestedEvent(
        import_id=uuid4(), artist_id=artist_id, payload=ImportRequested(tm_attraction_id="-")
    )
    async with httpx.AsyncClient(transport=transport) as http:
        phase = CatalogPhase(get_settings(), service.sessions, http)
        return await phase.run(requested, cast(PhaseReporter, Progress()))


async def test_a_malformed_track_and_album_are_skipped_counted_and_the_track_decided(
    env: dict[str, str], sim: Simulator
) -> None:
    await sim.config(spotify_mode="development")
    artist = (await by_profile(sim))["mid"]
    broken: dict[str, str] = {}

    def rewrite(request: httpx.Request, body: Any) -> Any | None:
        path = request.url.path
        if "/artists/" in path and path.endswith("/albums") and "album" not in broken and body["items"]:
            broken["album"] = body["items"][0]["id"]
            del body["items"][0]["name"]
            return body
        listed = path.endswith("/tracks") and "/albums/" in path and body["items"]
        if listed and "track" not in broken and broken.get("album") not in path:
            broken["track"] = body["items"][0]["id"]
            body["items"][0]["duration_ms"] = "four minutes"
            return body
        return None

    async with catalog_service() as service:
        artist_id = await service.add_artist(artist)
        result = await run_phase(service, artist_id, Breaking(rewrite))
        async with service.sessions() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT decision, reason FROM catalog_decision"
                        " WHERE artist_id = :a AND spotify_track_id = :t"
                    ),
                    {"a": artist_id, "t": broken["track"]},
                )
            ).one()
        stored = await service.stored_ids(artist_id)
    assert result.counts["skipped_malformed_tracks"] == 1
    assert result.counts["skipped_malformed_albums"] == 1
    assert result.counts["malformed"] == 1 and result.counts["songs"] == len(stored) > 0
    assert row.decision == "malformed" and "duration_ms" in row.reason
    assert broken["track"] not in stored


async def test_a_releases_page_that_stays_malformed_fails_the_phase_clearly(
    env: dict[str, str], sim: Simulator
) -> None:
    await sim.config(spotify_mode="development")
    artist = (await by_profile(sim))["sparse"]
    asked: list[str] = []

    def rewrite(request: httpx.Request, body: Any) -> Any | None:
        if "/artists/" in request.url.path and request.url.path.endswith("/albums"):
            asked.append(request.url.path)
            return {"items": "nothing here", "total": 1}
        return None

    async with catalog_service() as service:
        artist_id = await service.add_artist(artist)
        with pytest.raises(PhaseError) as caught:
            await run_phase(service, artist_id, Breaking(rewrite))
    assert str(caught.value).startswith(
        f"Spotify sent a malformed releases page of artist {artist.spotify_id}: "
    )
    assert "items is not a list" in str(caught.value) and caught.value.retryable
    assert len(asked) >= 3  # asked again before giving up
