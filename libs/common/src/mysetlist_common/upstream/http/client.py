"""The client every upstream shares: one GET of JSON, paced by the key's shared budget, classified,
retried with exponential backoff and full jitter, and capped in how long it may wait.

- The key's budget gives each request its slot; a 429 pauses the key for everyone and, for a learned
  rate, halves it. Inside a `CallContext` a wait longer than the phase's allowance raises `Parked`;
  outside one, `WaitCapExceeded`.
- Every answer goes into the phase's journal (`CallContext.journal`): a phase resumed after a park is
  answered from it and asks only for what it did not have.
- `get_parsed` also parses: an answer of the wrong shape is asked for again, then raised as a
  `MalformedAnswer` that names what was malformed and why, in one line.
- Requests and 429s are counted per client instance (one per import, so a phase reports its own figures)
  and in Prometheus per upstream.

Waiting for a slot and telling the key about a 429 are in `pacing`, the backoff in `backoff`, the
journal's lookup in `journal`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from mysetlist_common.metrics import UPSTREAM_PARKED, UPSTREAM_RATE_LIMITED, UPSTREAM_REQUESTS
from mysetlist_common.upstream.budget.key_budget import KeyBudget
from mysetlist_common.upstream.budget.policy import Policy
from mysetlist_common.upstream.budget.registry import key_budget
from mysetlist_common.upstream.calls import Parked, WaitingFor, current_call
from mysetlist_common.upstream.clock import Clock, Sleep
from mysetlist_common.upstream.http.backoff import Backoff
from mysetlist_common.upstream.http.classify import Classifier, Verdict, classify_default
from mysetlist_common.upstream.http.errors import (
    MalformedAnswer,
    UpstreamError,
    WaitCapExceeded,
    human_duration,
    redact,
    short_reason,
)
from mysetlist_common.upstream.http.journal import REQUEST_SENT, journal_of_current_call
from mysetlist_common.upstream.http.pacing import learn_quota, pause_key, take_slot

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class CallStats:
    """One client instance's tally (one instance per import, so a phase reports its own figures)."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0


