"""Spotify accounts (/api/token) and Web API (/v1), in Development or Extended Quota Mode."""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import ADMIT, Sim, Verdict, json_response, upstream_route
from .limits import clock
from .model import Album, SpotifyArtist, Track
from .words import normalise

T = TypeVar("T")
GROUP_ORDER = ("album", "single", "appears_on", "compilation")
MAX_IDS = {"albums": 20, "tracks": 50, "artists": 50, "audio-features": 100}


def error(status: int, message: str, **extra: Any) -> Response:
    return json_response({"error": {"status": status, "message": message, **extra}}, status)


def error_body(status: int) -> dict[str, Any]:
    messages = {500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable", 504: "Gateway timeout"}
    return {"error": {"status": status, "message": messages.get(status, "Server error.")}}


def extended(sim: Sim) -> bool:
    return bool(sim.config.spotify_mode == "extended")


def base_url(request: Request) -> str:
    """Links point back at this simulator, on the host the client used."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


# --- auth and limits ---------------------------------------------------------------------------
async def token(sim: Sim, request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 400)
    if form.get("grant_type") != "client_credentials":
        body = {"error": "unsupported_grant_type", "error_description": "grant_type parameter is missing"}
        return json_response(body, 400)
    if client_id != sim.config.spotify_client_id:
        return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 400)
    if client_secret != sim.config.spotify_client_secret:
        return json_response({"error": "invalid_client", "error_description": "Invalid client secret"}, 400)
    now = clock()
    if len(sim.tokens) > 10_000:
        sim.tokens = {t: exp for t, exp in sim.tokens.items() if exp > now}
    access = secrets.token_urlsafe(48)
    ttl = int(sim.config.token_ttl_s)
    sim.tokens[access] = now + ttl
    return json_response({"access_token": access, "token_type": "Bearer", "expires_in": ttl})


def no_check(sim: Sim, request: Request) -> Verdict:
    return ADMIT


def check(sim: Sim, request: Request) -> Verdict:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return Verdict(error(401, "No token provided"))
    now = clock()
    expiry = sim.tokens.get(auth[7:].strip())
    if expiry is None:
        return Verdict(error(401, "Invalid access token"))
    if now >= expiry:
        return Verdict(error(401, "The access token expired"))
    if sim.config.spotify_quota_exceeded:
        response = error(429, "API rate limit exceeded", reason="QUOTA_EXCEEDED")
        response.headers["Retry-After"] = "86400"
        return Verdict(response, rate_limited=True)
    key = f"sp:{sim.config.spotify_client_id}"
    wait = sim.penalty.blocked(key, now)
    if wait <= 0:
        accepted, frees_in = sim.windows.admit(key, int(sim.config.rate_limits["spotify_per_30s"]), 30.0, now)
        if accepted:
            return ADMIT
        wait = sim.config.spotify_retry_after_s or frees_in
        sim.penalty.block(key, wait, now)
    response = error(429, "API rate limit exceeded")
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return Verdict(response, rate_limited=True)


# --- rendering -------------------------------------------------------------------------------
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


# --- endpoints -------------------------------------------------------------------------------
def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int | Response:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return error(400, f"Invalid {name}")
    if not lo <= value <= hi:
        return error(400, f"Invalid {name}")
    return value


def _paging_params(request: Request, default: int, maximum: int) -> tuple[int, int] | Response:
    limit = _int_param(request, "limit", default, 1, maximum)
    if isinstance(limit, Response):
        return limit
    offset = _int_param(request, "offset", 0, 0, 100_000)
    if isinstance(offset, Response):
        return offset
    return offset, limit


def _ids(request: Request, kind: str) -> list[str] | Response:
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if not ids:
        return error(400, "invalid id")
    if len(ids) > MAX_IDS[kind]:
        return error(400, "Too many ids requested")
    return ids


def _forbidden_in_development(sim: Sim) -> Response | None:
    return None if extended(sim) else error(403, "Forbidden")


def _one(request: Request, items: Mapping[str, T], render: Callable[[T], dict[str, Any]]) -> Response:
    """A get-one endpoint: the item named by the path's id, or 404."""
    found = items.get(request.path_params["id"])
    if found is None:
        return error(404, "Resource not found")
    return json_response(render(found))


def _several(
    request: Request,
    kind: str,
    denied: Response | None,
    items: Mapping[str, T],
    render: Callable[[T], dict[str, Any]],
) -> Response:
    """A get-several endpoint: one entry per asked id, in order, null for an unknown one."""
    if denied:
        return denied
    ids = _ids(request, kind)
    if isinstance(ids, Response):
        return ids
    return json_response({kind.replace("-", "_"): [render(items[i]) if i in items else None for i in ids]})


def group_of(album: Album, artist_id: str) -> str:
    if all(a.id != artist_id for a in album.artists):
        return "appears_on"
    return album.album_type  # album | single | compilation


async def artist(sim: Sim, request: Request) -> Response:
    base, ext = base_url(request), extended(sim)
    return _one(request, sim.catalog.spotify_artists, lambda a: artist_full(a, base, ext))


async def several_artists(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), _forbidden_in_development(sim)
    return _several(
        request, "artists", denied, sim.catalog.spotify_artists, lambda a: artist_full(a, base, True)
    )


async def artist_albums(sim: Sim, request: Request) -> Response:
    artist_id = request.path_params["id"]
    if artist_id not in sim.catalog.spotify_artists:
        return error(404, "Resource not found")
    ext = extended(sim)
    paging = _paging_params(request, 20, 50 if ext else 10)
    if isinstance(paging, Response):
        return paging
    offset, limit = paging
    q = request.query_params
    groups = [g for g in q.get("include_groups", ",".join(GROUP_ORDER)).split(",") if g]
    if any(g not in GROUP_ORDER for g in groups):
        return error(400, "Invalid include_groups value")
    market = q.get("market")
    albums = [(group_of(a, artist_id), a) for a in sim.catalog.albums_by_artist.get(artist_id, [])]
    albums = [(g, a) for g, a in albums if g in groups]
    albums.sort(key=lambda ga: (ga[1].release_date, ga[1].id), reverse=True)  # newest first ...
    albums.sort(key=lambda ga: GROUP_ORDER.index(ga[0]))  # ... within each group (the sort is stable)
    listed: list[tuple[str, Album]] = []
    for group, album in albums:
        listed.append((group, album))
        if not market:  # without a market the same album repeats under other ids
            listed += [(group, copy) for copy in sim.catalog.copies.get(album.id, [])]
    base = base_url(request)
    params = [(k, v) for k, v in q.multi_items() if k not in ("offset", "limit")]
    body = page_body(
        listed, offset, limit, f"{base}/v1/artists/{artist_id}/albums", params, sim.config.unreliable_paging
    )
    body["items"] = [album_simple(a, base, ext, g) for g, a in body["items"]]
    return json_response(body)


async def album(sim: Sim, request: Request) -> Response:
    base, ext = base_url(request), extended(sim)
    return _one(request, sim.catalog.albums, lambda a: album_full(a, base, ext))


async def several_albums(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), _forbidden_in_development(sim)
    return _several(request, "albums", denied, sim.catalog.albums, lambda a: album_full(a, base, True))


async def album_tracks(sim: Sim, request: Request) -> Response:
    album_id = request.path_params["id"]
    found = sim.catalog.albums.get(album_id)
    if found is None:
        return error(404, "Resource not found")
    paging = _paging_params(request, 20, 50)
    if isinstance(paging, Response):
        return paging
    offset, limit = paging
    base, ext = base_url(request), extended(sim)
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]
    body = page_body(
        found.tracks,
        offset,
        limit,
        f"{base}/v1/albums/{album_id}/tracks",
        params,
        sim.config.unreliable_paging,
    )
    body["items"] = [track_simple(t, base, ext) for t in body["items"]]
    return json_response(body)


