"""The gateway's admin API for operators' commands, with the admin token (mysetlist_cli.token)."""

from typing import Any

import httpx

from mysetlist_cli.gateway import Gateway, admin_token


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
