"""Helpers for tests that run services for real: an app under uvicorn on a free port, stand-in phases."""

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI

from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult

if TYPE_CHECKING:
    from asgi_lifespan import LifespanManager

REPOSITORY = Path(__file__).resolve().parents[4]


NO_SHARED_DIR = "the shared folder (recorded upstream answers) is not beside the repository: set SHARED_DIR"


def shared_dir() -> Path:
    """The shared folder beside the repository (recorded upstream answers, docs); SHARED_DIR overrides."""
    return Path(os.environ.get("SHARED_DIR", REPOSITORY.parent / "shared"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lifespan_of(app: FastAPI) -> "LifespanManager":
    """`app`'s lifespan for in-process tests; start-up and shutdown get a busy machine's time (asgi-lifespan's
    5 s default failed a CI run on a loaded 2-core box)."""
    from asgi_lifespan import LifespanManager  # a test-only dependency

    return LifespanManager(app, startup_timeout=60, shutdown_timeout=60)


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` (lifespan included) on 127.0.0.1:<free port> in this event loop; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True)
class StandInPhase:
    """A test's phase written as a plain function, given to a PhaseRunner as its `PhaseWork`."""

    work: Callable[[ImportRequestedEvent, PhaseReporter], Awaitable[PhaseResult]]

    async def run(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        return await self.work(requested, reporter)
