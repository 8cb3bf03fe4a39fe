"""No service writes a secret to its log: a full import (and an admin re-import, and a wrong admin token)
through the four real service processes, with distinctive secret values, then every log is searched.

The database password is the stack's (the test cannot create a role on a shared server), so the search
looks for it the ways it could leak: the whole DATABASE_URL, `user:password@`, `password=...`; a
distinctive password (DATABASE_URL pointing elsewhere) is searched for on its own as well.
"""

import secrets
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mysetlist_common.web.sse import parse_sse

pytestmark = [pytest.mark.real]

TICKETMASTER_API_KEY = f"tm-key-{secrets.token_hex(12)}"
SPOTIFY_CLIENT_SECRET = f"sp-secret-{secrets.token_hex(12)}"
ADMIN_TOKEN = f"admin-{secrets.token_hex(12)}"


@pytest.fixture(scope="module")
def services(stack_factory: Callable[..., Any], simulator_factory: Callable[[dict[str, str]], str]) -> Any:
    simulator = simulator_factory(
        {"SIM_TICKETMASTER_API_KEY": TICKETMASTER_API_KEY, "SIM_SPOTIFY_CLIENT_SECRET": SPOTIFY_CLIENT_SECRET}
    )
    return stack_factory(
        simulator,
        extra_env={
            "TICKETMASTER_API_KEY": TICKETMASTER_API_KEY,
            "SPOTIFY_CLIENT_SECRET": SPOTIFY_CLIENT_SECRET,
            "ADMIN_TOKEN": ADMIN_TOKEN,
        },
    )


def leak_patterns(database_url: str) -> dict[str, str]:
    parts = urllib.parse.urlsplit(database_url)
    password = urllib.parse.unquote(parts.password or "")
    patterns = {
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "TICKETMASTER_API_KEY": TICKETMASTER_API_KEY,
        "SPOTIFY_CLIENT_SECRET": SPOTIFY_CLIENT_SECRET,
        "DATABASE_URL": database_url,
        "database user:password@": f"{parts.username}:{password}@",
        "database password=": f"password={password}",
        "database 'password': ": f"'password': '{password}'",
    }
    if len(password) >= 12:  # distinctive enough to search for on its own
        patterns["database password"] = password
    return patterns


def test_a_full_import_leaves_no_secret_in_any_log(
    services: Any, sample_artists: list[dict[str, Any]]
) -> None:
    artist = next(a for a in sample_artists if a["profile"] == "sparse" and a["events"] and a["recordings"])
    with httpx.Client(base_url=services.gateway_url, timeout=120) as http:
        accepted = http.post(
            "/api/artists/import", json={"tmAttractionId": artist["tm_attraction_id"]}
        ).json()
        stream = f"/api/artists/{accepted['artistId']}/stream"
        with http.stream("GET", stream, params={"lastEventId": 0}) as response:
            events = list(parse_sse(response.iter_lines()))
        assert events[-1].event == "ImportFinished"
        assert events[-1].data["payload"]["outcome"] == "completed", events[-1].data
        reimport = f"/api/admin/artists/{accepted['artistId']}/reimport"
        assert http.post(reimport, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 200
        assert http.post(reimport, headers={"Authorization": f"Bearer {ADMIN_TOKEN}x"}).status_code == 401
        with http.stream("GET", stream, params={"lastEventId": 0}) as response:
            assert list(parse_sse(response.iter_lines()))[-1].event == "ImportFinished"
    services.stop_all()  # everything flushed: shutdown logs count too

    patterns = leak_patterns(services.env["DATABASE_URL"])
    leaks = []
    for name, path in services.logs.items():
        text = path.read_text(errors="replace")
        assert text.strip(), f"{name} logged nothing: the search would prove nothing"
        leaks += [f"{name}: {what}" for what, value in patterns.items() if value in text]
    assert leaks == [], "secrets in the logs"
