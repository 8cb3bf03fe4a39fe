"""Per-client limits: a request rate (kickoffs) and a number of open streams (SSE), refused with 429 and
Retry-After and counted in mysetlist_client_limited_total. The client is request.client.host, which
http_guard.ClientAddress has already resolved (X-Forwarded-For only from trusted proxies)."""

import math
import time
from collections.abc import Callable

from fastapi import HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from mysetlist_common.metrics import CLIENT_LIMITED

MAX_CLIENTS = 10_000  # idle clients beyond this are forgotten (a full bucket is the same as none)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(limit: str, detail: str, retry_after_s: float) -> HTTPException:
    CLIENT_LIMITED.labels(limit=limit).inc()
    return HTTPException(429, detail, headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))})


class RateLimit:
    """A token bucket per client: `per_minute` requests, refilled evenly over the minute (0 = no limit)."""

    def __init__(self, name: str, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.per_minute, self.clock = name, per_minute, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)

    def check(self, request: Request) -> None:
        """Take one token for the request's client, or raise 429."""
        if self.per_minute <= 0:
            return
        client, now, rate = client_of(request), self.clock(), self.per_minute / 60.0
        tokens, when = self._buckets.get(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - when) * rate)
        if tokens < 1.0:
            self._buckets[client] = (tokens, now)
            raise too_many(
                self.name, f"too many requests: at most {self.per_minute} per minute", (1.0 - tokens) / rate
            )
        self._buckets[client] = (tokens - 1.0, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._forget_full(now, rate)

    def _forget_full(self, now: float, rate: float) -> None:
        for client, (tokens, when) in list(self._buckets.items()):
            if tokens + (now - when) * rate >= self.per_minute:
                del self._buckets[client]


class StreamSlots:
    """At most `per_client` open streams per client (0 = no limit)."""

    RETRY_AFTER_S = 5  # streams end when their import does; a few seconds is a fair guess

    def __init__(self, name: str, per_client: int) -> None:
        self.name, self.per_client = name, per_client
        self._open: dict[str, int] = {}

    def take(self, request: Request) -> Callable[[], None]:
        """Hold one slot of the request's client (429 when none is free); call the result to free it."""
        client = client_of(request)
        if 0 < self.per_client <= self._open.get(client, 0):
            raise too_many(
                self.name, f"too many open streams: at most {self.per_client} per client", self.RETRY_AFTER_S
            )
        self._open[client] = self._open.get(client, 0) + 1
        freed = False

        def free() -> None:
            nonlocal freed
            if not freed:
                freed = True
                self._open[client] -= 1
                if not self._open[client]:
                    del self._open[client]

        return free


class HeldStream(StreamingResponse):
    """A stream that frees its slot however it ends: finished, failed, or the client gone before the first
    byte (a generator's own `finally` never runs when it was never started)."""

    def __init__(self, *args: object, release: Callable[[], None], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()
