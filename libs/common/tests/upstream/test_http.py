"""Fast unit tests of the shared HTTP layer: pacing on a fake clock, classification, retries, the wait cap."""

import asyncio
import itertools
import json

import httpx
import pytest
from prometheus_client import REGISTRY

from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.ledger import MemoryLedger
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.http.backoff import Backoff
from mysetlist_common.upstream.http.classify import Verdict, classify_default
from mysetlist_common.upstream.http.client import UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError, WaitCapExceeded, redact


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _budget(clock: FakeClock, rate: float = 5.0, sleep=None) -> KeyBudget:
    """A key's budget on the fake clock, booked in memory; one booker, so fake sleeps never overlap."""
    ledger = MemoryLedger(clock=clock)
    return KeyBudget(Policy("test", "k", rate), ledger, bookers=1, clock=clock, sleep=sleep or clock.sleep)


async def _times(budget: KeyBudget, clock: FakeClock, callers: int) -> list[float]:
    sent: list[float] = []

    async def call() -> None:
        sent.append((await budget.acquire()).at)

    await asyncio.gather(*(call() for _ in range(callers)))
    return sent


async def test_budget_paces_concurrent_callers_evenly() -> None:
    clock = FakeClock()
    budget = _budget(clock)
    sent = await _times(budget, clock, 6)
    assert [t - sent[0] for t in sent] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])


async def test_budget_never_bursts_after_idle_time() -> None:
    clock = FakeClock()
    budget = _budget(clock)
    await budget.acquire()
    clock.now += 10  # idle: no credit is saved up
    sent = await _times(budget, clock, 2)
    assert sent[1] - sent[0] == pytest.approx(0.2)


async def test_budget_spaces_from_a_late_wake_up() -> None:
    clock = FakeClock()

    async def late_sleep(seconds: float) -> None:
        clock.now += seconds + 0.05  # a busy event loop wakes us 50 ms late

    budget = _budget(clock, sleep=late_sleep)
    sent = await _times(budget, clock, 4)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert all(gap >= 0.2 for gap in gaps)


async def test_a_slot_reached_too_late_is_left_unused() -> None:
    clock = FakeClock()
    late = [0.3]  # once, the event loop wakes us 300 ms late: more than a paced key's slack

    async def sleep(seconds: float) -> None:
        clock.now += seconds + (late.pop() if late else 0.0)

    before = REGISTRY.get_sample_value("mysetlist_upstream_slots_late_total", {"upstream": "test"}) or 0
    budget = _budget(clock, sleep=sleep)
    sent = await _times(budget, clock, 4)
    assert all(gap >= 0.2 for gap in (b - a for a, b in itertools.pairwise(sent)))
    late_total = REGISTRY.get_sample_value("mysetlist_upstream_slots_late_total", {"upstream": "test"})
    assert late_total is not None and late_total > before


async def test_budget_pause_delays_every_caller() -> None:
    clock = FakeClock()
    budget = _budget(clock)
    await budget.acquire()
    start = clock.now
    await budget.pause_for(3.0, "429")
    sent = await _times(budget, clock, 2)
    assert [t - start for t in sent] == pytest.approx([3.0, 3.2])


def _response(status: int, body: object = None, *, headers: dict | None = None, text: str | None = None):
    content = text if text is not None else json.dumps(body if body is not None else {})
    return httpx.Response(status, content=content.encode(), headers=headers or {})


@pytest.mark.parametrize(
    ("status", "headers", "text", "action", "delay"),
    [
        (200, {"content-type": "application/json"}, "{}", "done", None),
        (429, {"retry-after": "7"}, "{}", "retry", 7.0),
        (429, {}, "{}", "retry", 1.0),
        (503, {}, "{}", "retry", None),
        (502, {"content-type": "text/html"}, "<html>Bad gateway</html>", "retry", None),
        (200, {"content-type": "text/html"}, "<html>oops</html>", "retry", None),
        (404, {}, '{"error": "not found"}', "fail", None),
    ],
)
def test_default_classifier(status, headers, text, action, delay) -> None:
    verdict = classify_default(_response(status, headers=headers, text=text))
    assert verdict.action == action
    assert verdict.delay_s == delay


def test_redact_hides_secret_parameters() -> None:
    shown = redact("http://h/discovery/v2/events.json?apikey=SECRET123&attractionId=K8&page=2")
    assert "SECRET123" not in shown
    assert "attractionId=K8" in shown and "page=2" in shown


def _client(handler, clock: FakeClock, **kwargs) -> UpstreamClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return UpstreamClient(
        "test",
        http,
        base_url="http://up.test/api/v2",
        params={"apikey": "SECRET123"},
        backoff=Backoff(base_s=0.1, cap_s=1.0),
        wall_clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )


