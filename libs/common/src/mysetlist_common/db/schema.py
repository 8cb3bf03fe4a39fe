"""The whole schema. Alembic migrations create it; services write to it set-based.

It stays one module (a little over 300 lines) on purpose: every table, key and index read in one place,
and one MetaData for Alembic to compare the migrations against.
"""

from datetime import date, datetime, time
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _uuid_pk() -> Mapped[UUID]:
    return mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Artist(Base):
    __tablename__ = "artist"
    id: Mapped[UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    tm_attraction_id: Mapped[str] = mapped_column(String(64), unique=True)
    spotify_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    mbid: Mapped[str | None] = mapped_column(String(36))
    image_url: Mapped[str | None] = mapped_column(Text)
    # set once the attraction's identity (name, image, Spotify id, MBID) was read from Ticketmaster
    identity_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shows_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    catalog_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ArtistSlugAlias(Base):
    """Every slug an artist ever had keeps resolving to it."""

    __tablename__ = "artist_slug_alias"
    slug: Mapped[str] = mapped_column(String(200), primary_key=True)
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _created()


class Venue(Base):
    __tablename__ = "venue"
    id: Mapped[UUID] = _uuid_pk()
    tm_venue_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    state_code: Mapped[str | None] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(32))
    timezone: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Show(Base):
    __tablename__ = "show"
    __table_args__ = (Index("ix_show_artist_id_local_date", "artist_id", text("local_date DESC")),)
    id: Mapped[UUID] = _uuid_pk()
    tm_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    # the artist whose import stored the show first; every artist billed on it is in show_artist
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"))
    venue_id: Mapped[UUID | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    local_date: Mapped[date | None] = mapped_column(Date)
    local_time: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # onsale|offsale|cancelled|postponed|rescheduled
    date_tba: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    time_tba: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    url: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    setlist_ready: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ShowArtist(Base):
    """Which artists a show belongs to: an event billed to a headliner and support acts is each one's show.

    Every per-artist read of shows goes through this table, never through show.artist_id.
    """

    __tablename__ = "show_artist"
    show_id: Mapped[UUID] = mapped_column(ForeignKey("show.id", ondelete="CASCADE"), primary_key=True)
    artist_id: Mapped[UUID] = mapped_column(
        ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Song(Base):
    __tablename__ = "song"
    id: Mapped[UUID] = _uuid_pk()
    spotify_id: Mapped[str] = mapped_column(String(64), unique=True)
    isrc: Mapped[str | None] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(Text)
    album_id: Mapped[str | None] = mapped_column(String(64))
    album_name: Mapped[str | None] = mapped_column(Text)
    album_type: Mapped[str | None] = mapped_column(String(16))
    release_date: Mapped[str | None] = mapped_column(String(10))  # Spotify precision: year, month or day
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    popularity: Mapped[int | None] = mapped_column(Integer, index=True)
    is_remix: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ArtistSong(Base):
    """An artist's catalog. isrc is copied here so the database forbids two songs of one ISRC per artist."""

    __tablename__ = "artist_song"
    __table_args__ = (
        Index(
            "uq_artist_song_artist_id_isrc",
            "artist_id",
            "isrc",
            unique=True,
            postgresql_where=text("isrc IS NOT NULL"),
        ),
    )
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True)
    song_id: Mapped[UUID] = mapped_column(ForeignKey("song.id", ondelete="CASCADE"), primary_key=True)
    isrc: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = _created()


class CatalogDecision(Base):
    """Why each fetched track was kept or dropped: kept, live (rule), duplicate (of which), not_credited."""

    __tablename__ = "catalog_decision"
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True)
    spotify_track_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    import_id: Mapped[UUID] = mapped_column(index=True)
    track_name: Mapped[str] = mapped_column(Text)
    album_id: Mapped[str | None] = mapped_column(String(64))
    album_name: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = _created()


class CatalogRelease(Base):
    """A release the catalog phase fetched for an artist, with its tracks as they were decided on (ISRC and
    popularity filled in). An incremental import fetches only listed releases not here, and decides the
    whole artist again from these rows plus the new ones; a release no longer listed loses its row."""

    __tablename__ = "catalog_release"
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True)
    album_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    live: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))  # skipped as live: no tracks
    mode: Mapped[str] = mapped_column(String(16))  # the Spotify mode it was fetched in
    tracks: Mapped[list] = mapped_column(JSONB)
    fetched_at: Mapped[datetime] = _created()


