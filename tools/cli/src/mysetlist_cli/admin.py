"""The gateway's admin API for operators' commands, with the admin token.

The token comes from MYSETLIST_ADMIN_TOKEN, else from the file `make up` keeps for the local stack
(`$MYSETLIST_LOCAL_DIR/admin-token`, or `.local/admin-token` in this folder or one above). It is sent in
the Authorization header and never printed.
"""

import os
from pathlib import Path
from typing import Any

import httpx

from mysetlist_cli.gateway import CliError, Gateway

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


class AdminGateway(Gateway):
    """Admin calls: replay imports, dead letters. A replay is paced by the gateway, so it may take long."""

    def __init__(self, url: str | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(url, transport=transport)
        self.http.headers["Authorization"] = f"Bearer {admin_token()}"

    def __enter__(self) -> "AdminGateway":
        return self

    def replay(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self._call("POST", "/api/admin/replay", json=body, timeout=httpx.Timeout(15.0, read=None))
        )

    def dead_letters(self, topic: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit} | ({"topic": topic} if topic else {})
        return dict(self._call("GET", "/api/admin/dlq", params=params))

    def dead_letter(self, ref: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/api/admin/dlq/{ref}"))

    def replay_dead_letter(self, ref: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/api/admin/dlq/{ref}/replay"))
