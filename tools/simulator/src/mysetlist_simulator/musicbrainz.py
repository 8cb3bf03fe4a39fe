"""MusicBrainz /ws/2 release groups: search (query=arid:... AND secondarytype:live) and browse (artist=)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .core import ADMIT, Sim, Verdict, json_response, upstream_route
from .limits import clock, per_second
from .model import ReleaseGroup
from .words import normalise

RATE_TEXT = (
    "Your requests are exceeding the allowable rate limit. Please see "
    "https://wiki.musicbrainz.org/XML_Web_Service/Rate_Limiting for more information."
)
TERM = re.compile(r'(\w+):("[^"]*"|[^\s()]+)')


def type_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"musicbrainz:release-group-type:{name.lower()}"))


def error_body(status: int) -> dict[str, Any]:
    return {"error": f"Server error ({status}); please try again later."}


def check(sim: Sim, request: Request) -> Verdict:
    if not request.headers.get("user-agent", "").strip():
        body = {"error": "A meaningful User-Agent header with contact information is required."}
        return Verdict(json_response(body, 403))
    count, window = per_second(
        sim.config.rate_limits["musicbrainz_per_s"], sim.config.rate_window_tolerance_ms / 1000
    )
    client = request.client.host if request.client else "unknown"
    accepted, _ = sim.windows.admit(f"mb:{client}", count, window, clock())
    if not accepted:
        return Verdict(json_response({"error": RATE_TEXT}, 503), rate_limited=True)
    return ADMIT


def group_json(rg: ReleaseGroup, score: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": rg.id, "type-id": type_id(rg.primary_type)}
    if score:
        body["score"] = 100
    body.update(
        {
            "primary-type-id": type_id(rg.primary_type),
            "count": len(rg.release_ids),
            "title": rg.title,
            "first-release-date": rg.first_release_date,
            "primary-type": rg.primary_type,
            "secondary-types": rg.secondary_types,
            "secondary-type-ids": [type_id(s) for s in rg.secondary_types],
            "artist-credit": [
                {
                    "name": rg.artist_name,
                    "artist": {"id": rg.artist_mbid, "name": rg.artist_name, "sort-name": rg.artist_name},
                }
            ],
            "releases": [
                {"id": r, "status-id": type_id("official"), "title": rg.title, "status": "Official"}
                for r in rg.release_ids
            ],
        }
    )
    return body


def _types(rg: ReleaseGroup) -> set[str]:
    return {rg.primary_type.lower(), *(s.lower() for s in rg.secondary_types)}


def _paging(request: Request) -> tuple[int, int] | Response:
    try:
        limit = int(request.query_params.get("limit", 25))
        offset = int(request.query_params.get("offset", 0))
    except ValueError:
        return json_response({"error": "Invalid limit or offset"}, 400)
    return max(0, offset), min(max(limit, 1), 100)


def _matches(rg: ReleaseGroup, terms: list[tuple[str, str]]) -> bool:
    """Every field term must match (the simulator treats the query as a conjunction)."""
    for field, value in terms:
        value = value.strip('"').lower()
        if field == "arid" and rg.artist_mbid != value:
            return False
        if field == "secondarytype" and value not in {s.lower() for s in rg.secondary_types}:
            return False
        if field in ("primarytype", "type") and value not in _types(rg):
            return False
        if field in ("releasegroup", "release") and normalise(value) not in normalise(rg.title):
            return False
        if field == "artist" and normalise(value) not in normalise(rg.artist_name):
            return False
    return True


async def release_groups(sim: Sim, request: Request) -> Response:
    paging = _paging(request)
    if isinstance(paging, Response):
        return paging
    offset, limit = paging
    q = request.query_params
    by_artist = sim.catalog.release_groups_by_mbid
    if "query" in q:
        terms = [(f.lower(), v) for f, v in TERM.findall(q["query"])]
        if not terms:
            return json_response({"error": "Invalid query: use field:value terms such as arid:<mbid>"}, 400)
        arids = [v.strip('"').lower() for f, v in terms if f == "arid"]
        groups = by_artist.get(arids[0], []) if arids else [rg for gs in by_artist.values() for rg in gs]
        found = [rg for rg in groups if _matches(rg, terms)]
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return json_response(
            {
                "created": created,
                "count": len(found),
                "offset": offset,
                "release-groups": [group_json(rg, True) for rg in found[offset : offset + limit]],
            }
        )
    artist = q.get("artist")
    if not artist:
        return json_response({"error": "Either query or an artist MBID to browse by is required"}, 400)
    wanted = {t.lower() for t in q.get("type", "").split("|") if t}
    found = [rg for rg in by_artist.get(artist, []) if not wanted or wanted & _types(rg)]
    return json_response(
        {
            "release-group-count": len(found),
            "release-group-offset": offset,
            "release-groups": [group_json(rg, False) for rg in found[offset : offset + limit]],
        }
    )


def routes() -> list[Route]:
    return [
        upstream_route(
            "/ws/2/release-group", "musicbrainz", "release_group", release_groups, check, error_body
        ),
        upstream_route(
            "/ws/2/release-group/", "musicbrainz", "release_group", release_groups, check, error_body
        ),
    ]
