"""Classification: what to do with one response (done, retry after a while or at a moment, or fail).

Upstream-specific classifiers run first and fall back to `classify_default`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx


@dataclass(frozen=True)
class Verdict:
    """What to do with one response or transport failure."""

    action: Literal["done", "retry", "fail"]
    # retry: wait this long (None = exponential backoff with jitter); rate_limited marks a 429
    delay_s: float | None = None
    # retry: wait until this wall-clock epoch second instead (a quota reset)
    until_epoch_s: float | None = None
    rate_limited: bool = False
    message: str = ""

    @classmethod
    def done(cls) -> Verdict:
        return cls("done")

    @classmethod
    def retry(
        cls,
        message: str,
        *,
        delay_s: float | None = None,
        until_epoch_s: float | None = None,
        rate_limited: bool = False,
    ) -> Verdict:
        return cls("retry", delay_s, until_epoch_s, rate_limited, message)

    @classmethod
    def fail(cls, message: str) -> Verdict:
        return cls("fail", message=message)


# A classifier returns None when it has no opinion; the next one (finally the default) decides.
Classifier = Callable[[httpx.Response], Verdict | None]


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds (only the delta-seconds form is used by our upstreams)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return "html" in ctype or response.content[:1] == b"<"


def classify_default(response: httpx.Response) -> Verdict:
    status = response.status_code
    if status == 429:
        return Verdict.retry(
            "rate limited (429)", delay_s=retry_after_seconds(response) or 1.0, rate_limited=True
        )
    if status >= 500 or status in (408, 425):
        return Verdict.retry(f"upstream error {status}", delay_s=retry_after_seconds(response))
    if status >= 400:
        return Verdict.fail(f"request rejected with {status}: {_short_body(response)}")
    if looks_like_html(response):
        return Verdict.retry(f"an HTML page instead of JSON (status {status})")
    return Verdict.done()


def _short_body(response: httpx.Response, limit: int = 300) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")
