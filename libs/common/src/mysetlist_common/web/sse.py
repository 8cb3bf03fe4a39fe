"""The Server-Sent Events wire format both ways: the progress service writes it, the CLI and tests read it."""

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class SseEvent:
    event: str
    data: Any  # the JSON-decoded data field
    id: int | None


def format_sse(data: str, event: str | None = None, id: int | None = None) -> str:
    lines = []
    if id is not None:
        lines.append(f"id: {id}")
    if event:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


class SseParser:
    """Feed lines; an event comes out at each blank line. Heartbeat comments and retry hints are dropped."""

    def __init__(self) -> None:
        self._fields: dict[str, list[str]] = {}

    def feed(self, line: str) -> SseEvent | None:
        if line:
            if not line.startswith(":"):
                name, _, value = line.partition(":")
                self._fields.setdefault(name, []).append(value.removeprefix(" "))
            return None
        fields, self._fields = self._fields, {}
        if "data" not in fields:
            return None
        event_id = fields.get("id", [""])[-1]
        return SseEvent(
            fields.get("event", ["message"])[-1],
            json.loads("\n".join(fields["data"])),
            int(event_id) if event_id.isdigit() else None,
        )


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    parser = SseParser()
    for line in lines:
        if (event := parser.feed(line)) is not None:
            yield event


async def read_sse(response: httpx.Response) -> AsyncIterator[SseEvent]:
    """The events of a streaming text/event-stream response."""
    parser = SseParser()
    async for line in response.aiter_lines():
        if (event := parser.feed(line)) is not None:
            yield event
