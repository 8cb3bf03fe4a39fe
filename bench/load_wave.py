"""The load benchmark's wave of imports: kicked off through the gateway in an open loop, followed through
their status until each settles (a phase seen `waiting` is noted), and compared with the simulator's truth."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

KICKOFF_SECONDS = 10.0  # every import of the wave is asked for within this
POLL_S = 1.0


@dataclass
class Import:
    artist: dict[str, Any]
    sent_s: float = 0.0
    artist_id: str | None = None
    kickoff_error: str | None = None
    stage: str = "pending"
    settled_s: float | None = None
    waited: set[str] = field(default_factory=set)  # upstreams a phase was seen waiting for
    resume_at: str | None = None  # one resumeAt seen, as evidence
    error: str | None = None


async def kick_off(http: Any, imports: list[Import], t0: float) -> None:
    """One import request every KICKOFF_SECONDS / n, whatever the answers do (open loop)."""

    async def one(i: int, item: Import) -> None:
        await asyncio.sleep(max(0.0, t0 + i * KICKOFF_SECONDS / len(imports) - time.monotonic()))
        item.sent_s = time.monotonic() - t0
        try:
            response = await http.post(
                "/api/artists/import", json={"tmAttractionId": item.artist["tm_attraction_id"]}
            )
            response.raise_for_status()
            item.artist_id = response.json()["artistId"]
        except Exception as err:  # a refused kickoff is a figure
            item.kickoff_error, item.stage = repr(err), "failed"
            item.settled_s = time.monotonic() - t0

    await asyncio.gather(*(one(i, item) for i, item in enumerate(imports)))


async def follow(http: Any, imports: list[Import], t0: float, deadline: float) -> bool:
    """Poll every open import until all settled or the deadline; True when all settled."""

    async def poll(item: Import) -> None:
        try:
            status = (await http.get(f"/api/artists/{item.artist_id}/status")).json()
        except Exception:  # a slow answer under load: asked again next round
            return
        for name, phase in (status.get("phases") or {}).items():
            if phase.get("state") == "waiting":
                item.waited.add(phase.get("waitingFor") or name)
                item.resume_at = phase.get("resumeAt") or item.resume_at
        item.stage = status.get("stage", item.stage)
        if item.stage in ("completed", "failed"):
            item.settled_s = time.monotonic() - t0
            if item.stage == "failed":
                item.error = status.get("message")

    while time.monotonic() < deadline:
        open_ = [i for i in imports if i.settled_s is None and i.artist_id is not None]
        if not open_ and all(i.artist_id or i.kickoff_error for i in imports):
            return True
        await asyncio.gather(*(poll(item) for item in open_))
        await asyncio.sleep(POLL_S)
    return False


async def check_exact(imports: list[Import], sim: Any, database_url: str) -> dict[str, list[str]]:
    """Problems per completed import ([] = exact), through the shared comparison with the truth."""
    import asyncpg

    from mysetlist_devtools.truth import problems, stored

    found: dict[str, list[str]] = {}
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for item in imports:
            if item.stage != "completed" or item.artist_id is None:
                continue
            truth = (await sim.get(f"/_sim/truth/{item.artist['tm_attraction_id']}")).json()
            rows = await stored(conn, uuid.UUID(item.artist_id))
            found[item.artist["tm_attraction_id"]] = problems(rows, truth)
    finally:
        await conn.close()
    return found
