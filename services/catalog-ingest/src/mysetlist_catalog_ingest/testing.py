"""For tests and the benchmark: drive the catalog phase the way production does. An ImportRequested goes
to the real broker, the service runs as its app (uvicorn, lifespan, consumer), and the PhaseCompleted or
PhaseFailed is read back from the progress topic. Also reads the simulator's control surface."""

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
from faststream.kafka import KafkaBroker
from sqlalchemy import text

from mysetlist_common.db.session import session_factory
from mysetlist_common.events import (
    ImportRequested,
    ImportRequestedEvent,
    Phase,
    PhaseCompletedEvent,
    PhaseFailedEvent,
    progress_event_adapter,
)
from mysetlist_common.kafka import make_broker
from mysetlist_common.testing import running_app
from mysetlist_common.topics import IMPORTS_PROGRESS, IMPORTS_REQUESTED, topic
from mysetlist_common.upstream.musicbrainz import forget_cached
from mysetlist_common.upstream.spotify import PROCESS

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
        self.app: Any = None
        self.url = ""

    def on_progress(self, body: Any) -> None:
        # FastStream hands over JSON bodies already decoded; raw bytes when published as bytes.
        if isinstance(body, bytes | str):
            event = progress_event_adapter.validate_json(body)
        else:
            event = progress_event_adapter.validate_python(body)
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

    async def run_import(self, artist_id: UUID, timeout_s: float = 120.0) -> PhaseEnd:
        event = ImportRequestedEvent(
            import_id=uuid4(), artist_id=artist_id, payload=ImportRequested(tm_attraction_id="-")
        )
        future: asyncio.Future[PhaseEnd] = asyncio.get_running_loop().create_future()
        self._ends[event.import_id] = future
        await self.client.publish(event.model_dump(mode="json"), topic(IMPORTS_REQUESTED), key=event.key)
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._ends.pop(event.import_id, None)

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


def check_against_truth(stored: list[str], recordings: list[list[str]]) -> list[str]:
    """What differs from a correct catalog: exactly one id of every recording and nothing else."""
    problems = []
    owner = {tid: i for i, rec in enumerate(recordings) for tid in rec}
    per_recording: dict[int, list[str]] = {}
    for tid in stored:
        if tid not in owner:
            problems.append(f"stored {tid} is no studio recording of the artist")
        else:
            per_recording.setdefault(owner[tid], []).append(tid)
    for i, rec in enumerate(recordings):
        got = per_recording.get(i, [])
        if len(got) != 1:
            problems.append(f"recording {rec} stored {len(got)} times: {got}")
    return problems
