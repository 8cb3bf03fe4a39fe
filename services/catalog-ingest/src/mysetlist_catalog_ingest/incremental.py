"""Incremental imports: which stored releases a phase reuses instead of fetching, and which of the releases
it fetched are remembered for the next one. Pure functions of what was fetched and what was stored."""

from mysetlist_catalog_ingest.catalog import Candidate
from mysetlist_catalog_ingest.fetch import Fetched
from mysetlist_catalog_ingest.store import StoredRelease
from mysetlist_common.upstream.spotify.models import Malformed, SpotifyMode, SpotifyTrack


def reuse_releases(fetched: Fetched, stored: dict[str, StoredRelease]) -> list[Candidate]:
    """The stored tracks of the known releases Spotify still lists (live ones count as skipped)."""
    reused: list[Candidate] = []
    for album in fetched.known:
        release = stored[album.id]
        if release.live:
            fetched.skipped.append(album)
        reused += [Candidate(t, album) for t in release.tracks]
    return reused


def fresh_releases(
    fetched: Fetched,
    stored: dict[str, StoredRelease],
    tracks: list[Candidate],
    malformed: list[Malformed],
    mode: SpotifyMode,
) -> dict[str, StoredRelease]:
    """The releases fetched now, with their tracks as decided on; one with an unreadable item is not
    remembered, so the next import fetches it again."""
    unreadable = {m.album_id for m in malformed if m.album_id}
    live = {a.id for a in fetched.skipped}
    by_album: dict[str, list[SpotifyTrack]] = {}
    for c in tracks:
        by_album.setdefault(c.album.id, []).append(c.track)
    return {
        a.id: StoredRelease(a.id in live, mode.value, by_album.get(a.id, []))
        for a in fetched.releases
        if a.id not in stored and a.id not in unreadable
    }


def stored_mode(stored: dict[str, StoredRelease]) -> SpotifyMode | None:
    """The mode the stored releases were fetched in (an import that fetched nothing new never learns it)."""
    return SpotifyMode(next(iter(stored.values())).mode) if stored else None
