"""Set-based persistence of a catalog plan; a re-import rewrites nothing.

Rows travel as one array per column through `unnest`: one statement per table whatever the catalog's
size, no bind-parameter cap, and no per-row SQL to compile.

Every statement on the catalog's tables (songs, links, decisions, ISRCs, stored releases) stays in this
one module, a little over 300 lines, so one file shows all the SQL that writes them and they share `_sql`.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, String, TextClause, Uuid, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_catalog_ingest.catalog import CatalogPlan
from mysetlist_common.catalog_rules.titles import is_remix
from mysetlist_common.db.schema import Artist, CatalogDecision, CatalogRelease, Song, TrackIsrc
from mysetlist_common.db.upsert import unnest_upsert
from mysetlist_common.upstream.spotify.models import SpotifyTrack


@dataclass(frozen=True)
class ArtistIdentity:
    id: UUID
    name: str
    spotify_id: str | None
    mbid: str | None
    identity_synced_at: datetime | None


@dataclass(frozen=True)
class StoreCounts:
    songs_written: int
    links_added: int
    links_removed: int


def _sql(statement: str, **arrays: Any) -> TextClause:
    """A text statement whose named parameters are typed arrays."""
    return text(statement).bindparams(*(bindparam(name, type_=ARRAY(t)) for name, t in arrays.items()))


async def load_artist(session: AsyncSession, artist_id: UUID) -> ArtistIdentity | None:
    query = select(Artist.id, Artist.name, Artist.spotify_id, Artist.mbid, Artist.identity_synced_at)
    row = (await session.execute(query.where(Artist.id == artist_id))).first()
    return ArtistIdentity(*row) if row else None


_KNOWN_ISRCS = _sql(
    """
    SELECT spotify_id, isrc FROM track_isrc WHERE spotify_id = ANY(:ids)
    UNION ALL
    SELECT spotify_id, isrc FROM song WHERE spotify_id = ANY(:ids) AND isrc IS NOT NULL
    """,
    ids=String,
)


async def known_isrcs(session: AsyncSession, track_ids: Sequence[str]) -> dict[str, str | None]:
    """ISRCs learnt earlier, from the single-track cache or stored songs (None: asked, has none)."""
    if not track_ids:
        return {}
    known: dict[str, str | None] = {}
    for spotify_id, isrc in await session.execute(_KNOWN_ISRCS, {"ids": list(track_ids)}):
        if isrc or spotify_id not in known:
            known[spotify_id] = isrc
    return known


async def save_track_isrcs(session: AsyncSession, tracks: Sequence[SpotifyTrack]) -> None:
    """Remember what single-track calls taught us, so no import asks twice."""
    unique = list({t.id: t for t in tracks}.values())
    columns: dict[str, list[Any]] = {
        "spotify_id": [t.id for t in unique],
        "isrc": [t.isrc for t in unique],
        "popularity": [t.popularity for t in unique],
    }
    await session.execute(
        unnest_upsert(TrackIsrc, columns, ["spotify_id"], ["isrc", "popularity"], touched=None)
    )


SONG_COLUMNS = (
    "isrc", "name", "album_id", "album_name", "album_type", "release_date", "duration_ms", "popularity",
    "is_remix",
)  # fmt: skip
# Facts only Extended mode or the backfill knows (ISRC, popularity) are never erased by a Development import.
SONG_KEEP_KNOWN = ("isrc", "popularity")

# Links of songs no longer in the catalog go first, so the (artist, isrc) unique index never sees them.
_REMOVE_LINKS = _sql(
    """
    DELETE FROM artist_song AS l
    WHERE l.artist_id = :artist
      AND NOT EXISTS (SELECT 1 FROM song s WHERE s.id = l.song_id AND s.spotify_id = ANY(:keep))
    RETURNING l.song_id
    """,
    keep=String,
)

_ADD_LINKS = _sql(
    """
    INSERT INTO artist_song AS l (artist_id, song_id, isrc)
    SELECT CAST(:artist AS uuid), s.id, s.isrc FROM song s WHERE s.spotify_id = ANY(:keep)
    ON CONFLICT (artist_id, song_id) DO UPDATE SET isrc = excluded.isrc
    WHERE l.isrc IS DISTINCT FROM excluded.isrc
    RETURNING 1
    """,
    keep=String,
)

# A song no artist links to any more (now known live, or a duplicate) leaves the song table.
_DROP_ORPHANS = _sql(
    """
    DELETE FROM song s WHERE s.id = ANY(:gone)
      AND NOT EXISTS (SELECT 1 FROM artist_song l WHERE l.song_id = s.id)
    """,
    gone=Uuid,
)

_FORGET_DECISIONS = _sql(
    "DELETE FROM catalog_decision WHERE artist_id = :artist AND spotify_track_id <> ALL(:fetched)",
    fetched=String,
)

DECISION_COLUMNS = ("track_name", "album_id", "album_name", "decision", "reason", "duplicate_of")


async def persist(session: AsyncSession, artist_id: UUID, import_id: UUID, plan: CatalogPlan) -> StoreCounts:
    """Write the plan in the caller's transaction. Serialised per artist against redelivered events."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('catalog:' || :artist))"), {"artist": str(artist_id)}
    )
    kept = sorted(plan.kept, key=lambda c: c.id)  # a stable row order: concurrent writers never deadlock
    songs: dict[str, list[Any]] = {
        "spotify_id": [c.id for c in kept],
        "isrc": [c.track.isrc for c in kept],
        "name": [c.track.name for c in kept],
        "album_id": [c.album.id for c in kept],
        "album_name": [c.album.name for c in kept],
        "album_type": [c.album.album_type for c in kept],
        "release_date": [c.album.release_date or None for c in kept],
        "duration_ms": [c.track.duration_ms for c in kept],
        "popularity": [c.track.popularity for c in kept],
        "is_remix": [is_remix(c.track.name) for c in kept],
    }
    upsert = unnest_upsert(Song, songs, ["spotify_id"], SONG_COLUMNS, keep_known=SONG_KEEP_KNOWN)
    songs_written = len((await session.execute(upsert.returning(Song.id))).all())
    keep = {"artist": artist_id, "keep": [c.id for c in kept]}
    removed = [row[0] for row in await session.execute(_REMOVE_LINKS, keep)]
    added = len((await session.execute(_ADD_LINKS, keep)).all())
    if removed:
        await session.execute(_DROP_ORPHANS, {"gone": removed})

    decisions = plan.decisions
    await session.execute(
        _FORGET_DECISIONS, {"artist": artist_id, "fetched": [d.track_id for d in decisions]}
    )
    rows: dict[str, list[Any]] = {
        "artist_id": [artist_id] * len(decisions),
        "spotify_track_id": [d.track_id for d in decisions],
        "import_id": [import_id] * len(decisions),
        "track_name": [d.track_name for d in decisions],
        "album_id": [d.album_id for d in decisions],
        "album_name": [d.album_name for d in decisions],
        "decision": [d.verdict.value for d in decisions],
        "reason": [d.reason for d in decisions],
        "duplicate_of": [d.duplicate_of for d in decisions],
    }
    # import_id says which import last changed a decision: an unchanged decision keeps its row untouched
    await session.execute(
        unnest_upsert(
            CatalogDecision,
            rows,
            ["artist_id", "spotify_track_id"],
            DECISION_COLUMNS,
            also_set=["import_id"],
            touched="decided_at",
        )
    )
    await session.execute(
        text("UPDATE artist SET catalog_synced_at = now() WHERE id = :artist"), {"artist": artist_id}
    )
    return StoreCounts(songs_written, added, len(removed))


