"""Fetching an artist's releases and tracks with the fewest requests and the shortest chain of round trips.

Both include_groups are listed concurrently (further pages asked for ahead, see SpotifyClient.artist_albums),
and each page of releases starts its track fetch at once, so the chain is the listing rounds plus one
round trip for the tracks (two for releases with more than 50 tracks). Extended mode uses the batch
endpoints; Development mode one album-tracks call per release. Releases live as a whole are not fetched.
"""

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from mysetlist_catalog_ingest.catalog import WANTED_GROUPS, Candidate, select_releases
from mysetlist_common.upstream.spotify.client import (
    ALBUMS_PER_CALL,
    TRACKS_PER_CALL,
    BatchUnavailable,
    SpotifyClient,
)
from mysetlist_common.upstream.spotify.models import SpotifyAlbum, SpotifyMode, SpotifyTrack

Progress = Callable[[int, int], Awaitable[None]]


@dataclass
class Fetched:
    releases: list[SpotifyAlbum] = field(default_factory=list)
    tracks: list[Candidate] = field(default_factory=list)
    skipped: list[SpotifyAlbum] = field(default_factory=list)  # live as a whole: tracks not fetched
    known: list[SpotifyAlbum] = field(default_factory=list)  # fetched by an earlier import: not again


def chunked(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _tracks_batched(spotify: SpotifyClient, albums: Sequence[SpotifyAlbum]) -> list[Candidate]:
    """Extended: several-albums (first 50 tracks embedded), album-tracks pages for the rest."""
    by_id = {a.id: a for a in albums}
    out: list[Candidate] = []
    rest: list[tuple[SpotifyAlbum, int]] = []
    for full, page in await spotify.several_albums([a.id for a in albums]):
        album = by_id.get(full.id, full)
        out.extend(Candidate(t, album) for t in spotify.page_tracks(page.items, album.id))
        if page.next and len(page.items) >= 50:
            rest.append((album, len(page.items)))
    more = await asyncio.gather(*(spotify.album_tracks(a.id, offset) for a, offset in rest))
    for (album, _), tracks in zip(rest, more, strict=True):
        out.extend(Candidate(t, album) for t in tracks)
    return out


async def _tracks_per_album(spotify: SpotifyClient, album: SpotifyAlbum) -> list[Candidate]:
    return [Candidate(t, album) for t in await spotify.album_tracks(album.id)]


async def _tracks_of(spotify: SpotifyClient, albums: Sequence[SpotifyAlbum]) -> list[Candidate]:
    if not albums:
        return []
    try:
        return await _tracks_batched(spotify, albums)
    except BatchUnavailable:
        pass  # Development mode (now remembered): one call per album
    parts = await asyncio.gather(*(_tracks_per_album(spotify, a) for a in albums))
    return [c for part in parts for c in part]


async def fetch_catalog(
    spotify: SpotifyClient,
    artist_id: str,
    progress: Progress | None = None,
    on_tracks: Callable[[list[Candidate]], Awaitable[None]] | None = None,
    skip_release: Callable[[SpotifyAlbum], Awaitable[bool]] | None = None,
    known: Collection[str] = (),
) -> Fetched:
    """Every track of the artist's releases but the `known` ones (listed, their tracks not fetched);
    `on_tracks` sees each batch as soon as it arrives."""
    fetched = Fetched()
    seen: set[str] = set()
    pending: list[asyncio.Task[list[Candidate]]] = []

    async def tracks_of(chunk: Sequence[SpotifyAlbum]) -> list[Candidate]:
        found = await _tracks_of(spotify, chunk)
        if on_tracks is not None:
            await on_tracks(found)
        return found

    async def list_group(group: str) -> None:
        async for page in spotify.artist_albums(artist_id, group):
            fresh = [a for a in select_releases(page) if a.id not in seen]
            seen.update(a.id for a in fresh)
            fetched.releases.extend(fresh)
            fetched.known.extend(a for a in fresh if a.id in known)
            fresh = [a for a in fresh if a.id not in known]
            if skip_release is not None:
                skipped = {a.id for a in fresh if await skip_release(a)}
                fetched.skipped.extend(a for a in fresh if a.id in skipped)
                fresh = [a for a in fresh if a.id not in skipped]
            # Start the track fetch of this page now, while the next page is being listed.
            size = ALBUMS_PER_CALL if spotify.mode is SpotifyMode.EXTENDED else 1
            for chunk_start in range(0, len(fresh), size):
                chunk = fresh[chunk_start : chunk_start + size]
                pending.append(asyncio.create_task(tracks_of(chunk)))

    try:
        await asyncio.gather(*(list_group(g) for g in WANTED_GROUPS))
        if progress:
            await progress(0, len(fetched.releases))
        for done, task in enumerate(asyncio.as_completed(pending), 1):
            fetched.tracks.extend(await task)
            if progress and done % max(1, len(pending) // 4) == 0:
                await progress(done, len(pending))
    finally:
        for task in pending:
            task.cancel()
    fetched.tracks = in_release_order(fetched.tracks)
    return fetched


def in_release_order(tracks: Iterable[Candidate]) -> list[Candidate]:
    return sorted(
        tracks, key=lambda c: (c.album.release_date, c.album.id, c.track.disc_number, c.track.track_number)
    )


async def full_tracks(spotify: SpotifyClient, ids: Sequence[str]) -> list[SpotifyTrack]:
    """ISRC and popularity: several-tracks in Extended mode, else one call per track."""
    if not ids:
        return []
    try:
        parts = await asyncio.gather(*(spotify.several_tracks(c) for c in chunked(ids, TRACKS_PER_CALL)))
        return [t for part in parts for t in part]
    except BatchUnavailable:
        found = await asyncio.gather(*(spotify.track(i) for i in ids))
        return [t for t in found if t is not None]  # a malformed one is recorded by the client


class FullTracks:
    """Extended mode: several-tracks calls of 50 ids each, sent as soon as 50 ids are waiting."""

    def __init__(self, spotify: SpotifyClient) -> None:
        self.spotify = spotify
        self._waiting: list[str] = []
        self._calls: list[asyncio.Task[list[SpotifyTrack]]] = []

    def add(self, ids: Sequence[str]) -> None:
        self._waiting.extend(ids)
        while len(self._waiting) >= TRACKS_PER_CALL:
            self._send(self._waiting[:TRACKS_PER_CALL])
            del self._waiting[:TRACKS_PER_CALL]

    @property
    def calls(self) -> int:
        return len(self._calls)

    def _send(self, ids: list[str]) -> None:
        self._calls.append(asyncio.create_task(self.spotify.several_tracks(ids)))

    async def result(self) -> list[SpotifyTrack]:
        if self._waiting:
            self._send(self._waiting)
            self._waiting = []
        try:
            parts = await asyncio.gather(*self._calls)
        finally:
            self.cancel()
        return [t for part in parts for t in part]

    def cancel(self) -> None:
        for call in self._calls:
            call.cancel()
