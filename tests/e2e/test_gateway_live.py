"""Through the gateway's origin with the real progress service behind it: a stream cut mid-import and
resumed with Last-Event-ID yields exactly the events missed, and the relayed status matches the
documented schema."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.real


def sse_events(lines: Any, limit: int | None = None) -> list[tuple[str, int | None]]:
    """(event, id) pairs of a text/event-stream, up to `limit` events carrying an id."""
    seen: list[tuple[str, int | None]] = []
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                seen.append((fields.get("event", "message"), int(fields["id"]) if "id" in fields else None))
                if limit is not None and sum(1 for _, i in seen if i is not None) >= limit:
                    return seen
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return seen


def start_import(http: httpx.Client, sample_artists: list[dict[str, Any]], profile: str) -> str:
    """Import a sample artist of this profile that has shows and songs; its artist id."""
    artist = next(a for a in sample_artists if a["profile"] == profile and a["events"] and a["recordings"])
    started = http.post("/api/artists/import", json={"tmAttractionId": artist["tm_attraction_id"]})
    return str(started.json()["artistId"])


def test_resume_through_the_gateway_gets_exactly_the_missed_events(
    live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    with httpx.Client(base_url=live_stack.gateway_url, timeout=60) as http:
        stream = f"/api/artists/{start_import(http, sample_artists, 'mid')}/stream"
        # from the first event (query form), cut after three events
        with http.stream("GET", stream, params={"lastEventId": 0}) as response:
            assert response.status_code == 200
            first = sse_events(response.iter_lines(), limit=3)
        assert first[0] == ("status", None)
        ids = [i for _, i in first if i is not None]
        assert ids == [1, 2, 3]
        # resume with the header, as EventSource does
        with http.stream("GET", stream, headers={"Last-Event-ID": str(ids[-1])}) as response:
            rest = sse_events(response.iter_lines())
        assert rest[0][0] == "status" and rest[-1][0] == "ImportFinished"
        resumed = [i for _, i in rest if i is not None]
        # a full replay afterwards is the reference: together the two parts are exactly it
        with http.stream("GET", stream, params={"lastEventId": 0}) as response:
            everything = [i for _, i in sse_events(response.iter_lines()) if i is not None]
        assert ids + resumed == everything
        assert everything == list(range(1, len(everything) + 1))


def test_relayed_status_matches_the_documented_schema(
    live_stack: Any, sample_artists: list[dict[str, Any]]
) -> None:
    from mysetlist_common.web.status import ImportStatusDocument

    with httpx.Client(base_url=live_stack.gateway_url, timeout=30) as http:
        artist_id = start_import(http, sample_artists, "sparse")
        deadline = time.monotonic() + 120
        while True:
            status = http.get(f"/api/artists/{artist_id}/status")
            assert status.status_code == 200
            parsed = ImportStatusDocument.model_validate(status.json())
            if parsed.stage in ("completed", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert parsed.stage == "completed", status.json()
        assert set(parsed.phases) == {"shows", "catalog"}
        assert all(p.state == "completed" and p.duration is not None for p in parsed.phases.values())
        unknown = http.get("/api/artists/00000000-0000-0000-0000-000000000000/status")
        assert unknown.status_code == 404 and "detail" in unknown.json()
