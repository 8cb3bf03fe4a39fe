"""Ticketmaster parsing against the recorded real responses, the classifier, windows and paging."""

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from mysetlist_common.settings import Settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.ledger import MemoryLedger
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.http.errors import MalformedAnswer, UpstreamError
from mysetlist_common.upstream.ticketmaster.client import TicketmasterClient, classify_ticketmaster
from mysetlist_common.upstream.ticketmaster.models import best_image, parse_event, parse_events_page
from mysetlist_common.upstream.ticketmaster.windows import Window, continuation, tm_datetime
from mysetlist_devtools.testing import NO_SHARED_DIR, shared_dir

FIXTURES = shared_dir() / "fixtures" / "upstream" / "ticketmaster"
needs_recordings = pytest.mark.skipif(
    not FIXTURES.is_dir(),
    reason=NO_SHARED_DIR,
)


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@needs_recordings
def test_recorded_page_parses_completely() -> None:
    page = parse_events_page(_load("events_page_0.json"))
    assert page.page is not None and page.page.total_elements == 102 and page.page.total_pages == 11
    assert page.next_href is not None and page.next_href.startswith("/discovery/v2/events?")
    events = [parse_event(raw) for raw in page.events]
    assert len(events) == 10
    first = events[0]
    assert first.id == "G5e0Z918_Ls2g"
    assert first.dates.start.date_time == datetime(2022, 9, 13, 23, 0, tzinfo=UTC)
    assert first.dates.start.local_date == date(2022, 9, 13)
    assert first.dates.start.local_time == time(19, 0)
    assert first.dates.status.code == "onsale"
    venue = first.venue
    assert venue is not None and venue.id == "KovZpa2Gze"
    assert venue.location is not None and venue.location.latitude == pytest.approx(42.890699)
    assert venue.city is not None and venue.city.name == "Buffalo"
    assert venue.state is not None and venue.state.state_code == "NY"
    assert best_image(first.images) is not None and "TABLET_LANDSCAPE_LARGE_16_9" in best_image(first.images)
    without_attractions = [e for e in events if not e.embedded.attractions]
    assert len(without_attractions) == 2


@needs_recordings
def test_recorded_attractions_carry_spotify_and_mbid() -> None:
    page = parse_events_page(_load("events_page_0.json"))
    alice = next(
        a for e in map(parse_event, page.events) for a in e.embedded.attractions if a.name == "Alice Cooper"
    )
    assert alice.spotify_id == "3EhbVgyfGd7HkpsagwL9GS"
    assert alice.mbid == "ee58c59f-8e7f-4430-b8ca-236c4d3745ae"
    assert alice.image_url is not None and "16_9" in alice.image_url


@needs_recordings
def test_recorded_empty_page_has_no_events() -> None:
    page = parse_events_page(_load("events_empty_page.json"))
    assert page.events == [] and page.next_href is None
    assert page.page is not None and page.page.total_elements == 0


def test_window_sends_tba_flags_and_exact_format() -> None:
    window = Window(start=datetime(2027, 3, 1, 12, 30, 15, 999, tzinfo=UTC))
    assert window.params() == {
        "includeTBA": "yes",
        "includeTBD": "yes",
        "startDateTime": "2027-03-01T12:30:15Z",
    }
    assert Window().params() == {}


def test_continuation_starts_a_day_before_the_last_date_reached() -> None:
    reached = [
        {"dates": {"start": {"dateTime": "2027-05-02T01:00:00Z"}}},
        {"dates": {"start": {"localDate": "2027-05-03"}}},
        {"dates": {"start": {"dateTBA": True}}},
    ]
    following = continuation(Window(), reached)
    assert following == Window(start=datetime(2027, 5, 2, tzinfo=UTC))
    # no progress possible inside one window: give up instead of looping
    assert continuation(Window(start=datetime(2027, 5, 2, tzinfo=UTC)), reached) is None


def _response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


def test_classifier_quota_waits_until_reset() -> None:
    body = {
        "fault": {
            "faultstring": "Rate limit quota violation",
            "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
        }
    }
    verdict = classify_ticketmaster(_response(429, body, {"Rate-Limit-Reset": "1800000000000"}))
    assert verdict is not None and verdict.action == "retry" and verdict.until_epoch_s == 1800000000.0
    assert "daily quota" in verdict.message


def test_classifier_spike_arrest_backs_off_a_second() -> None:
    body = {
        "fault": {
            "faultstring": "Spike arrest violation",
            "detail": {"errorcode": "policies.ratelimit.SpikeArrestViolation"},
        }
    }
    verdict = classify_ticketmaster(_response(429, body))
    assert verdict is not None and verdict.delay_s == 1.0 and verdict.rate_limited


def test_classifier_bad_key_fails() -> None:
    verdict = classify_ticketmaster(
        _response(401, {"fault": {"detail": {"errorcode": "oauth.v2.InvalidApiKey"}}})
    )
    assert verdict is not None and verdict.action == "fail" and "API key" in verdict.message


def _event(n: int, day: int) -> dict[str, Any]:
    when = datetime(2027, 1, 1, 20, tzinfo=UTC) + timedelta(days=day)
    return {"id": f"E{n}", "name": f"Show {n}", "dates": {"start": {"dateTime": tm_datetime(when)}}}


