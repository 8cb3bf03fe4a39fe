"""Pure mapping of Ticketmaster events to rows: statuses, times, TBA, images, malformed events."""

import copy
import json
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import uuid4

import pytest

from mysetlist_devtools.testing import NO_SHARED_DIR, shared_dir
from mysetlist_shows_ingest.mapping import map_events, normalise_status

FIXTURE = shared_dir() / "fixtures" / "upstream" / "ticketmaster" / "events_page_0.json"
needs_recordings = pytest.mark.skipif(
    not FIXTURE.exists(),
    reason=NO_SHARED_DIR,
)
ARTIST = uuid4()


def _recorded() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text())["_embedded"]["events"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("canceled", "cancelled"),
        ("cancelled", "cancelled"),
        ("Canceled", "cancelled"),
        ("postponed", "postponed"),
        ("rescheduled", "rescheduled"),
        ("offsale", "offsale"),
        ("onsale", "onsale"),
        (None, "unknown"),
        ("something-new", "unknown"),
    ],
)
def test_status_normalised(code: str | None, expected: str) -> None:
    assert normalise_status(code) == expected


@needs_recordings
def test_recorded_events_map_to_rows() -> None:
    mapped = map_events(_recorded(), ARTIST)
    assert len(mapped.shows) == 10 and not mapped.skipped
    first = mapped.shows[0]
    assert first["tm_event_id"] == "G5e0Z918_Ls2g"
    assert first["starts_at"] == datetime(2022, 9, 13, 23, tzinfo=UTC)
    assert first["local_date"] == date(2022, 9, 13) and first["local_time"] == time(19)
    assert first["timezone"] == "America/New_York" and first["status"] == "onsale"
    assert first["image_url"].endswith("TABLET_LANDSCAPE_LARGE_16_9.jpg")  # widest 16:9 (2048 px)
    venue = mapped.venues["KovZpa2Gze"]
    assert venue["latitude"] == pytest.approx(42.890699) and venue["longitude"] == pytest.approx(-76.875859)
    assert (venue["city"], venue["state_code"], venue["country_code"]) == ("Buffalo", "NY", "US")
    # venues repeat across events but appear once
    assert len(mapped.venues) == len({e["_embedded"]["venues"][0]["id"] for e in _recorded()})


@needs_recordings
def test_tba_event_keeps_no_time_and_flags() -> None:
    event = copy.deepcopy(_recorded()[0])
    event["dates"]["start"] = {"dateTBA": True, "dateTBD": False, "timeTBA": True, "noSpecificTime": False}
    event["dates"]["status"]["code"] = "canceled"
    row = map_events([event], ARTIST).shows[0]
    assert row["starts_at"] is None and row["local_date"] is None
    assert row["date_tba"] and row["time_tba"] and row["status"] == "cancelled"


@needs_recordings
def test_no_specific_time_keeps_local_date() -> None:
    event = copy.deepcopy(_recorded()[0])
    event["dates"]["start"] = {"localDate": "2027-02-03", "noSpecificTime": True}
    row = map_events([event], ARTIST).shows[0]
    assert row["starts_at"] is None and row["local_date"] == date(2027, 2, 3) and row["time_tba"]


@needs_recordings
def test_event_without_venue_is_kept() -> None:
    event = copy.deepcopy(_recorded()[0])
    del event["_embedded"]
    mapped = map_events([event], ARTIST)
    assert mapped.shows[0]["tm_venue_id"] is None and not mapped.venues


@needs_recordings
def test_malformed_events_are_skipped_and_counted() -> None:
    good = _recorded()[0]
    no_id = {k: v for k, v in good.items() if k != "id"}
    bad_date = copy.deepcopy(good) | {"id": "X1"}
    bad_date["dates"]["start"]["dateTime"] = "not a time"
    no_dates = {k: v for k, v in good.items() if k != "dates"} | {"id": "X2"}
    mapped = map_events([good, no_id, bad_date, no_dates], ARTIST)
    assert [s["tm_event_id"] for s in mapped.shows] == [good["id"]]
    assert mapped.skipped == {"missing_id": 1, "invalid_dates": 1, "missing_dates": 1}
    # malformed events that carry an id still count as returned, so they are never marked removed
    assert mapped.seen_ids == {good["id"], "X1", "X2"}


@needs_recordings
def test_duplicate_events_map_once() -> None:
    event = _recorded()[0]
    assert len(map_events([event, copy.deepcopy(event)], ARTIST).shows) == 1


@needs_recordings
def test_overlong_ids_and_codes_never_break_a_batch() -> None:
    event = copy.deepcopy(_recorded()[0])
    event["_embedded"]["venues"][0]["postalCode"] = "9" * 40
    overlong = copy.deepcopy(_recorded()[1]) | {"id": "x" * 65}
    mapped = map_events([event, overlong], ARTIST)
    assert [s["tm_event_id"] for s in mapped.shows] == [event["id"]]
    assert mapped.skipped == {"invalid_id": 1}
    assert mapped.venues[event["_embedded"]["venues"][0]["id"]]["postal_code"] is None


@needs_recordings
def test_venue_without_id_keeps_the_show() -> None:
    event = copy.deepcopy(_recorded()[0])
    del event["_embedded"]["venues"][0]["id"]
    mapped = map_events([event], ARTIST)
    assert len(mapped.shows) == 1 and mapped.shows[0]["tm_venue_id"] is None and not mapped.venues
