"""The catalog phase for one ImportRequested: identify, fetch, classify, dedupe, persist."""

import asyncio
import logging
import time
from collections.abc import Callable
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mysetlist_catalog_ingest.activity import Activity
from mysetlist_catalog_ingest.catalog import (
    Candidate,
    Verdict,
    isrc_needed,
    live_release,
    plan_catalog,
    screen,
    with_full_tracks,
    with_known_isrcs,
    with_malformed,
)
from mysetlist_catalog_ingest.fetch import FullTracks, fetch_catalog, full_tracks, in_release_order
from mysetlist_catalog_ingest.incremental import fresh_releases, reuse_releases, stored_mode
from mysetlist_catalog_ingest.progress_updates import ProgressUpdates
from mysetlist_catalog_ingest.store import (
    ArtistIdentity,
    StoredRelease,
    known_isrcs,
    load_artist,
    load_releases,
    persist,
    save_releases,
    save_track_isrcs,
    set_spotify_id,
)
from mysetlist_common.catalog_rules.titles import normalize_title
from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.phases.identity import write_identity
from mysetlist_common.phases.reporting import PhaseError, PhaseReporter, PhaseResult
from mysetlist_common.settings import Settings
from mysetlist_common.upstream.calls import Parked, current_call
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.musicbrainz import LiveReleases, MusicBrainzClient
from mysetlist_common.upstream.spotify.client import SpotifyClient
from mysetlist_common.upstream.spotify.models import SpotifyAlbum, SpotifyMode
from mysetlist_common.upstream.ticketmaster.client import TicketmasterClient

log = logging.getLogger(__name__)

IDENTITY_POLL_S = 0.2
MUSICBRAINZ_ATTEMPTS = 3  # asked at most this many times (phase runs) before the rules decide alone
MUSICBRAINZ_RETRY_S = 5.0  # the n-th retry waits n times this
MALFORMED_KINDS = ("track", "full_track", "album", "artist")


async def wait_for_identity(
    sessions: async_sessionmaker[AsyncSession], artist_id: UUID, wait_s: float
) -> ArtistIdentity:
    """The artist row, once the shows phase recorded the attraction's identity (or as it is after `wait_s`:
    then `identity_synced_at` is still None and the name is only a placeholder)."""
    deadline = time.monotonic() + wait_s
    while True:
        async with sessions() as session:
            artist = await load_artist(session, artist_id)
        if artist is None:
            raise PhaseError(f"artist {artist_id} does not exist")
        if artist.identity_synced_at is not None or time.monotonic() >= deadline:
            return artist
        await asyncio.sleep(IDENTITY_POLL_S)


async def find_artist(spotify: SpotifyClient, name: str) -> str | None:
    """A search hit only when its normalised name equals the artist's: a near miss is a wrong catalog."""
    wanted = normalize_title(name)
    if not wanted:
        return None
    matches = [a.id for a in await spotify.search_artists(name) if normalize_title(a.name) == wanted]
    return matches[0] if len(set(matches)) == 1 else None