def _relinked(t: Track, market: str | None) -> tuple[Track, Track | None]:
    """With a market, a market copy is answered by the canonical track, linked from the one asked for."""
    if market and t.base is not None:
        return t.base, t
    return t, None


def _relinked_full(base: str, ext: bool, market: str | None) -> Callable[[Track], dict[str, Any]]:
    """Renders a full track; in extended mode a market copy is relinked to its canonical track."""

    def render(t: Track) -> dict[str, Any]:
        shown, linked = _relinked(t, market) if ext else (t, None)
        return track_full(shown, base, ext, linked)

    return render


async def track(sim: Sim, request: Request) -> Response:
    render = _relinked_full(base_url(request), extended(sim), request.query_params.get("market"))
    return _one(request, sim.catalog.tracks, render)


async def several_tracks(sim: Sim, request: Request) -> Response:
    denied = _forbidden_in_development(sim)
    render = _relinked_full(base_url(request), True, request.query_params.get("market"))
    return _several(request, "tracks", denied, sim.catalog.tracks, render)


async def top_tracks(sim: Sim, request: Request) -> Response:
    denied = _forbidden_in_development(sim)
    if denied:
        return denied
    artist_id = request.path_params["id"]
    if artist_id not in sim.catalog.spotify_artists:
        return error(404, "Resource not found")
    own = [
        t
        for a in sim.catalog.albums_by_artist.get(artist_id, [])
        for t in a.tracks
        if any(x.id == artist_id for x in t.artists)
    ]
    own.sort(key=lambda t: (-t.popularity, t.id))
    base = base_url(request)
    return json_response({"tracks": [track_full(t, base, True) for t in own[:10]]})


