"""The gateway's HTTP API as the CLI needs it; every failure becomes a `CliError` with one clear line."""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from mysetlist_common.upstream.http.errors import short_reason
from mysetlist_common.web.sse import SseEvent, parse_sse
from mysetlist_common.web.status import ImportStatusDocument

DEFAULT_URL = "http://127.0.0.1:8000"
RECONNECTS = 5


def base_url() -> str:
    return os.environ.get("MYSETLIST_URL", DEFAULT_URL).rstrip("/")


class CliError(Exception):
    """Shown to the user as one line; the process exits with `code`."""

    def __init__(self, message: str, code: int = 1, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status  # the HTTP status, when the gateway answered


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        detail = None
    if isinstance(detail, list):  # FastAPI validation errors: name the fields
        detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}" for d in detail)
    return str(detail or response.reason_phrase or "error")


# The admin token: MYSETLIST_ADMIN_TOKEN, else the file `make up` keeps for the local stack
# (`$MYSETLIST_LOCAL_DIR/admin-token`, or `.local/admin-token` in this folder or one above); never printed.
TOKEN_FILE = "admin-token"


def _token_files() -> list[Path]:
    if os.environ.get("MYSETLIST_LOCAL_DIR"):
        return [Path(os.environ["MYSETLIST_LOCAL_DIR"]) / TOKEN_FILE]
    here = Path.cwd().resolve()
    return [folder / ".local" / TOKEN_FILE for folder in (here, *here.parents)]


def admin_token() -> str:
    token = os.environ.get("MYSETLIST_ADMIN_TOKEN", "").strip()
    if token:
        return token
    for path in _token_files():
        if path.is_file():
            return path.read_text().strip()
    raise CliError(
        "no admin token: set MYSETLIST_ADMIN_TOKEN (the local stack keeps one in .local/admin-token)"
    )


class Gateway:
    def __init__(self, url: str | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = (url or base_url()).rstrip("/")
        self.http = httpx.Client(
            base_url=self.url, timeout=httpx.Timeout(15.0, read=60.0), transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            reason = type(exc).__name__
            raise CliError(f"gateway unreachable at {self.url} ({reason}); is the stack up?") from exc
        if response.status_code >= 400:
            raise CliError(
                f"{method} {path}: {response.status_code} {_detail(response)}", status=response.status_code
            )
        return response.json()

    def search(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        return list(self._call("GET", "/api/search", params={"q": text, "limit": limit})["items"])

    def start_import(self, tm_attraction_id: str) -> dict[str, Any]:
        return dict(self._call("POST", "/api/artists/import", json={"tmAttractionId": tm_attraction_id}))

    def artist(self, artist_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/artists/{artist_id}"))

    def artist_by_slug(self, slug: str) -> dict[str, Any] | None:
        try:
            return dict(self._call("GET", f"/api/artists/by-slug/{slug}", follow_redirects=True))
        except CliError as exc:
            if exc.status == 404:
                return None
            raise

    def decisions(self, artist_id: str, **params: str) -> list[dict[str, Any]]:
        """Every catalog decision matching the filters (outcome, rule, q), all pages."""
        items: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = self._call(
                "GET",
                f"/api/artists/{artist_id}/catalog/decisions",
                params={**params, "limit": 200, "offset": offset},
            )
            items += page["items"]
            offset = page["nextOffset"]
        return items

    def _admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {admin_token()}"}

    def resync_plan(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("GET", "/api/admin/resync/plan", params=params, headers=self._admin()))

    def resync(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/api/admin/resync", params=params, headers=self._admin()))

    def status(self, artist_id: str) -> ImportStatusDocument:
        return _status_document(self._call("GET", f"/api/artists/{artist_id}/status"))

    def stream(self, artist_id: str) -> Iterator[SseEvent]:
        """The import's events until ImportFinished (a `status` event's data is an ImportStatusDocument);
        a dropped connection resumes with Last-Event-ID."""
        last_id: int | None = None
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_id is not None:
                headers["Last-Event-ID"] = str(last_id)
            try:
                with self.http.stream("GET", f"/api/artists/{artist_id}/stream", headers=headers) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise CliError(f"progress stream: {response.status_code} {_detail(response)}")
                    for event in parse_sse(response.iter_lines()):
                        failures = 0
                        if event.id is not None:
                            last_id = event.id
                        if event.event == "status":
                            event.data = _status_document(event.data)
                        yield event
                        if event.event == "ImportFinished":
                            return
                        if event.event == "status" and _settled(event.data, last_id):
                            return
            except httpx.TransportError as exc:
                failures += 1
                if failures > RECONNECTS:
                    reason = type(exc).__name__
                    raise CliError(f"lost the progress stream from {self.url} ({reason})") from exc
                continue
            # the server ended the stream without the terminal event: reconnect and resume
            failures += 1
            if failures > RECONNECTS:
                raise CliError("the progress stream keeps ending before the import finished")


def _status_document(data: Any) -> ImportStatusDocument:
    try:
        return ImportStatusDocument.model_validate(data)
    except ValidationError as exc:
        raise CliError(f"the gateway sent an import status the CLI cannot read: {short_reason(exc)}") from exc


def _settled(status: ImportStatusDocument, cursor: int | None) -> bool:
    """A status that is terminal with nothing left to replay: the server closes right after it."""
    finished = status.stage in ("completed", "failed")
    return finished and (cursor is None or cursor >= status.last_event_id)


# Ticketmaster attraction ids look like "K8vZ9171ob7": letters and digits with capitals, no spaces.
_TM_ATTRACTION_ID = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Za-z0-9_-]{6,64}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def looks_like_tm_attraction_id(text: str) -> bool:
    return bool(_TM_ATTRACTION_ID.match(text))


def looks_like_uuid(text: str) -> bool:
    return bool(_UUID.match(text))