async def test_retries_5xx_timeouts_and_truncated_json_then_succeeds() -> None:
    clock = FakeClock()
    answers = iter(["500", "timeout", "truncated", "html", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        kind = next(answers)
        if kind == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if kind == "500":
            return _response(500)
        if kind == "truncated":
            return httpx.Response(
                200, content=b'{"page": {"size": 2', headers={"content-type": "application/json"}
            )
        if kind == "html":
            return _response(503, headers={"content-type": "text/html"}, text="<html>down</html>")
        return _response(200, {"ok": True})

    client = _client(handler, clock)
    assert await client.get_json("things.json") == {"ok": True}
    assert client.stats.requests == 5
    assert client.stats.retries == 4
    assert all(0 <= s <= 1.0 for s in clock.sleeps)


async def test_honours_retry_after_and_counts_429() -> None:
    clock = FakeClock()
    answers = iter([_response(429, headers={"retry-after": "3"}), _response(200, {"n": 1})])
    client = _client(lambda request: next(answers), clock)
    assert await client.get_json("x") == {"n": 1}
    assert clock.sleeps == [3.0]
    assert client.stats.rate_limited == 1


async def test_wait_beyond_cap_raises_with_clear_message() -> None:
    clock = FakeClock()
    client = _client(lambda r: _response(429, headers={"retry-after": "3600"}), clock, wait_cap_s=60)
    with pytest.raises(WaitCapExceeded, match="wait 60 min, more than the 60 s cap"):
        await client.get_json("x")
    assert clock.sleeps == []


async def test_quota_beyond_cap_pauses_the_shared_key_before_raising() -> None:
    clock = FakeClock()
    budget = _budget(clock)
    reset_in = 5 * 3600.0

    def quota(response: httpx.Response) -> Verdict | None:
        if response.status_code == 429:
            return Verdict.retry("daily quota", until_epoch_s=clock.now + reset_in, rate_limited=True)
        return None

    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        return _response(429)

    first = _client(handler, clock, classifiers=[quota], budget=budget, wait_cap_s=60)
    with pytest.raises(WaitCapExceeded, match=r"wait 5\.0 h"):
        await first.get_json("a")
    assert clock.sleeps == []
    assert budget.paused_s() == pytest.approx(reset_in)

    # another import on the same key stops at once, without spending a request on the exhausted quota
    second = _client(handler, clock, classifiers=[quota], budget=budget, wait_cap_s=60)
    paused = r"daily quota; the API key is paused for 5\.0 h, more than the 60 s cap"
    with pytest.raises(WaitCapExceeded, match=paused):
        await second.get_json("b")
    assert requests == ["/api/v2/a"]

    # once the quota has reset, requests flow again
    clock.now += reset_in
    assert budget.paused_s() == 0


async def test_key_pause_is_bounded_by_a_day() -> None:
    clock = FakeClock()
    budget = _budget(clock)

    def far(response: httpx.Response) -> Verdict | None:
        return Verdict.retry("quota", until_epoch_s=clock.now + 10 * 86400, rate_limited=True)

    client = _client(lambda r: _response(429), clock, classifiers=[far], budget=budget, wait_cap_s=60)
    with pytest.raises(WaitCapExceeded):
        await client.get_json("x")
    assert budget.paused_s() == pytest.approx(86400)


async def test_wait_until_uses_wall_clock() -> None:
    clock = FakeClock()

    def quota(response: httpx.Response) -> Verdict | None:
        if response.status_code == 429:
            return Verdict.retry("quota", until_epoch_s=clock.now + 12.5, rate_limited=True)
        return None

    answers = iter([_response(429), _response(200, [1])])
    client = _client(lambda r: next(answers), clock, classifiers=[quota])
    assert await client.get_json("x") == [1]
    assert clock.sleeps == [12.5]


async def test_client_error_fails_without_leaking_the_key() -> None:
    clock = FakeClock()
    client = _client(lambda r: _response(401, {"fault": "invalid key"}), clock)
    with pytest.raises(UpstreamError) as caught:
        await client.get_json("x", {"q": "a"})
    assert "401" in str(caught.value)
    assert "SECRET123" not in str(caught.value)
    assert client.stats.requests == 1


async def test_gives_up_after_max_retries() -> None:
    clock = FakeClock()
    client = _client(lambda r: _response(503), clock, max_retries=2)
    with pytest.raises(UpstreamError, match="gave up after 3 attempts"):
        await client.get_json("x")
    assert client.stats.requests == 3


async def test_relative_links_join_the_origin() -> None:
    clock = FakeClock()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return _response(200, {})

    client = _client(handler, clock)
    await client.get_json("/api/v2/events.json?page=2&size=200")
    await client.get_json("events.json")
    first = httpx.URL(seen[0])
    assert (first.host, first.path) == ("up.test", "/api/v2/events.json")
    assert dict(first.params) == {"apikey": "SECRET123", "page": "2", "size": "200"}
    assert seen[1].startswith("http://up.test/api/v2/events.json")
