"""Spotify Web API answers parsed into small immutable records (Development mode omits some fields)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from mysetlist_common.upstream.http.paginators import PageFacts

T = TypeVar("T")


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
    items: list[Any]  # objects, unless the answer is broken (then the item's parse records it)
    next: str | None
    limit: int | None
    total: int | None = None  # Development mode inflates it: never the end of a listing

    def paging(self) -> PageFacts:
        return PageFacts(items=len(self.items), total=self.total, next=self.next)


def _req(obj: dict[str, Any], key: str, what: str) -> Any:
    try:
        value = obj[key]
    except (KeyError, TypeError):
        raise SpotifyParseError(f"{what} without {key!r}") from None
    if value is None:
        raise SpotifyParseError(f"{what} with null {key!r}")
    return value


def _artist_ids(obj: dict[str, Any]) -> tuple[str, ...]:
    artists = obj.get("artists")
    if artists is None:
        return ()
    if not isinstance(artists, list):
        raise SpotifyParseError("artists is not a list")
    return tuple(a["id"] for a in artists if isinstance(a, dict) and isinstance(a.get("id"), str))


def _int(obj: dict[str, Any], key: str, what: str, default: int | None = None) -> int:
    value = obj.get(key) if default is not None else _req(obj, key, what)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpotifyParseError(f"{what} with a non-numeric {key!r}")
    return int(value)


@dataclass(frozen=True)
class Malformed:
    """An item of an answer that could not be parsed: skipped, counted, and kept as a record."""

    kind: str  # track | full_track | album | artist
    id: str | None  # when the item had a usable id
    name: str | None
    album_id: str | None
    reason: str


def parse_each(
    items: Iterable[Any],
    parse: Callable[[dict[str, Any]], T],
    kind: str,
    album_id: str | None = None,
) -> tuple[list[T], list[Malformed]]:
    """Parse every item; one that does not parse is left out and described, never fails the rest."""
    parsed: list[T] = []
    malformed: list[Malformed] = []
    for item in items:
        try:
            parsed.append(parse(item))
        except SpotifyParseError as exc:
            raw = item if isinstance(item, dict) else {}
            item_id, name = raw.get("id"), raw.get("name")
            malformed.append(
                Malformed(
                    kind,
                    item_id if isinstance(item_id, str) and 0 < len(item_id) <= 64 else None,
                    name if isinstance(name, str) else None,
                    album_id,
                    str(exc),
                )
            )
    return parsed, malformed


def parse_page(obj: dict[str, Any], what: str = "page") -> Page:
    if not isinstance(obj, dict):
        raise SpotifyParseError(f"{what} is not an object")
    items = obj.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise SpotifyParseError(f"{what} items is not a list")
    # Spotify sends null entries for unavailable items: skip them rather than fail.
    total = obj.get("total")
    return Page(
        [i for i in items if i is not None],
        obj.get("next"),
        obj.get("limit"),
        total if isinstance(total, int) else None,
    )


def _str(obj: dict[str, Any], key: str, what: str) -> str:
    value = _req(obj, key, what)
    if not isinstance(value, str) or not value:
        raise SpotifyParseError(f"{what} with an empty or non-text {key!r}")
    return value


def parse_artist(obj: dict[str, Any]) -> SpotifyArtist:
    return SpotifyArtist(id=_str(obj, "id", "artist"), name=_str(obj, "name", "artist"))


def parse_album(obj: dict[str, Any], group: str | None = None) -> SpotifyAlbum:
    return SpotifyAlbum(
        id=_str(obj, "id", "album"),
        name=_str(obj, "name", "album"),
        album_type=str(obj.get("album_type") or "album").lower(),
        album_group=group or obj.get("album_group"),
        release_date=str(obj.get("release_date") or ""),
        total_tracks=obj["total_tracks"] if isinstance(obj.get("total_tracks"), int) else None,
        artist_ids=_artist_ids(obj),
    )


def parse_track(obj: dict[str, Any], album_id: str | None = None) -> SpotifyTrack:
    """A simplified (album tracks) or full (track, several tracks) track object."""
    if not isinstance(obj, dict):
        raise SpotifyParseError("track is not an object")
    album = obj.get("album")
    album_id = album_id or (album.get("id") if isinstance(album, dict) else None)
    if not isinstance(album_id, str) or not album_id:
        raise SpotifyParseError("track without album id")
    external = obj.get("external_ids")
    isrc = external.get("isrc") if isinstance(external, dict) else None
    popularity = obj.get("popularity")
    return SpotifyTrack(
        id=_str(obj, "id", "track"),
        name=_str(obj, "name", "track"),
        album_id=album_id,
        duration_ms=_int(obj, "duration_ms", "track"),
        artist_ids=_artist_ids(obj),
        disc_number=_int(obj, "disc_number", "track", default=1) or 1,
        track_number=_int(obj, "track_number", "track", default=0),
        isrc=isrc.upper() if isinstance(isrc, str) and isrc else None,
        popularity=popularity if isinstance(popularity, int) and not isinstance(popularity, bool) else None,
    )


def parse_album_with_tracks(obj: dict[str, Any], group: str | None = None) -> tuple[SpotifyAlbum, Page]:
    """A full album (GET /albums/{id} or an entry of GET /albums?ids=) with its first tracks page."""
    album = parse_album(obj, group)
    return album, parse_page(obj.get("tracks") or {}, f"tracks of album {album.id}")


def parse_audio_features(obj: dict[str, Any]) -> dict[str, float]:
    """Track id -> liveness; tracks without features are simply absent."""
    out: dict[str, float] = {}
    for f in obj.get("audio_features") or ():
        if isinstance(f, dict) and f.get("id") and isinstance(f.get("liveness"), int | float):
            out[f["id"]] = float(f["liveness"])
    return out
