"""Set-based persistence of a catalog plan: one statement per batch; a re-import rewrites nothing."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import String, bindparam, delete, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from mysetlist_catalog_ingest.catalog import Candidate, CatalogPlan
from mysetlist_common.db.schema import Artist, ArtistSong, CatalogDecision, Song, TrackIsrc
from mysetlist_common.titles import is_remix
from mysetlist_common.upstream.spotify_models import SpotifyTrack

CHUNK = 1000  # rows per statement: 12 columns stay far below the 65,535 bind-parameter cap


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


def _chunks(rows: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def load_artist(session: AsyncSession, artist_id: UUID) -> ArtistIdentity | None:
    row = (
        await session.execute(
            select(Artist.id, Artist.name, Artist.spotify_id, Artist.mbid, Artist.identity_synced_at).where(
                Artist.id == artist_id
            )
        )
    ).first()
    return ArtistIdentity(*row) if row else None


async def known_isrcs(session: AsyncSession, track_ids: Sequence[str]) -> dict[str, str | None]:
    """ISRCs learnt earlier, from the single-track cache or stored songs (None: asked, has none)."""
    if not track_ids:
        return {}
    ids = bindparam("ids", list(track_ids), type_=ARRAY(String))
    cached = await session.execute(
        select(TrackIsrc.spotify_id, TrackIsrc.isrc).where(TrackIsrc.spotify_id == func.any(ids))
    )
    known: dict[str, str | None] = dict(cached.tuples().all())
    stored = await session.execute(
        select(Song.spotify_id, Song.isrc).where(Song.spotify_id == func.any(ids), Song.isrc.is_not(None))
    )
    known.update(stored.tuples().all())
    return known


async def save_track_isrcs(session: AsyncSession, tracks: Sequence[SpotifyTrack]) -> None:
    """Remember what single-track calls taught us, so no import asks twice."""
    rows = list(
        {t.id: {"spotify_id": t.id, "isrc": t.isrc, "popularity": t.popularity} for t in tracks}.values()
    )
    for chunk in _chunks(rows):
        stmt = insert(TrackIsrc).values(list(chunk))
        stmt = stmt.on_conflict_do_update(
            index_elements=[TrackIsrc.spotify_id],
            set_={"isrc": stmt.excluded.isrc, "popularity": stmt.excluded.popularity},
            where=tuple_(TrackIsrc.isrc, TrackIsrc.popularity).is_distinct_from(
                tuple_(stmt.excluded.isrc, stmt.excluded.popularity)
            ),
        )
        await session.execute(stmt)


def _song_row(c: Candidate) -> dict[str, Any]:
    return {
        "spotify_id": c.track.id,
        "isrc": c.track.isrc,
        "name": c.track.name,
        "album_id": c.album.id,
        "album_name": c.album.name,
        "album_type": c.album.album_type,
        "release_date": c.album.release_date or None,
        "duration_ms": c.track.duration_ms,
        "popularity": c.track.popularity,
        "is_remix": is_remix(c.track.name),
    }


async def _upsert_songs(session: AsyncSession, kept: Sequence[Candidate]) -> tuple[int, dict[str, UUID]]:
    written = 0
    rows = [_song_row(c) for c in kept]
    for chunk in _chunks(rows):
        stmt = insert(Song).values(list(chunk))
        new = stmt.excluded
        # Facts only Extended mode or a later backfill knows are never erased by a Development import.
        values = {
            "isrc": func.coalesce(new.isrc, Song.isrc),
            "name": new.name,
            "album_id": new.album_id,
            "album_name": new.album_name,
            "album_type": new.album_type,
            "release_date": new.release_date,
            "duration_ms": new.duration_ms,
            "popularity": func.coalesce(new.popularity, Song.popularity),
            "is_remix": new.is_remix,
        }
        current = tuple_(*(getattr(Song, k) for k in values))
        stmt = stmt.on_conflict_do_update(
            index_elements=[Song.spotify_id],
            set_={**values, "updated_at": func.now()},
            where=current.is_distinct_from(tuple_(*values.values())),
        )
        result = await session.execute(stmt.returning(Song.id))
        written += len(result.all())
    ids = bindparam("ids", [r["spotify_id"] for r in rows], type_=ARRAY(String))
    found = await session.execute(select(Song.spotify_id, Song.id).where(Song.spotify_id == func.any(ids)))
    return written, dict(found.tuples().all())


async def persist(session: AsyncSession, artist_id: UUID, import_id: UUID, plan: CatalogPlan) -> StoreCounts:
    """Write the plan in the caller's transaction. Serialised per artist against redelivered events."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('catalog:' || :artist))"), {"artist": str(artist_id)}
    )
    written, song_ids = await _upsert_songs(session, plan.kept)
    keep = bindparam("keep", [song_ids[c.id] for c in plan.kept], type_=ARRAY(Song.id.type))

    # Links first removed, then added: the (artist, isrc) unique index never sees a stale link.
    removed = await session.execute(
        delete(ArtistSong)
        .where(ArtistSong.artist_id == artist_id, ArtistSong.song_id != func.all(keep))
        .returning(ArtistSong.song_id)
    )
    removed_ids = [r[0] for r in removed]
    added = 0
    links = [{"artist_id": artist_id, "song_id": song_ids[c.id], "isrc": c.track.isrc} for c in plan.kept]
    for chunk in _chunks(links):
        stmt = insert(ArtistSong).values(list(chunk))
        stmt = stmt.on_conflict_do_update(
            index_elements=[ArtistSong.artist_id, ArtistSong.song_id],
            set_={"isrc": func.coalesce(stmt.excluded.isrc, ArtistSong.isrc)},
            where=ArtistSong.isrc.is_distinct_from(func.coalesce(stmt.excluded.isrc, ArtistSong.isrc)),
        )
        added += len((await session.execute(stmt.returning(ArtistSong.song_id))).all())
    if removed_ids:
        # A song no artist links to any more (now known live, or a duplicate) leaves the song table.
        gone = bindparam("gone", removed_ids, type_=ARRAY(Song.id.type))
        still_linked = select(ArtistSong.song_id).where(ArtistSong.song_id == Song.id).exists()
        await session.execute(delete(Song).where(Song.id == func.any(gone), ~still_linked))

    await _write_decisions(session, artist_id, import_id, plan)
    await session.execute(update(Artist).where(Artist.id == artist_id).values(catalog_synced_at=func.now()))
    return StoreCounts(written, added, len(removed_ids))