class TrackIsrc(Base):
    """ISRCs learned from single-track calls, so a re-import never asks twice (Development mode)."""

    __tablename__ = "track_isrc"
    spotify_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    isrc: Mapped[str | None] = mapped_column(String(16))
    popularity: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = _created()


class RateKey(Base):
    """One upstream API key's shared budget (see mysetlist_common.upstream.budget); never the key itself.

    Moments are epoch seconds on the database's clock, the one clock every replica shares.
    """

    __tablename__ = "rate_key"
    upstream: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the key, hex
    tat: Mapped[float] = mapped_column(Float, server_default=text("0"))  # the next free slot (GCRA)
    rate_per_s: Mapped[float] = mapped_column(Float)  # learned after the last decrease
    rate_changed_at: Mapped[float] = mapped_column(Float, server_default=text("0"))
    ceiling_per_s: Mapped[float] = mapped_column(Float)  # the configured rate: never above
    floor_per_s: Mapped[float] = mapped_column(Float)  # a 429 never halves below
    increase_per_s2: Mapped[float] = mapped_column(Float, server_default=text("0"))  # additive increase
    burst_s: Mapped[float] = mapped_column(Float, server_default=text("0"))  # GCRA tolerance
    paused_until: Mapped[float] = mapped_column(Float, server_default=text("0"))
    pause_reason: Mapped[str] = mapped_column(Text, server_default=text("''"))
    quota_per_day: Mapped[int | None] = mapped_column(Integer)  # None: no daily quota
    quota_left: Mapped[int | None] = mapped_column(Integer)
    quota_reset_at: Mapped[float | None] = mapped_column(Float)


class ImportRun(Base):
    __tablename__ = "import_run"
    __table_args__ = (
        # at most one running import per artist: concurrent kickoffs converge on it
        Index(
            "uq_import_run_running_artist",
            "artist_id",
            unique=True,
            postgresql_where=text("state = 'running'"),
        ),
    )
    id: Mapped[UUID] = _uuid_pk()
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))  # running|completed|failed
    requested_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    phases: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class ImportStatus(Base):
    __tablename__ = "import_status"
    artist_id: Mapped[UUID] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"), primary_key=True)
    import_id: Mapped[UUID] = mapped_column()
    stage: Mapped[str] = mapped_column(String(16))  # pending|running|completed|failed
    progress: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    message: Mapped[str] = mapped_column(Text, server_default=text("''"))
    phases: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = _updated()


class ProgressEventRow(Base):
    __tablename__ = "progress_event"
    import_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    artist_id: Mapped[UUID] = mapped_column(index=True)
    event_id: Mapped[UUID] = mapped_column(unique=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSONB)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = _created()


class Inbox(Base):
    __tablename__ = "inbox"
    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    processed_at: Mapped[datetime] = _created()


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _created()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PhaseJob(Base):
    """One phase of one import, from the moment its ImportRequested was consumed until the phase ended.

    The consumer only enqueues (and commits its offset at once); any replica's runner claims the job with
    a lease it keeps renewing. A crashed worker's lease runs out and another takes the job over; a phase
    that must wait long for an upstream parks here (`waiting` until `resume_at`) with what it already
    fetched in `journal`, so no worker and no partition is held while it waits.
    """

    __tablename__ = "phase_job"
    __table_args__ = (Index("ix_phase_job_ready", "phase", "priority", "resume_at"),)
    import_id: Mapped[UUID] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), primary_key=True)
    artist_id: Mapped[UUID] = mapped_column()
    event: Mapped[dict] = mapped_column(JSONB)  # the ImportRequestedEvent, as consumed
    priority: Mapped[int] = mapped_column(Integer)  # 0 a user's import, 1 background work
    state: Mapped[str] = mapped_column(String(16))  # queued|running|waiting
    resume_at: Mapped[datetime] = _created()  # not claimed before this
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[UUID | None] = mapped_column()  # the lease holder (one per claim)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # retryable errors so far
    waiting_for: Mapped[str | None] = mapped_column(String(16))
    waited_s: Mapped[float] = mapped_column(Float, server_default=text("0"))
    journal: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _created()


class DlqReplayed(Base):
    """A dead letter sent back to its topic. Kafka messages cannot be marked, so this table keeps a
    `mysetlist dlq replay` from sending the same one twice (migration 0005_dlq_replayed)."""

    __tablename__ = "dlq_replayed"
    topic: Mapped[str] = mapped_column(String(249), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    replayed_at: Mapped[datetime] = _created()
