"""Spotify Web API (/v1) endpoints, in Development or Extended Quota Mode: artists, their albums and top
tracks, albums and their tracks, tracks, audio features and search. Tokens and limits are in
spotify_auth.py, the JSON shapes in spotify_json.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import Sim, json_response, upstream_route
from .model import Album, Track
from .spotify_auth import check, no_check, token
from .spotify_json import (
    album_full,
    album_simple,
    artist_full,
    error,
    error_body,
    features,
    page_body,
    track_full,
    track_simple,
)
from .spotify_requests import (
    base_url,
    extended,
    forbidden_in_development,
    get_one,
    get_several,
    paging_params,
)
from .words import normalise

GROUP_ORDER = ("album", "single", "appears_on", "compilation")


def group_of(album: Album, artist_id: str) -> str:
    if all(a.id != artist_id for a in album.artists):
        return "appears_on"
    return album.album_type  # album | single | compilation


async def artist(sim: Sim, request: Request) -> Response:
    base, ext = base_url(request), extended(sim)
    return get_one(request, sim.catalog.spotify_artists, lambda a: artist_full(a, base, ext))


async def several_artists(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), forbidden_in_development(sim)
    return get_several(
        request, "artists", denied, sim.catalog.spotify_artists, lambda a: artist_full(a, base, True)
    )


async def artist_albums(sim: Sim, request: Request) -> Response:
    artist_id = request.path_params["id"]
    if artist_id not in sim.catalog.spotify_artists:
        return error(404, "Resource not found")
    ext = extended(sim)
    paging = paging_params(request, 20, 50 if ext else 10)
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
    return get_one(request, sim.catalog.albums, lambda a: album_full(a, base, ext))


async def several_albums(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), forbidden_in_development(sim)
    return get_several(request, "albums", denied, sim.catalog.albums, lambda a: album_full(a, base, True))


async def album_tracks(sim: Sim, request: Request) -> Response:
    album_id = request.path_params["id"]
    found = sim.catalog.albums.get(album_id)
    if found is None:
        return error(404, "Resource not found")
    paging = paging_params(request, 20, 50)
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
    return get_one(request, sim.catalog.tracks, render)


async def several_tracks(sim: Sim, request: Request) -> Response:
    denied = forbidden_in_development(sim)
    render = _relinked_full(base_url(request), True, request.query_params.get("market"))
    return get_several(request, "tracks", denied, sim.catalog.tracks, render)


async def top_tracks(sim: Sim, request: Request) -> Response:
    denied = forbidden_in_development(sim)
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


def _audio_features_denied(sim: Sim) -> Response | None:
    if extended(sim) and sim.config.audio_features_grandfathered:
        return None
    return error(403, "Forbidden")


async def audio_features(sim: Sim, request: Request) -> Response:
    base, denied = base_url(request), _audio_features_denied(sim)
    return get_several(request, "audio-features", denied, sim.catalog.tracks, lambda t: features(t, base))


async def audio_feature(sim: Sim, request: Request) -> Response:
    denied = _audio_features_denied(sim)
    if denied:
        return denied
    base = base_url(request)
    return get_one(request, sim.catalog.tracks, lambda t: features(t, base))


async def search(sim: Sim, request: Request) -> Response:
    ext = extended(sim)
    paging = paging_params(request, 20 if ext else 5, 50 if ext else 10)
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