class FakeEvents:
    """A tiny Ticketmaster: date-sorted events (TBA last), the deep-paging error, windows that drop TBA
    events unless asked for them, no _embedded on an empty page."""

    def __init__(self, events: list[dict[str, Any]], size: int) -> None:
        self.events = events
        self.size = size
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        size, page = int(params["size"]), int(params["page"])
        if size * page >= 1000:
            return _response(400, {"errors": [{"code": "DIS1035", "detail": "deep paging"}]})
        dated = "startDateTime" in params or "endDateTime" in params
        lo, hi = params.get("startDateTime", ""), params.get("endDateTime", "9999")

        def keep(event: dict[str, Any]) -> bool:
            when = event["dates"]["start"].get("dateTime")
            if when is None:  # TBA
                return not dated or params.get("includeTBA") == "yes"
            return lo <= when <= hi

        chosen = [e for e in self.events if keep(e)]
        chosen.sort(key=lambda e: e["dates"]["start"].get("dateTime") or "~")
        items = chosen[page * size : (page + 1) * size]
        pages = -(-len(chosen) // size)
        body: dict[str, Any] = {
            "page": {"size": size, "totalElements": len(chosen), "totalPages": pages, "number": page}
        }
        if items:
            body["_embedded"] = {"events": items}
        return _response(200, body)


async def _all(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int, FakeEvents]:
    fake = FakeEvents(events, size=200)
    settings = Settings(ticketmaster_base_url="http://tm.test/discovery/v2", ticketmaster_page_size=200)
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        client = TicketmasterClient(http, settings, budget=_unlimited())
        found, unreachable = await client.all_events("K1")
    return found, unreachable, fake


def _unlimited() -> KeyBudget:
    return KeyBudget(Policy("ticketmaster", "k", 1e9), MemoryLedger())


def _tba(n: int) -> dict[str, Any]:
    return {"id": f"T{n}", "name": "TBA", "dates": {"start": {"dateTBA": True, "timeTBA": True}}}


@pytest.mark.parametrize("count", [0, 150, 1000, 1234, 2600])
async def test_all_events_reaches_every_event_within_the_paging_limit(count: int) -> None:
    events = [_event(n, n // 3) for n in range(count)] + [_tba(n) for n in range(4)]
    found, unreachable, fake = await _all(events)
    ids = [e["id"] for e in found]
    assert sorted(ids) == sorted(e["id"] for e in events)  # every event, each once
    assert unreachable == 0
    assert all(int(r["size"]) * int(r["page"]) < 1000 for r in fake.requests)
    windowed = [r for r in fake.requests if "startDateTime" in r]
    assert all(r.get("includeTBA") == "yes" and r.get("includeTBD") == "yes" for r in windowed)
    minimum = max(1, -(-len(events) // 200))
    assert len(fake.requests) <= minimum + 2 * (len(events) // 1000)  # at most a page of overlap per split


async def test_more_events_on_one_day_than_paging_reaches_are_reported() -> None:
    events = [_event(n, 0) for n in range(1100)]
    found, unreachable, _ = await _all(events)
    assert len(found) == 1000 and unreachable == 100


async def test_pages_without_page_info_follow_relative_next_links() -> None:
    events = [_event(n, n) for n in range(5)]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        assert request.url.params["apikey"] == "k"  # the key is added to relative links too
        page = int(request.url.params.get("page", "0"))
        body: dict[str, Any] = {"_embedded": {"events": events[page * 2 : page * 2 + 2]}}
        if page < 2:
            body["_links"] = {"next": {"href": f"/discovery/v2/events.json?attractionId=K1&page={page + 1}"}}
        return _response(200, body)

    settings = Settings(ticketmaster_base_url="http://tm.test/discovery/v2", ticketmaster_api_key="k")
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = TicketmasterClient(http, settings, budget=_unlimited())
        found, unreachable = await client.all_events("K1")
    assert [e["id"] for e in found] == [e["id"] for e in events] and unreachable == 0
    assert all(url.startswith("http://tm.test/discovery/v2/events.json") for url in seen)


def _tm(handler: Any) -> tuple[TicketmasterClient, httpx.AsyncClient]:
    settings = Settings(ticketmaster_base_url="http://tm.test/discovery/v2", ticketmaster_api_key="k")
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return TicketmasterClient(http, settings, budget=_unlimited()), http


async def test_malformed_attraction_is_asked_again_then_fails_saying_what_and_why() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return _response(200, {"id": "K8vZ917", "images": []})  # no name

    client, http = _tm(handler)
    async with http:
        with pytest.raises(MalformedAnswer) as caught:
            await client.attraction("K8vZ917")
    assert str(caught.value) == "Ticketmaster sent a malformed attraction K8vZ917: name: Field required"
    assert caught.value.retryable and isinstance(caught.value, UpstreamError)
    assert len(asked) == 3  # the first answer and two more tries


async def test_one_malformed_attraction_answer_is_survived() -> None:
    answers = iter([_response(200, ["not", "an", "object"]), _response(200, {"id": "K1", "name": "Band"})])
    client, http = _tm(lambda request: next(answers))
    async with http:
        attraction = await client.attraction("K1")
    assert attraction.name == "Band" and client.stats.retries == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([{"id": "E1"}], "must be a JSON object, got list"),
        ({"_embedded": {"events": {"id": "E1"}}}, "_embedded.events is not a list"),
        ({"page": {"totalElements": "many"}}, "totalElements"),
    ],
)
async def test_malformed_events_page_fails_the_listing_clearly(body: Any, reason: str) -> None:
    client, http = _tm(lambda request: _response(200, body))
    async with http:
        with pytest.raises(
            MalformedAnswer, match="sent a malformed events page 1 of attraction K1"
        ) as caught:
            await client.all_events("K1")
    assert reason in str(caught.value) and caught.value.retryable
