"""Low-priority ISRC backfill for songs a Development-mode import stored without one.

Development mode has no batch endpoint, so an ISRC costs one single-track call; the import asks only
where the ISRC decides the dedupe. Afterwards this task fills in the rest: one artist at a time, at a low
fixed rate, only while no import is running in this process, in small batches that each commit (so a
restart loses little), and never asking twice (`track_isrc` remembers every answer, also "none"). Its
calls have background priority in the key's shared budget: any user's import, in any replica, goes first.
"""

import asyncio
import logging
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_catalog_ingest.activity import Activity
from mysetlist_catalog_ingest.store import fill_isrcs, songs_missing_isrc
from mysetlist_common.background import BackgroundLoop
from mysetlist_common.settings import Settings
from mysetlist_common.upstream.calls import CallContext, Parked, calling
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.spotify.client import SpotifyClient
from mysetlist_common.upstream.spotify.models import SpotifyMode, SpotifyTrack

log = logging.getLogger(__name__)

BATCH = 25  # ISRCs per commit
MAX_PER_ARTIST = 5000  # one pass; the next import schedules the artist again if more are missing


class IsrcBackfill(BackgroundLoop):
    """Takes the scheduled artists one at a time; does nothing (never starts) when its rate is 0."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        activity: Activity,
    ) -> None:
        super().__init__("isrc-backfill")
        self.settings = settings
        self.sessions = sessions
        self.http = http
        self.activity = activity
        self.queue: asyncio.Queue[UUID] = asyncio.Queue()
        self._queued: set[UUID] = set()
        self.filled = 0

    @property
    def enabled(self) -> bool:
        return self.settings.catalog_isrc_backfill_per_s > 0

    def schedule(self, artist_id: UUID, mode: str) -> None:
        """Called after a phase stored its catalog; only Development imports leave ISRCs out."""
        if self.enabled and mode == SpotifyMode.DEVELOPMENT and artist_id not in self._queued:
            self._queued.add(artist_id)
            self.queue.put_nowait(artist_id)

    def start(self) -> None:
        if self.enabled:
            super().start()

    async def loop(self) -> None:
        while True:
            artist_id = await self.queue.get()
            self._queued.discard(artist_id)
            try:
                await self.fill(artist_id)
            except Exception:  # a background nicety must never die: log and take the next artist
                log.exception("ISRC backfill of artist %s stopped", artist_id)

    async def fill(self, artist_id: UUID) -> int:
        """Fill the artist's missing ISRCs; returns how many tracks were asked."""
        async with self.sessions() as session:
            ids = await songs_missing_isrc(session, artist_id, MAX_PER_ARTIST)
        spotify = SpotifyClient(self.settings, self.http)
        spacing = 1.0 / self.settings.catalog_isrc_backfill_per_s
        learnt: list[SpotifyTrack] = []
        asked = 0
        for track_id in ids:
            await self.activity.idle.wait()  # imports come first
            await asyncio.sleep(spacing)
            try:
                # each call may wait as long as a Retry-After the client accepts, then it is put off
                with calling(CallContext("background", wait_cap_s=self.settings.spotify_retry_after_cap_s)):
                    track = await spotify.track(track_id)
            except (UpstreamError, Parked) as exc:
                log.info("ISRC backfill of artist %s paused: %s", artist_id, exc)
                break
            asked += 1
            if track is None:  # a malformed answer: this track stays without ISRC, the others go on
                continue
            learnt.append(track)
            if len(learnt) >= BATCH:
                await self._write(learnt)
                learnt = []
        if learnt:
            await self._write(learnt)
        return asked

    async def _write(self, tracks: list[SpotifyTrack]) -> None:
        async with self.sessions.begin() as session:
            await fill_isrcs(session, tracks)
        self.filled += len(tracks)
