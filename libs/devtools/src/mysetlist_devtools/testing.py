"""Helpers for tests that run services for real: an app under uvicorn on a free port, stand-in phases."""

import asyncio
import io
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import FastAPI

from mysetlist_common.messaging.events import ImportRequestedEvent
from mysetlist_common.phases.reporting import PhaseReporter, PhaseResult
from mysetlist_devtools.processes import serving_process

if TYPE_CHECKING:
    from asgi_lifespan import LifespanManager

log = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parents[4]


NO_SHARED_DIR = "the shared folder (recorded upstream answers) is not beside the repository: set SHARED_DIR"


def shared_dir() -> Path:
    """The shared folder beside the repository (recorded upstream answers, docs); SHARED_DIR overrides."""
    return Path(os.environ.get("SHARED_DIR", REPOSITORY.parent / "shared"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A start-up or shutdown slower than this logs every task's stack, so a rare hang names where it waits.
SLOW_LIFESPAN_S = 15.0


@asynccontextmanager
async def stacks_logged_if_slow(what: str, after_s: float = SLOW_LIFESPAN_S) -> AsyncIterator[None]:
    """Log the stack of every asyncio task when the block takes longer than `after_s`."""

    async def report() -> None:
        await asyncio.sleep(after_s)
        stacks = io.StringIO()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            print(f"--- {task!r}", file=stacks)
            task.print_stack(limit=12, file=stacks)
        log.warning("%s still running after %.0f s; the tasks:\n%s", what, after_s, stacks.getvalue())

    reporter = asyncio.create_task(report())
    try:
        yield
    finally:
        reporter.cancel()


def lifespan_of(app: FastAPI) -> "LifespanManager":
    """`app`'s lifespan for in-process tests; start-up and shutdown get a busy machine's time (asgi-lifespan's
    5 s default failed a CI run on a loaded 2-core box), and log every task's stack when they are slow."""
    from asgi_lifespan import LifespanManager  # a test-only dependency

    class WatchedLifespan(LifespanManager):
        async def __aenter__(self) -> "WatchedLifespan":
            async with stacks_logged_if_slow(f"{app.title} start-up"):
                await super().__aenter__()
            return self

        async def __aexit__(self, *exc_info: Any) -> Any:
            async with stacks_logged_if_slow(f"{app.title} shutdown"):
                return await super().__aexit__(*exc_info)

    return WatchedLifespan(app, startup_timeout=60, shutdown_timeout=60)


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
        async with stacks_logged_if_slow(f"{app.title} shutdown"):
            await task


@dataclass(frozen=True)
class StandInPhase:
    """A test's phase written as a plain function, given to a PhaseRunner as its `PhaseWork`."""

    work: Callable[[ImportRequestedEvent, PhaseReporter], Awaitable[PhaseResult]]

    async def run(self, requested: ImportRequestedEvent, reporter: PhaseReporter) -> PhaseResult:
        return await self.work(requested, reporter)


@contextmanager
def simulator_process(
    log: Path, sim_env: Mapping[str, str] | None = None, start_within_s: float = 120
) -> Iterator[str]:
    """A `python -m mysetlist_simulator` process of its own on a free port, configured by SIM_* variables,
    its output in `log`; yields its base URL once /healthz answers, and stops it (terminate, then kill)."""
    port = free_port()
    env = {**os.environ, **(sim_env or {}), "SIM_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "mysetlist_simulator", "--port", str(port)]
    with serving_process(argv, env, f"{url}/healthz", log, start_within_s=start_within_s):
        yield url
