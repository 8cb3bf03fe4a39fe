"""The truth of an artist's catalog: what a correct import keeps, derived from the generator's own flags
(live album, live recording, who is credited, which album group), never from titles, so it is
independent of any importer's classification code. Discography.finish records it as the catalog is
generated and advance.Day.recompute_truth again after each day's changes."""

from __future__ import annotations

from .model import Album, SpotifyArtist, Track


def studio_versions(me: SpotifyArtist, listing: list[Album]) -> list[list[Track]]:
    """Every version of each of the artist's studio recordings on its listed releases, a list per recording.

    A correct import reads the album and single groups, drops live albums, live recordings and tracks
    that do not credit the artist, and keeps one track per recording."""
    versions: dict[int, list[Track]] = {}
    for album in listing:
        if album.kind in ("compilation", "appears_on") or album.live:
            continue
        for t in album.tracks:
            if t.recording.kind != "live" and t.recording.owner is me and me in t.artists:
                versions.setdefault(id(t.recording), []).append(t)
    return list(versions.values())


def recordings(groups: list[list[Track]]) -> list[list[str]]:
    """The truth's recordings: each one's track ids, preferred version first (each group sorted by
    `preference`), recordings in the order of their preferred versions."""
    ordered = sorted(groups, key=lambda ts: preference(ts[0])[1:])
    return [[t.id for t in ts] for ts in ordered]


def preference(t: Track) -> tuple[bool, str, bool, str, int]:
    """Development-mode order of versions: album over single, then earliest release, then non-remaster."""
    assert t.album is not None
    return (
        t.album.album_type != "album",
        t.album.release_date,
        t.album.kind == "remaster",
        t.id,
        t.track_number,
    )
