"""What every service's HTTP side does to every request before the routes see it: find the client's
address, refuse oversized bodies, and add the security headers (and CORS, only for configured origins).

The client is the peer address of the connection. X-Forwarded-For is ignored unless the peer is one of
TRUSTED_PROXIES: then the client is the right-most address in it that is not a trusted proxy itself (the
left-most entries are whatever the client chose to send, so they are never believed).
"""

import ipaddress
import json
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mysetlist_common.settings import Settings
from mysetlist_common.web.http_api import ErrorBody

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The page is plain files from this origin: no inline script or style, images from anywhere (artist photos).
PAGE_CSP = (
    "default-src 'self'; img-src * data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc load their script and styles from a CDN and start with an inline script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src * data:; worker-src blob:; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def parse_networks(text: str) -> list[Network]:
    """Comma-separated addresses or networks ("10.0.0.0/8, 127.0.0.1")."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()]


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_from(peer: str, forwarded_for: str | None, trusted: list[Network]) -> str:
    if not trusted or forwarded_for is None or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


class ClientAddress:
    """Sets scope["client"] to the client as described above (uvicorn's own proxy handling is off)."""

    def __init__(self, app: ASGIApp, trusted: list[Network]) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.trusted and scope.get("client"):
            peer, port = scope["client"]
            headers = dict(scope["headers"])
            forwarded = headers.get(b"x-forwarded-for")
            client = client_from(peer, forwarded.decode("latin-1") if forwarded else None, self.trusted)
            scope = {**scope, "client": (client, port)}
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a body over `limit` bytes, before any route reads it. Bodies here are small JSON documents,
    so an accepted one is read whole and handed on."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await self._too_large(send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away while sending
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:  # chunked: no Content-Length to check first
                await self._too_large(send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then disconnects, which streaming responses wait for

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        detail = f"request body too large: at most {self.limit} bytes"
        payload = json.dumps(ErrorBody(detail=detail).model_dump(exclude_none=True)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers + SECURITY_HEADERS})
        await send({"type": "http.response.body", "body": payload})


class SecurityHeaders:
    """nosniff, no referrer, no framing, and a Content-Security-Policy on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else PAGE_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in names]
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_guards(app: FastAPI, settings: Settings) -> None:
    """Added last runs first: client address, then CORS, then the body limit, then security headers."""
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_request_body_bytes)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:  # none configured: no CORS headers at all, browsers keep other origins out
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Last-Event-ID", "If-None-Match", "Authorization"],
            expose_headers=["ETag", "Retry-After", "Location"],
        )
    app.add_middleware(ClientAddress, trusted=parse_networks(settings.trusted_proxies))
