"""Spotify Web API answers parsed into small immutable records (Development mode omits some fields)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class SpotifyMode(StrEnum):
    DEVELOPMENT = "development"
    EXTENDED = "extended"


class SpotifyParseError(ValueError):
    """An answer that lacks a field the import cannot do without."""


@dataclass(frozen=True)
class SpotifyArtist:
    id: str
    name: str


@dataclass(frozen=True)
class SpotifyAlbum:
    id: str
    name: str
    album_type: str  # album | single | compilation
    album_group: str | None  # absent in Development mode; set by us when we queried one group
    release_date: str  # year, month or day precision
    total_tracks: int | None
    artist_ids: tuple[str, ...]


@dataclass(frozen=True)
class SpotifyTrack:
    id: str
    name: str
    album_id: str
    duration_ms: int
    artist_ids: tuple[str, ...]
    disc_number: int = 1
    track_number: int = 0
    isrc: str | None = None  # only on full track objects
    popularity: int | None = None  # Extended mode only


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None
    limit: int | None


def _req(obj: dict[str, Any], key: str, what: str) -> Any:
    try:
        value = obj[key]
    except (KeyError, TypeError):
        raise SpotifyParseError(f"{what} without {key!r}") from None
    if value is None:
        raise SpotifyParseError(f"{what} with null {key!r}")
    return value


def _artist_ids(obj: dict[str, Any]) -> tuple[str, ...]:
    return tuple(a["id"] for a in obj.get("artists") or () if a and a.get("id"))


def parse_page(obj: dict[str, Any], what: str = "page") -> Page:
    if not isinstance(obj, dict):
        raise SpotifyParseError(f"{what} is not an object")
    items = obj.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise SpotifyParseError(f"{what} items is not a list")
    # Spotify sends null entries for unavailable items: skip them rather than fail.
    return Page([i for i in items if isinstance(i, dict)], obj.get("next"), obj.get("limit"))


def parse_artist(obj: dict[str, Any]) -> SpotifyArtist:
    return SpotifyArtist(id=_req(obj, "id", "artist"), name=_req(obj, "name", "artist"))


def parse_album(obj: dict[str, Any], group: str | None = None) -> SpotifyAlbum:
    return SpotifyAlbum(
        id=_req(obj, "id", "album"),
        name=_req(obj, "name", "album"),
        album_type=str(obj.get("album_type") or "album").lower(),
        album_group=group or obj.get("album_group"),
        release_date=str(obj.get("release_date") or ""),
        total_tracks=obj.get("total_tracks"),
        artist_ids=_artist_ids(obj),
    )


def parse_track(obj: dict[str, Any], album_id: str | None = None) -> SpotifyTrack:
    """A simplified (album tracks) or full (track, several tracks) track object."""
    album = obj.get("album") or {}
    album_id = album_id or album.get("id")
    if not album_id:
        raise SpotifyParseError("track without album id")
    isrc = (obj.get("external_ids") or {}).get("isrc") or None
    return SpotifyTrack(
        id=_req(obj, "id", "track"),
        name=_req(obj, "name", "track"),
        album_id=album_id,
        duration_ms=int(_req(obj, "duration_ms", "track")),
        artist_ids=_artist_ids(obj),
        disc_number=int(obj.get("disc_number") or 1),
        track_number=int(obj.get("track_number") or 0),
        isrc=isrc.upper() if isinstance(isrc, str) else None,
        popularity=obj.get("popularity"),
    )


def parse_album_with_tracks(obj: dict[str, Any], group: str | None = None) -> tuple[SpotifyAlbum, Page]:
    """A full album (GET /albums/{id} or an entry of GET /albums?ids=) with its first tracks page."""
    album = parse_album(obj, group)
    return album, parse_page(obj.get("tracks") or {}, "album tracks")


def parse_audio_features(obj: dict[str, Any]) -> dict[str, float]:
    """Track id -> liveness; tracks without features are simply absent."""
    out: dict[str, float] = {}
    for f in obj.get("audio_features") or ():
        if isinstance(f, dict) and f.get("id") and isinstance(f.get("liveness"), int | float):
            out[f["id"]] = float(f["liveness"])
    return out