class UpstreamClient:
    """GET JSON from one upstream with pacing, classification, retries and a cap on waiting."""

    def __init__(
        self,
        upstream: str,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        budget: KeyBudget | Policy | None = None,
        classifiers: Sequence[Classifier] = (),
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        max_retries: int = 6,
        wait_cap_s: float = 60.0,
        timeout_s: float | None = None,
        backoff: Backoff | None = None,
        wall_clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.upstream = upstream
        self.http = http
        self.base_url = base_url.rstrip("/")
        # a Policy is resolved per call: the process's queue for the key lives on the running event loop
        self._budget = budget
        self.classifiers = tuple(classifiers)
        self.params = dict(params or {})
        self.headers = dict(headers or {})
        self.auth = auth
        self.max_retries = max_retries
        self.wait_cap_s = wait_cap_s
        self.timeout_s = timeout_s
        self.backoff = backoff or Backoff()
        self.stats = CallStats()
        self._wall_clock = wall_clock
        self._sleep = sleep

    def url(self, path_or_url: str) -> str:
        """Absolute URLs pass through; paths join the base URL, relative links (`/discovery/v2/...`)
        join its origin when they already carry the base path."""
        if "://" in path_or_url:
            return path_or_url
        base = urlsplit(self.base_url)
        if base.path and path_or_url.startswith(base.path + "/"):
            return urlunsplit((base.scheme, base.netloc, "", "", "")) + path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def classify(self, response: httpx.Response) -> Verdict:
        for classifier in self.classifiers:
            verdict = classifier(response)
            if verdict is not None:
                return verdict
        return classify_default(response)

    @property
    def budget(self) -> KeyBudget | None:
        return key_budget(self._budget) if isinstance(self._budget, Policy) else self._budget

    def _request(self, path_or_url: str, params: Mapping[str, Any] | None) -> tuple[str, dict[str, Any], str]:
        """URL, query, and the request's journal entry (which holds no secret either)."""
        # httpx replaces a URL's query with `params`: fold a link's own query (a `next` href) in first
        url, _, query = self.url(path_or_url).partition("?")
        merged = {**self.params, **dict(parse_qsl(query, True)), **(params or {})}
        return url, merged, redact(httpx.URL(url, params=merged))

    async def get_json(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        url, merged, entry = self._request(path_or_url, params)
        journal = journal_of_current_call()
        if entry in journal:  # a resumed phase already has this answer
            return journal[entry]
        for attempt in range(self.max_retries + 1):
            verdict, payload, status, booked_at = await self._attempt(url, merged)
            if verdict.action == "done":
                journal[entry] = payload
                return payload
            shown = redact(httpx.URL(url, params=merged))
            if verdict.action == "fail":
                raise UpstreamError(
                    f"{self.upstream}: {verdict.message} ({shown})", upstream=self.upstream, status=status
                )
            wait = self._wait_for(verdict, attempt)
            budget = self.budget
            if verdict.rate_limited and budget is not None:
                # everyone sharing the key waits, not just this caller; even when this caller gives up
                # below, so the other imports on the key stop spending requests on an exhausted quota
                await pause_key(budget, self.upstream, wait, verdict.message, booked_at)
            if attempt == self.max_retries:
                raise UpstreamError(
                    f"{self.upstream}: gave up after {attempt + 1} attempts, last: {verdict.message}",
                    upstream=self.upstream,
                    status=status,
                    retryable=True,
                )
            context = current_call()
            if context is not None and wait > context.allowance_s:
                UPSTREAM_PARKED.labels(self.upstream).inc()
                raise Parked(self._waiting_for, self._wall_clock() + wait, verdict.message)
            if context is None and wait > self.wait_cap_s:
                raise WaitCapExceeded(
                    f"{self.upstream}: {verdict.message}; it asks us to wait {human_duration(wait)}, "
                    f"more than the {human_duration(self.wait_cap_s)} cap, so we stop here",
                    upstream=self.upstream,
                    status=status,
                    wait_s=wait,
                )
            self.stats.retries += 1
            log.info("%s: %s, retrying in %.2fs (%s)", self.upstream, verdict.message, wait, shown)
            if verdict.rate_limited and budget is not None:
                continue  # the key is paused: the next slot comes after the pause (and counts as waiting)
            await self._sleep(wait)
        raise AssertionError("unreachable")

    @property
    def _waiting_for(self) -> WaitingFor:
        return cast(WaitingFor, self.upstream)

    async def get_parsed(
        self,
        path_or_url: str,
        parse: Callable[[Any], T],
        what: str,
        params: Mapping[str, Any] | None = None,
        *,
        refetches: int = 2,
    ) -> T:
        """GET JSON and parse it; an answer of the wrong shape is asked for again, then a MalformedAnswer.

        `parse` signals a wrong shape with ValueError (pydantic's ValidationError is one) or TypeError.
        """
        for attempt in range(refetches + 1):
            data = await self.get_json(path_or_url, params)
            try:
                return parse(data)
            except (ValueError, TypeError) as exc:
                reason = short_reason(exc)
                journal_of_current_call().pop(self._request(path_or_url, params)[2], None)  # ask anew
            if attempt < refetches:
                self.stats.retries += 1
                log.info("%s sent a malformed %s (%s), asking again", self.upstream, what, reason)
                await self._sleep(self.backoff.delay(attempt))
        raise MalformedAnswer(
            f"{self.upstream.capitalize()} sent a malformed {what}: {reason}",
            upstream=self.upstream,
            retryable=True,
        )

    def _wait_for(self, verdict: Verdict, attempt: int) -> float:
        if verdict.until_epoch_s is not None:
            return max(0.0, verdict.until_epoch_s - self._wall_clock())
        if verdict.delay_s is not None:
            return verdict.delay_s
        return self.backoff.delay(attempt)

    async def _attempt(
        self, url: str, params: Mapping[str, Any]
    ) -> tuple[Verdict, Any, int | None, float | None]:
        budget = self.budget
        booked_at = None
        if budget is not None:
            # the wait for a slot is not part of the HTTP timeout below: that starts once the slot came
            context = current_call()
            booked_at = await take_slot(budget, context, self.upstream, self.wait_cap_s, self._wall_clock)
            if context is not None:
                context.requests += 1
        self.stats.requests += 1
        if (sent := REQUEST_SENT.get()) is not None:
            sent.set()
        try:
            response = await self.http.get(
                url,
                params=params,
                headers=self.headers,
                auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT,
                timeout=self.timeout_s if self.timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException:
            UPSTREAM_REQUESTS.labels(self.upstream, "timeout").inc()
            return Verdict.retry("timed out"), None, None, booked_at
        except httpx.TransportError as exc:
            UPSTREAM_REQUESTS.labels(self.upstream, "transport_error").inc()
            return Verdict.retry(f"transport error {type(exc).__name__}"), None, None, booked_at
        UPSTREAM_REQUESTS.labels(self.upstream, str(response.status_code)).inc()
        if budget is not None and budget.policy.quota_per_day is not None:
            learn_quota(budget, response, self._wall_clock)
        verdict = self.classify(response)
        if verdict.rate_limited:
            self.stats.rate_limited += 1
            UPSTREAM_RATE_LIMITED.labels(self.upstream).inc()
        if verdict.action != "done":
            return verdict, None, response.status_code, booked_at
        try:
            return verdict, response.json(), response.status_code, booked_at
        except (json.JSONDecodeError, UnicodeDecodeError):
            return Verdict.retry("truncated or invalid JSON"), None, response.status_code, booked_at
