"""How the Spotify Web API reads a request and answers the common kinds: the mode in force, links back to
this simulator, limit/offset and ids parameters with Spotify's 400s, get-one (404) and get-several (null
for an unknown id) endpoints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from .core import Sim, int_param, json_response
from .spotify_json import error

T = TypeVar("T")
MAX_IDS = {"albums": 20, "tracks": 50, "artists": 50, "audio-features": 100}


def extended(sim: Sim) -> bool:
    return bool(sim.config.spotify_mode == "extended")


def base_url(request: Request) -> str:
    """Links point back at this simulator, on the host the client used."""
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int | Response:
    raw, value = int_param(request, name)
    if raw is None:
        return default
    if value is None or not lo <= value <= hi:
        return error(400, f"Invalid {name}")
    return value


def paging_params(request: Request, default: int, maximum: int) -> tuple[int, int] | Response:
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


def forbidden_in_development(sim: Sim) -> Response | None:
    return None if extended(sim) else error(403, "Forbidden")


def get_one(request: Request, items: Mapping[str, T], render: Callable[[T], dict[str, Any]]) -> Response:
    """A get-one endpoint: the item named by the path's id, or 404."""
    found = items.get(request.path_params["id"])
    if found is None:
        return error(404, "Resource not found")
    return json_response(render(found))


def get_several(
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