class CatalogPhase:
    """The `PhaseWork` of catalog-ingest. One instance per process; clients per import."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.http = http
        self.activity = Activity()
        # told (artist, mode) after each stored catalog; set by the app, whose backfill needs `activity`
        self.on_stored: Callable[[UUID, str], None] | None = None

    async def run(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        self.activity.enter()
        try:
            return await self._import(requested, reporter)
        except UpstreamError as exc:  # a malformed page included: nothing half-stored, a later try may pass
            raise PhaseError(str(exc), retryable=exc.retryable, upstream=exc.upstream) from exc
        finally:
            self.activity.leave()

    async def _import(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        settings = self.settings
        artist = await wait_for_identity(self.sessions, requested.artist_id, settings.catalog_identity_wait_s)
        if artist.identity_synced_at is None:  # the shows phase is late: never go on with a placeholder
            artist = await self._fetch_identity(artist, requested.payload.tm_attraction_id)
        spotify = SpotifyClient(settings, self.http)
        musicbrainz = MusicBrainzClient(settings, self.http)

        spotify_id = artist.spotify_id
        if spotify_id is None:
            spotify_id = await find_artist(spotify, artist.name)
            if spotify_id is None:
                return PhaseResult(
                    counts={"skipped": 1, "songs": 0, "spotify_requests": spotify.requests},
                    message=f"skipped: no Spotify artist named exactly {artist.name!r}",
                )
            async with self.sessions.begin() as session:
                await set_spotify_id(session, artist.id, spotify_id)

        # Incremental: releases fetched by an earlier import are not fetched again (their tracks are stored
        # as they were decided on); the whole artist is decided again, so a new deluxe copy adds no
        # duplicate and a taken-down release's songs go.
        # Only background resyncs reuse them for now: reused releases still rewrite every song and decision
        # row of an unchanged artist (a known gap), which a user's re-import must not.
        stored: dict[str, StoredRelease] = {}
        if requested.payload.mode == "incremental" and requested.payload.reason != "user":
            async with self.sessions() as session:
                stored = await load_releases(session, artist.id)
            if (
                spotify.mode is not None
            ):  # fetched in another Spotify mode: its tracks lack what this one uses
                stored = {k: r for k, r in stored.items() if r.mode == spotify.mode.value}

        # Asked once, at the start, in parallel with Spotify; every rule that needs it awaits this one task.
        live_task = asyncio.create_task(self._live_releases(musicbrainz, artist.mbid))

        async def live_releases() -> LiveReleases:
            return await live_task

        updates = ProgressUpdates(reporter)

        async def progress(done: int, total: int) -> None:
            updates.send(done, total, f"fetched tracks of {done} of {total} release batches")

        # Extended mode: ISRC and popularity of each batch's studio tracks are asked for while the
        # next releases are still being fetched, so the last several-tracks call follows the last album.
        enricher = FullTracks(spotify)

        async def on_tracks(batch: list[Candidate]) -> None:
            if spotify.mode is SpotifyMode.EXTENDED:
                studio = screen(spotify_id, batch, (await live_releases()).titles).candidates
                enricher.add([c.id for c in studio])

        async def skip_release(album: SpotifyAlbum) -> bool:
            # A live album's tracks are never fetched: the whole release is decided by its title or
            # MusicBrainz (waited for here, so the same releases are skipped on every import).
            return live_release(album, (await live_releases()).titles)

        try:
            fetched = await fetch_catalog(
                spotify, spotify_id, progress, on_tracks, skip_release, known=stored.keys()
            )
            live = await live_releases()
        except BaseException:
            enricher.cancel()
            live_task.cancel()
            raise
        reused = reuse_releases(fetched, stored)
        mode = spotify.mode or stored_mode(stored) or SpotifyMode.DEVELOPMENT

        # Rules first; only tracks that survive them are worth an ISRC or audio-features request.
        fetched_tracks = in_release_order([*fetched.tracks, *reused])
        candidates = screen(spotify_id, fetched_tracks, live.titles).candidates
        known: dict[str, str | None] = {}
        ask: list[str] = []
        if mode is SpotifyMode.EXTENDED:
            full_task = enricher.result()
        else:
            async with self.sessions() as session:
                known = await known_isrcs(session, [c.id for c in candidates])
            ask = [i for i in isrc_needed(with_known_isrcs(candidates, known)) if i not in known]
            full_task = full_tracks(spotify, ask)
        full, liveness = await asyncio.gather(full_task, spotify.audio_features([c.id for c in candidates]))
        isrc_requests = enricher.calls if mode is SpotifyMode.EXTENDED else len(ask)
        if full and mode is SpotifyMode.DEVELOPMENT:
            async with self.sessions.begin() as session:
                await save_track_isrcs(session, full)
        tracks = with_full_tracks(with_known_isrcs(fetched_tracks, known), full)
        note = "" if live.complete else live.note
        plan = plan_catalog(spotify_id, tracks, mode, live.titles, liveness, note=note)
        plan = with_malformed(plan, spotify.malformed, fetched.releases)

        updates.send(len(plan.decisions), len(plan.decisions), f"storing {len(plan.kept)} studio songs")
        async with self.sessions.begin() as session:
            written = await persist(session, artist.id, requested.import_id, plan)
            await save_releases(
                session,
                artist.id,
                fresh_releases(fetched, stored, tracks, spotify.malformed, mode),
                [r.id for r in fetched.releases],
            )
        await updates.flush()
        if self.on_stored is not None:
            self.on_stored(artist.id, mode.value)

        counts = {v.value: 0 for v in Verdict}
        for d in plan.decisions:
            counts[d.verdict.value] += 1
        musicbrainz_asked = settings.musicbrainz_enabled and artist.mbid is not None
        counts |= {
            "songs": len(plan.kept),
            # kept by the rules alone because MusicBrainz did not answer: re-checked at the next import
            "unverified_by_musicbrainz": 0 if live.complete or not musicbrainz_asked else len(plan.kept),
            "releases": len(fetched.releases),
            "releases_album": sum(r.album_group == "album" for r in fetched.releases),
            "releases_single": sum(r.album_group == "single" for r in fetched.releases),
            "releases_over_50_tracks": sum((r.total_tracks or 0) > 50 for r in fetched.releases),
            "live_releases_skipped": len(fetched.skipped),
            "tracks_fetched": len(plan.decisions),
            "isrc_requests": isrc_requests,
            "songs_written": written.songs_written,
            "links_removed": written.links_removed,
            "incremental": int(bool(stored)),
            "releases_reused": len(fetched.known),
            "spotify_requests": spotify.requests,
            "musicbrainz_requests": musicbrainz.requests,
            "skipped": 0,
        }
        # items of Spotify's answers that could not be read, skipped one by one (tracks, albums, ...)
        counts |= {f"skipped_malformed_{kind}s": 0 for kind in MALFORMED_KINDS}
        for m in spotify.malformed:
            counts[f"skipped_malformed_{m.kind}s"] += 1
        message = (
            f"{len(plan.kept)} studio songs from {len(fetched.releases)} releases "
            f"({len(fetched.skipped)} live releases not fetched; {mode.value} mode); {live.note}"
        )
        return PhaseResult(counts=counts, message=message)

    async def _fetch_identity(self, artist: ArtistIdentity, tm_attraction_id: str) -> ArtistIdentity:
        """Ask Ticketmaster for the attraction ourselves and record it, as the shows phase would."""
        attraction = await TicketmasterClient(self.http, self.settings).attraction(tm_attraction_id)
        async with self.sessions.begin() as session:
            await write_identity(session, artist.id, attraction)
        async with self.sessions() as session:
            found = await load_artist(session, artist.id)
        if found is None:
            raise PhaseError(f"artist {artist.id} does not exist")
        return found

    async def _live_releases(self, musicbrainz: MusicBrainzClient, mbid: str | None) -> LiveReleases:
        """The artist's live releases by MusicBrainz. Waiting for its shared 1/s slot is waiting on a budget
        (the phase parks if that is long), never a timeout; when MusicBrainz itself does not answer, the
        phase waits for it and asks again (MUSICBRAINZ_ATTEMPTS in all) rather than keep unverified tracks
        quietly; after that the rules decide alone and every kept decision and the phase's message say so."""
        if not self.settings.musicbrainz_enabled or not mbid:
            why = "disabled" if not self.settings.musicbrainz_enabled else "no MBID known"
            return LiveReleases((), False, f"MusicBrainz not asked ({why})")
        found = await musicbrainz.live_release_titles(mbid)
        context = current_call()
        if not found.complete and context is not None and context.attempt < MUSICBRAINZ_ATTEMPTS:
            raise Parked("musicbrainz", time.time() + MUSICBRAINZ_RETRY_S * context.attempt, found.note)
        if not found.complete:
            return LiveReleases(found.titles, False, f"{found.note}; not verified by MusicBrainz")
        return found
