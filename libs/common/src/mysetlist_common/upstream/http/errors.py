"""What an upstream call raises when it does not succeed, in messages meant for people: never a secret."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

# Query parameters that carry secrets: never logged, never put into an error message.
SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "client_secret", "access_token", "token"})


def redact(url: str | httpx.URL) -> str:
    """The URL with every secret query parameter value replaced, fit for logs and error messages."""
    parts = urlsplit(str(url))
    if not parts.query:
        return str(url)
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*,:/")))


class UpstreamError(Exception):
    """An upstream call that did not succeed; the message is meant for people and holds no secret."""

    def __init__(self, message: str, *, upstream: str, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.upstream = upstream
        self.status = status
        self.retryable = retryable


class WaitCapExceeded(UpstreamError):
    """The upstream asked us to wait longer than we are allowed to."""

    def __init__(self, message: str, *, upstream: str, status: int | None, wait_s: float):
        super().__init__(message, upstream=upstream, status=status, retryable=True)
        self.wait_s = wait_s


class MalformedAnswer(UpstreamError):
    """A well-formed JSON answer of the wrong shape (asked again first: a glitch may pass)."""


def short_reason(exc: Exception, limit: int = 200) -> str:
    """A parse failure in one line: pydantic's first complaint with where it was, else the message."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "answer"
            more = len(errors()) - 1
            text = f"{where}: {first.get('msg', '')}" + (f" (and {more} more)" if more else "")
        except (TypeError, IndexError, AttributeError):
            text = str(exc)
    else:
        text = str(exc)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def human_duration(seconds: float) -> str:
    """A wait as a person reads it: `45 s`, `12 min`, `3.5 h`."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
