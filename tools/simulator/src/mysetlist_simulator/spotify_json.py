"""Spotify's JSON shapes as the Web API serves them: artists, albums and tracks (simplified and full,
with the Extended Quota Mode fields only in that mode), paging objects, audio features and errors."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from .core import json_response
from .model import Album, SpotifyArtist, Track


def error(status: int, message: str, **extra: Any) -> Response:
    return json_response({"error": {"status": status, "message": message, **extra}}, status)


def error_body(status: int) -> dict[str, Any]:
    messages = {500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable", 504: "Gateway timeout"}
    return {"error": {"status": status, "message": messages.get(status, "Server error.")}}


def artist_ref(a: SpotifyArtist, base: str) -> dict[str, Any]:
    return {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{a.id}"},
        "href": f"{base}/v1/artists/{a.id}",
        "id": a.id,
        "name": a.name,
        "type": "artist",
        "uri": f"spotify:artist:{a.id}",
    }


def images(key: str) -> list[dict[str, Any]]:
    digest = hashlib.sha1(key.encode()).hexdigest()
    return [
        {"height": size, "url": f"https://i.scdn.co/image/{digest}{size}", "width": size}
        for size in (640, 300, 64)
    ]


def artist_full(a: SpotifyArtist, base: str, ext: bool) -> dict[str, Any]:
    body = {
        **artist_ref(a, base),
        "followers": {"href": None, "total": a.followers},
        "genres": a.genres,
        "images": images(a.id),
    }
    if ext:
        body["popularity"] = a.popularity
    return body


def album_simple(album: Album, base: str, ext: bool, group: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if group and ext:
        body["album_group"] = group
    body["album_type"] = album.album_type
    body["artists"] = [artist_ref(a, base) for a in album.artists]
    if ext:
        body["available_markets"] = list(album.markets)
    body.update(
        external_urls={"spotify": f"https://open.spotify.com/album/{album.id}"},
        href=f"{base}/v1/albums/{album.id}",
        id=album.id,
        images=images(album.id),
        name=album.name,
        release_date=album.release_date,
        release_date_precision="day",
        total_tracks=len(album.tracks),
        type="album",
        uri=f"spotify:album:{album.id}",
    )
    return body


def track_simple(t: Track, base: str, ext: bool, linked_from: Track | None = None) -> dict[str, Any]:
    assert t.album is not None
    body: dict[str, Any] = {"artists": [artist_ref(a, base) for a in t.artists]}
    if ext:
        body["available_markets"] = list(t.album.markets)
    body.update(
        disc_number=1,
        duration_ms=t.duration_ms,
        explicit=t.explicit,
        external_urls={"spotify": f"https://open.spotify.com/track/{t.id}"},
        href=f"{base}/v1/tracks/{t.id}",
        id=t.id,
        is_local=False,
        name=t.name,
        preview_url=f"https://p.scdn.co/mp3-preview/{hashlib.sha1(t.id.encode()).hexdigest()}",
        track_number=t.track_number,
        type="track",
        uri=f"spotify:track:{t.id}",
    )
    if ext and linked_from is not None:
        body["linked_from"] = {
            "external_urls": {"spotify": f"https://open.spotify.com/track/{linked_from.id}"},
            "href": f"{base}/v1/tracks/{linked_from.id}",
            "id": linked_from.id,
            "type": "track",
            "uri": f"spotify:track:{linked_from.id}",
        }
    return body


def track_full(t: Track, base: str, ext: bool, linked_from: Track | None = None) -> dict[str, Any]:
    assert t.album is not None
    body = track_simple(t, base, ext, linked_from)
    body["album"] = album_simple(t.album, base, ext)
    body["external_ids"] = {"isrc": t.isrc} if t.isrc else {}
    if ext:
        body["popularity"] = t.popularity
    return body


def album_full(album: Album, base: str, ext: bool) -> dict[str, Any]:
    body = album_simple(album, base, ext)
    body["copyrights"] = [{"text": f"(P) {album.release_date[:4]} {album.label}", "type": "P"}]
    body["external_ids"] = {"upc": album.upc}
    body["genres"] = []
    if ext:
        body["label"] = album.label
        body["popularity"] = album.popularity
    items = [track_simple(t, base, ext) for t in album.tracks]
    body["tracks"] = page_body(items, 0, 50, f"{base}/v1/albums/{album.id}/tracks", [], unreliable=False)
    return body


def page_body(
    items: list[Any], offset: int, limit: int, url: str, params: list[tuple[str, str]], unreliable: bool
) -> dict[str, Any]:
    """A Spotify paging object over the full list. Unreliable paging inflates `total`, so that `next`
    keeps pointing past the real items to pages without any."""
    total = len(items) + (max(3, len(items) // 4) if unreliable else 0)

    def link(at: int) -> str:
        return f"{url}?{urlencode([('offset', at), ('limit', limit), *params])}"

    return {
        "href": link(offset),
        "items": items[offset : offset + limit],
        "limit": limit,
        "next": link(offset + limit) if offset + limit < total else None,
        "offset": offset,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "total": total,
    }


def features(t: Track, base: str) -> dict[str, Any]:
    h = hashlib.sha1(t.id.encode()).digest()

    def unit(i: int) -> float:
        return round(h[i] / 255, 4)

    live = t.recording.kind == "live"
    return {
        "danceability": unit(0),
        "energy": unit(1),
        "key": h[2] % 12,
        "loudness": round(-2 - h[3] / 20, 3),
        "mode": h[4] % 2,
        "speechiness": round(unit(5) / 5, 4),
        "acousticness": unit(6),
        "instrumentalness": round(unit(7) / 3, 4),
        "liveness": round(0.72 + unit(8) * 0.26 if live else 0.03 + unit(8) * 0.3, 4),
        "valence": unit(9),
        "tempo": round(70 + h[10] / 2, 3),
        "type": "audio_features",
        "id": t.id,
        "uri": f"spotify:track:{t.id}",
        "track_href": f"{base}/v1/tracks/{t.id}",
        "analysis_url": f"{base}/v1/audio-analysis/{t.id}",
        "duration_ms": t.duration_ms,
        "time_signature": 3 + h[11] % 2,
    }