async def set_spotify_id(session: AsyncSession, artist_id: UUID, spotify_id: str) -> None:
    """Remember a Spotify id found by name, unless another artist row already claims it."""
    await session.execute(
        text(
            """
            UPDATE artist SET spotify_id = :spotify_id
            WHERE id = :artist AND spotify_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM artist WHERE spotify_id = :spotify_id)
            """
        ),
        {"artist": artist_id, "spotify_id": spotify_id},
    )


_MISSING_ISRC = text(
    """
    SELECT s.spotify_id FROM song s JOIN artist_song l ON l.song_id = s.id
    WHERE l.artist_id = :artist AND s.isrc IS NULL
      AND NOT EXISTS (SELECT 1 FROM track_isrc c WHERE c.spotify_id = s.spotify_id)
    ORDER BY s.spotify_id LIMIT :limit
    """
)


async def songs_missing_isrc(session: AsyncSession, artist_id: UUID, limit: int) -> list[str]:
    """The artist's stored songs whose ISRC nobody asked Spotify for yet."""
    return list((await session.execute(_MISSING_ISRC, {"artist": artist_id, "limit": limit})).scalars())


_FILL_SONGS = _sql(
    """
    UPDATE song SET isrc = v.isrc, updated_at = now()
    FROM unnest(CAST(:ids AS text[]), CAST(:isrcs AS text[])) AS v(spotify_id, isrc)
    WHERE song.spotify_id = v.spotify_id AND song.isrc IS NULL AND v.isrc IS NOT NULL
    """,
    ids=String,
    isrcs=String,
)

