"""Ticketmaster Discovery v2: the error classifier, the key's budget, and the client.

Reaching every event of an attraction: only items with `size * page < 1000` can be paged to
(`PageNumberPaginator`: once the first page tells the total, the other reachable pages are asked for at
once, the rate budget pacing them). When the total is beyond that reach, the rest is another date window
(`windows`); events seen in two windows are merged by id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

import httpx

from mysetlist_common.settings import Settings, get_settings
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.policy import Policy, paced_policy
from mysetlist_common.upstream.http.classify import Verdict, retry_after_seconds
from mysetlist_common.upstream.http.client import CallStats, UpstreamClient
from mysetlist_common.upstream.http.errors import UpstreamError
from mysetlist_common.upstream.http.paginators import PageNumberPaginator, PageRequest
from mysetlist_common.upstream.http.paging import paginate
from mysetlist_common.upstream.ticketmaster.models import (
    Attraction,
    parse_attraction,
    parse_attractions,
    parse_events_page,
)
from mysetlist_common.upstream.ticketmaster.windows import Window, continuation

UPSTREAM = "ticketmaster"
DEEP_PAGING_LIMIT = 1000  # only items with size * page < 1000 are reachable

PageCallback = Callable[[int, int | None, str], Awaitable[None]]
Note = Callable[[list[dict[str, Any]], int | None, str], Awaitable[None]]


def classify_ticketmaster(response: httpx.Response) -> Verdict | None:
    status = response.status_code
    if status == 401:
        return Verdict.fail("Ticketmaster rejected the API key (401); check TICKETMASTER_API_KEY")
    if status != 429:
        return None
    errorcode = _fault_code(response)
    if "quota" in errorcode.lower():
        reset_ms = response.headers.get("rate-limit-reset")
        if reset_ms and reset_ms.isdigit():
            reset = int(reset_ms) / 1000
            when = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M UTC")
            return Verdict.retry(
                f"Ticketmaster daily quota exhausted (resets at {when})",
                until_epoch_s=reset,
                rate_limited=True,
            )
        return Verdict.fail("Ticketmaster daily quota exhausted and no reset time given")
    # spike arrest (or an unknown 429): back off about a second
    return Verdict.retry(
        f"Ticketmaster spike arrest ({errorcode or '429'})",
        delay_s=retry_after_seconds(response) or 1.0,
        rate_limited=True,
    )


def _fault_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    fault = body.get("fault") if isinstance(body, dict) else None
    detail = fault.get("detail") if isinstance(fault, dict) else None
    code = detail.get("errorcode") if isinstance(detail, dict) else None
    return str(code or "")


def budget_policy(settings: Settings) -> Policy:
    """The key's shared budget: its per-second spike arrest and its daily quota, together."""
    return paced_policy(
        UPSTREAM,
        settings.ticketmaster_api_key.get_secret_value(),
        settings.ticketmaster_requests_per_second,
        settings.ticketmaster_requests_per_day,
    )


class TicketmasterClient:
    """One instance per import (its `stats` are that import's); the rate budget is per API key, shared by
    every process using the key."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: Settings | None = None,
        *,
        budget: KeyBudget | None = None,
    ) -> None:
        settings = settings or get_settings()
        key = settings.ticketmaster_api_key.get_secret_value()
        self.page_size = settings.ticketmaster_page_size
        self.api = UpstreamClient(
            UPSTREAM,
            http,
            base_url=settings.ticketmaster_base_url,
            budget=budget or budget_policy(settings),
            classifiers=[classify_ticketmaster],
            params={"apikey": key},
            max_retries=settings.http_max_retries,
            wait_cap_s=settings.ticketmaster_quota_wait_cap_s,
            timeout_s=settings.http_timeout_s,
        )
        # round trips that had to wait for one another (for the benchmark's lower bound)
        self.sequential_rounds = 0

    @property
    def stats(self) -> CallStats:
        return self.api.stats

    async def attraction(self, tm_attraction_id: str) -> Attraction:
        try:
            return await self.api.get_parsed(
                f"attractions/{tm_attraction_id}.json", parse_attraction, f"attraction {tm_attraction_id}"
            )
        except UpstreamError as exc:
            if exc.status == 404:
                raise UpstreamError(
                    f"Ticketmaster has no attraction {tm_attraction_id!r}", upstream=UPSTREAM, status=404
                ) from exc
            raise

    async def search_attractions(self, keyword: str, size: int = 10) -> list[Attraction]:
        return await self.api.get_parsed(
            "attractions.json",
            parse_attractions,
            f"attraction search for {keyword!r}",
            {"keyword": keyword, "classificationName": "music", "size": str(size)},
        )

    async def all_events(
        self, tm_attraction_id: str, on_page: PageCallback | None = None, since: datetime | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Every raw event of the attraction (starting at `since`, TBA/TBD included), merged by id, and how
        many could not be reached."""
        merged: dict[str, dict[str, Any]] = {}
        unidentified: list[dict[str, Any]] = []
        unreachable = 0

        async def note(events: list[dict[str, Any]], total: int | None, label: str) -> None:
            for raw in events:
                event_id = raw.get("id")
                if isinstance(event_id, str) and event_id:
                    merged.setdefault(event_id, raw)
                else:
                    unidentified.append(raw)  # kept so the caller counts it as malformed
            if on_page is not None:
                await on_page(len(merged) + len(unidentified), total, label)

        window: Window | None = Window(start=since)
        grand_total: int | None = None
        while window is not None:
            reached, total = await self._window(tm_attraction_id, window, note, grand_total)
            if grand_total is None:
                grand_total = total
            if total <= self._reach:
                break
            following = continuation(window, reached)
            if following is None:
                unreachable += total - len(reached)
            window = following
        return [*merged.values(), *unidentified], unreachable

    @property
    def _reach(self) -> int:
        return self.page_size * math.ceil(DEEP_PAGING_LIMIT / self.page_size)

    async def _window(
        self, tm_attraction_id: str, window: Window, note: Note, grand_total: int | None
    ) -> tuple[list[dict[str, Any]], int]:
        """Fetch what paging reaches in one window; return those events and the window's total."""
        label = window.describe()
        pages = PageNumberPaginator(self.page_size, max_items=self._reach)
        request = PageRequest(
            "events.json",
            {
                "attractionId": tm_attraction_id,
                "size": self.page_size,
                "page": 0,
                "sort": "date,asc",
                **window.params(),
            },
        )

        def what(asked: PageRequest) -> str:
            number = pages.number(asked)
            if number is None:
                return f"next events page of attraction {tm_attraction_id}"
            return f"events page {number + 1} of attraction {tm_attraction_id}"

        def where(asked: PageRequest) -> str:
            number = pages.number(asked)
            if number is None:
                return f"{label}: next page"
            return f"{label}: page 1" if number == 0 else f"{label}: page {number + 1} of {pages.pages}"

        reached: list[dict[str, Any]] = []
        rounds = 0
        async with aclosing(paginate(self.api, request, pages, parse_events_page, what)) as listing:
            async for page in listing:
                self.sequential_rounds += page.round - rounds
                rounds = page.round
                reached += page.data.events
                await note(page.data.events, grand_total or pages.total, where(page.request))
        return reached, len(reached) if pages.total is None else pages.total