async def _write_decisions(
    session: AsyncSession, artist_id: UUID, import_id: UUID, plan: CatalogPlan
) -> None:
    rows = [
        {
            "artist_id": artist_id,
            "spotify_track_id": d.track_id,
            "import_id": import_id,
            "track_name": d.track_name,
            "album_id": d.album_id,
            "album_name": d.album_name,
            "decision": d.verdict.value,
            "reason": d.reason,
            "duplicate_of": d.duplicate_of,
        }
        for d in plan.decisions
    ]
    fetched = bindparam("fetched", [d.track_id for d in plan.decisions], type_=ARRAY(String))
    await session.execute(
        delete(CatalogDecision).where(
            CatalogDecision.artist_id == artist_id, CatalogDecision.spotify_track_id != func.all(fetched)
        )
    )
    content = ("track_name", "album_id", "album_name", "decision", "reason", "duplicate_of")
    for chunk in _chunks(rows):
        stmt = insert(CatalogDecision).values(list(chunk))
        new = stmt.excluded
        # import_id says which import last changed the decision: an unchanged decision keeps its row.
        stmt = stmt.on_conflict_do_update(
            index_elements=[CatalogDecision.artist_id, CatalogDecision.spotify_track_id],
            set_={
                **{k: getattr(new, k) for k in content},
                "import_id": new.import_id,
                "decided_at": func.now(),
            },
            where=tuple_(*(getattr(CatalogDecision, k) for k in content)).is_distinct_from(
                tuple_(*(getattr(new, k) for k in content))
            ),
        )
        await session.execute(stmt)


async def set_spotify_id(session: AsyncSession, artist_id: UUID, spotify_id: str) -> None:
    """Remember a Spotify id found by name, unless another artist row already claims it."""
    taken = select(Artist.id).where(Artist.spotify_id == spotify_id).exists()
    await session.execute(
        update(Artist)
        .where(Artist.id == artist_id, Artist.spotify_id.is_(None), ~taken)
        .values(spotify_id=spotify_id)
    )


async def songs_missing_isrc(session: AsyncSession, artist_id: UUID, limit: int) -> list[str]:
    """The artist's stored songs whose ISRC nobody asked Spotify for yet."""
    asked = select(TrackIsrc.spotify_id).where(TrackIsrc.spotify_id == Song.spotify_id).exists()
    rows = await session.execute(
        select(Song.spotify_id)
        .join(ArtistSong, ArtistSong.song_id == Song.id)
        .where(ArtistSong.artist_id == artist_id, Song.isrc.is_(None), ~asked)
        .order_by(Song.spotify_id)
        .limit(limit)
    )
    return list(rows.scalars())


_FILL_SONGS = text(
    """
    UPDATE song SET isrc = v.isrc, updated_at = now()
    FROM unnest(:ids, :isrcs) AS v(spotify_id, isrc)
    WHERE song.spotify_id = v.spotify_id AND song.isrc IS NULL AND v.isrc IS NOT NULL
    """
).bindparams(bindparam("ids", type_=ARRAY(String)), bindparam("isrcs", type_=ARRAY(String)))

# One link per (artist, ISRC) may carry it: the partial unique index forbids a second one.
_FILL_LINKS = text(
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
    """
).bindparams(bindparam("ids", type_=ARRAY(String)))


async def fill_isrcs(session: AsyncSession, tracks: Sequence[SpotifyTrack]) -> None:
    """Backfill: cache what was learnt and give stored songs and their links the ISRC they lacked."""
    await save_track_isrcs(session, tracks)
    ids = [t.id for t in tracks]
    await session.execute(_FILL_SONGS, {"ids": ids, "isrcs": [t.isrc for t in tracks]})
    await session.execute(_FILL_LINKS, {"ids": ids})