# One link per (artist, ISRC) may carry it: the partial unique index forbids a second one.
_FILL_LINKS = _sql(
    """
    UPDATE artist_song AS l SET isrc = pick.isrc
    FROM (
        SELECT DISTINCT ON (l2.artist_id, s.isrc) l2.artist_id, l2.song_id, s.isrc
        FROM artist_song AS l2 JOIN song AS s ON s.id = l2.song_id
        WHERE s.spotify_id = ANY(:ids) AND l2.isrc IS NULL AND s.isrc IS NOT NULL
        ORDER BY l2.artist_id, s.isrc, s.spotify_id
    ) AS pick
    WHERE l.artist_id = pick.artist_id AND l.song_id = pick.song_id
      AND NOT EXISTS (
        SELECT 1 FROM artist_song AS o WHERE o.artist_id = pick.artist_id AND o.isrc = pick.isrc
      )
    """,
    ids=String,
)


async def fill_isrcs(session: AsyncSession, tracks: Sequence[SpotifyTrack]) -> None:
    """Backfill: cache what was learnt and give stored songs and their links the ISRC they lacked."""
    await save_track_isrcs(session, tracks)
    ids = [t.id for t in tracks]
    await session.execute(_FILL_SONGS, {"ids": ids, "isrcs": [t.isrc for t in tracks]})
    await session.execute(_FILL_LINKS, {"ids": ids})


@dataclass(frozen=True)
class StoredRelease:
    live: bool
    mode: str
    tracks: list[SpotifyTrack]


def _track(data: dict[str, Any]) -> SpotifyTrack:
    return SpotifyTrack(**{**data, "artist_ids": tuple(data["artist_ids"])})


async def load_releases(session: AsyncSession, artist_id: UUID) -> dict[str, StoredRelease]:
    """The releases earlier imports fetched for the artist, by Spotify album id."""
    rows = await session.execute(
        select(
            CatalogRelease.album_id, CatalogRelease.live, CatalogRelease.mode, CatalogRelease.tracks
        ).where(CatalogRelease.artist_id == artist_id)
    )
    return {
        album_id: StoredRelease(live, mode, [_track(t) for t in tracks])
        for album_id, live, mode, tracks in rows
    }


_FORGET_RELEASES = _sql(
    "DELETE FROM catalog_release WHERE artist_id = :artist AND album_id <> ALL(:listed)", listed=String
)


# tracks travel as JSON text (one text[] parameter); a row that did not change is not rewritten
_SAVE_RELEASES = _sql(
    """
    INSERT INTO catalog_release AS r (artist_id, album_id, live, mode, tracks)
    SELECT CAST(:artist AS uuid), v.album_id, v.live, v.mode, CAST(v.tracks AS jsonb)
    FROM unnest(:ids, :live, :mode, :tracks) AS v(album_id, live, mode, tracks)
    ON CONFLICT (artist_id, album_id) DO UPDATE
    SET live = excluded.live, mode = excluded.mode, tracks = excluded.tracks, fetched_at = now()
    WHERE (r.live, r.mode, r.tracks) IS DISTINCT FROM (excluded.live, excluded.mode, excluded.tracks)
    """,
    ids=String,
    live=Boolean,
    mode=String,
    tracks=String,
)


async def save_releases(
    session: AsyncSession,
    artist_id: UUID,
    fetched: Mapping[str, StoredRelease],
    listed: Sequence[str],
) -> None:
    """Remember the releases fetched now; forget those Spotify no longer lists (taken down)."""
    await session.execute(_FORGET_RELEASES, {"artist": artist_id, "listed": list(listed)})
    if not fetched:
        return
    ids = sorted(fetched)
    await session.execute(
        _SAVE_RELEASES,
        {
            "artist": artist_id,
            "ids": ids,
            "live": [fetched[i].live for i in ids],
            "mode": [fetched[i].mode for i in ids],
            "tracks": [json.dumps([asdict(t) for t in fetched[i].tracks]) for i in ids],
        },
    )