def _features(t: Track, base: str) -> dict[str, Any]:
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


def _audio_features_denied(sim: Sim) -> Response | None:
    if extended(sim) and sim.config.audio_features_grandfathered:
        return None
    return error(403, "Forbidden")


async def audio_features(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), _audio_features_denied(sim)
    return _several(request, "audio-features", denied, sim.catalog.tracks, lambda t: _features(t, base))


async def audio_feature(sim: Sim, request: Request) -> Response:
    denied = _audio_features_denied(sim)
    if denied:
        return denied
    base = base_url(request)
    return _one(request, sim.catalog.tracks, lambda t: _features(t, base))


async def search(sim: Sim, request: Request) -> Response:
    ext = extended(sim)
    paging = _paging_params(request, 20 if ext else 5, 50 if ext else 10)
    if isinstance(paging, Response):
        return paging
    offset, limit = paging
    q = request.query_params
    query = q.get("q", "")
    if not query:
        return error(400, "No search query")
    kinds = [k for k in q.get("type", "").split(",") if k]
    if not kinds or any(k not in ("artist", "album", "track") for k in kinds):
        return error(400, "Missing or invalid parameter type")
    # Field filters ("artist:Name") narrow nothing here: every term must appear in the name.
    wanted = normalise(" ".join(part.split(":", 1)[-1] for part in query.split()))
    base, catalog = base_url(request), sim.catalog
    body: dict[str, Any] = {}
    url = f"{base}/v1/search"
    for kind in kinds:
        params = [("query", query), ("type", kind)]
        items: list[Any]
        if kind == "artist":
            items = sorted(
                (a for a in catalog.spotify_artists.values() if wanted in normalise(a.name)),
                key=lambda a: (normalise(a.name) != wanted, -a.popularity),
            )
            page = page_body(items, offset, limit, url, params, False)
            page["items"] = [artist_full(a, base, ext) for a in page["items"]]
        elif kind == "album":
            items = [a for a in catalog.albums.values() if a.base is None and wanted in normalise(a.name)]
            page = page_body(items, offset, limit, url, params, False)
            page["items"] = [album_simple(a, base, ext) for a in page["items"]]
        else:
            items = [t for t in catalog.tracks.values() if t.base is None and wanted in normalise(t.name)]
            page = page_body(items, offset, limit, url, params, False)
            page["items"] = [track_full(t, base, ext) for t in page["items"]]
        body[f"{kind}s"] = page
    return json_response(body)


def routes() -> list[Route]:
    def route(path: str, name: str, handler: Any, methods: tuple[str, ...] = ("GET",)) -> Route:
        return upstream_route(
            path, "spotify", name, handler, no_check if name == "token" else check, error_body, methods
        )

    return [
        route("/api/token", "token", token, ("POST",)),
        route("/v1/artists", "several_artists", several_artists),
        route("/v1/artists/{id}", "artist", artist),
        route("/v1/artists/{id}/albums", "artist_albums", artist_albums),
        route("/v1/artists/{id}/top-tracks", "top_tracks", top_tracks),
        route("/v1/albums", "several_albums", several_albums),
        route("/v1/albums/{id}", "album", album),
        route("/v1/albums/{id}/tracks", "album_tracks", album_tracks),
        route("/v1/tracks", "several_tracks", several_tracks),
        route("/v1/tracks/{id}", "track", track),
        route("/v1/audio-features", "audio_features", audio_features),
        route("/v1/audio-features/{id}", "audio_feature", audio_feature),
        route("/v1/search", "search", search),
    ]
