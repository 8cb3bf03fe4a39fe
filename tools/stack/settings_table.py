"""Write the settings table of README.md from mysetlist_common.settings.Settings.

    uv run python tools/stack/settings_table.py        # rewrites the table between the markers

Each row: the environment variable, its default, and what it is for (the field's description, else the
comment beside or above it in settings.py).
"""

from __future__ import annotations

import io
import sys
import tokenize
from pathlib import Path

from pydantic import SecretStr

from mysetlist_common import settings as settings_module
from mysetlist_common.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"

# What a field is for, read off its name when settings.py says nothing about it.
SUFFIXES = {
    "_base_url": "base URL",
    "_port": "port",
    "_host": "bind address (0.0.0.0 in containers)",
    "_api_key": "API key (secret)",
    "_client_id": "client id",
    "_client_secret": "client secret (secret)",
    "_token": "token (secret)",
    "_requests_per_second": "request budget per second",
    "_timeout_s": "timeout, seconds",
    "_cap_s": "longest wait it accepts, seconds",
}


# Fields settings.py leaves uncommented, said once here for the README.
KNOWN = {
    "database_url": "PostgreSQL, SQLAlchemy asyncpg URL (secret in Kubernetes: it holds the password)",
    "kafka_bootstrap_servers": "Kafka brokers, comma-separated host:port",
    "ticketmaster_base_url": "Ticketmaster Discovery API (the simulator by default)",
    "ticketmaster_page_size": "events per Ticketmaster page",
    "spotify_api_base_url": "Spotify Web API (the simulator by default)",
    "spotify_accounts_base_url": "Spotify accounts service, client-credentials tokens",
    "spotify_market": "market for album and track lookups",
    "musicbrainz_base_url": "MusicBrainz web service (the simulator by default)",
    "musicbrainz_enabled": "ask MusicBrainz about recordings Spotify leaves unclear",
    "musicbrainz_user_agent": "User-Agent MusicBrainz requires",
    "http_max_retries": "retries of one upstream request (429, 5xx, timeouts)",
    "admin_token": "bearer token for the gateway's admin endpoints (empty: admin disabled)",
    "progress_base_url": "where the gateway reaches the progress service",
    "sse_heartbeat_s": "seconds between SSE keep-alive comments",
    "outbox_poll_interval_s": "seconds between outbox relay polls",
    "kafka_topic_prefix": "prefix for every topic name (tests isolate themselves with it)",
}


def comments() -> tuple[dict[int, str], set[int]]:
    """Comments of settings.py by line, and the lines that hold nothing but a comment."""
    source = Path(settings_module.__file__).read_text()
    lines = source.splitlines()
    found: dict[int, str] = {}
    alone: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found[tok.start[0]] = tok.string.lstrip("# ").strip()
            if lines[tok.start[0] - 1].lstrip().startswith("#"):
                alone.add(tok.start[0])
    return found, alone


def field_lines() -> dict[str, int]:
    lines = Path(settings_module.__file__).read_text().splitlines()
    where: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        name = text.strip().split(":", 1)[0]
        if name in Settings.model_fields and name not in where and text.startswith("    "):
            where[name] = number
    return where


def describe(name: str, line: int | None, notes: dict[int, str], alone: set[int]) -> str:
    field = Settings.model_fields[name]
    if field.description:
        return field.description
    if name in KNOWN:
        return KNOWN[name]
    if line is not None:
        if line in notes:
            return notes[line]
        above: list[str] = []
        n = line - 1
        while n in alone:
            above.insert(0, notes[n])
            n -= 1
        if above:
            return " ".join(above)
    for suffix, text in SUFFIXES.items():
        if name.endswith(suffix):
            return f"{name.removesuffix(suffix).replace('_', ' ')} {text}"
    return name.replace("_", " ")


def default(name: str) -> str:
    value = Settings.model_fields[name].default
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    text = str(value) if value != "" else "(empty)"
    return f"`{text}`"


def table() -> str:
    (notes, alone), lines = comments(), field_lines()
    rows = ["| Environment variable | Default | What for |", "|---|---|---|"]
    for name in Settings.model_fields:
        what = describe(name, lines.get(name), notes, alone).replace("|", "\\|")
        rows.append(f"| `{name.upper()}` | {default(name)} | {what} |")
    return "\n".join(rows)


def main() -> int:
    text = README.read_text()
    if BEGIN not in text or END not in text:
        print(f"README.md lacks the markers {BEGIN} ... {END}", file=sys.stderr)
        return 1
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{table()}\n{END}{tail}")
    print(f"settings table written to {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
