"""A whole running stack for end-to-end tests: the four services as real processes on free ports, on this
module's database and topics (from `stack_env`), with the upstream simulator process, and the real Kafka
and PostgreSQL of the root fixtures."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from probes import free_port, http_ok, wait_until  # tools/stack, on sys.path via the root conftest
from shell import StackError

from mysetlist_devtools.testing import simulator_process

REPO = Path(__file__).resolve().parents[2]
SERVICES = (  # consumers first, so the gateway's first import finds them subscribed
    ("progress", "mysetlist_progress", "PROGRESS_PORT"),
    ("shows-ingest", "mysetlist_shows_ingest", "SHOWS_INGEST_PORT"),
    ("catalog-ingest", "mysetlist_catalog_ingest", "CATALOG_INGEST_PORT"),
    ("gateway", "mysetlist_gateway", "GATEWAY_PORT"),
)


@dataclass
class LiveStack:
    gateway_url: str
    progress_url: str
    simulator_url: str
    env: dict[str, str]
    logdir: Path
    ports: dict[str, int]
    logs: dict[str, Path] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log_tail(self, limit: int = 3000) -> str:
        return "\n".join(f"--- {name}\n{path.read_text()[-limit:]}" for name, path in self.logs.items())

    def start(self, name: str) -> None:
        """Start one service process and wait until it is ready (its log is appended to)."""
        module, port_env = next((m, p) for n, m, p in SERVICES if n == name)
        self.logs[name] = self.logdir / f"{name}.log"
        with open(self.logs[name], "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", module], cwd=REPO, env=self.env, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        self.procs[name] = proc
        ready = f"http://127.0.0.1:{self.ports[port_env]}/readyz"
        try:
            # generous: on a shared 2-core machine a start-up can take minutes
            wait_until(lambda: http_ok(ready), 180, name, proc_alive=lambda: proc.poll() is None)
        except StackError as err:
            pytest.fail(f"{name} did not become ready ({err}):\n{self.log_tail()}")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, no offset is committed, like a crashed pod."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def make_stack(
    stack_env: dict[str, str], simulator_url: str, logdir: Path, extra_env: dict[str, str] | None = None
) -> LiveStack:
    """A stack on free ports, on this module's database and topics; no service started yet."""
    ports = {port_env: free_port() for _name, _module, port_env in SERVICES}
    env = {
        **os.environ,
        **stack_env,
        "TICKETMASTER_BASE_URL": f"{simulator_url}/discovery/v2",
        "SPOTIFY_API_BASE_URL": f"{simulator_url}/v1",
        "SPOTIFY_ACCOUNTS_BASE_URL": f"{simulator_url}/api",
        "MUSICBRAINZ_BASE_URL": f"{simulator_url}/ws/2",
        "PROGRESS_BASE_URL": f"http://127.0.0.1:{ports['PROGRESS_PORT']}",
        **{key: str(port) for key, port in ports.items()},
        **(extra_env or {}),
    }
    return LiveStack(
        gateway_url=f"http://127.0.0.1:{ports['GATEWAY_PORT']}",
        progress_url=env["PROGRESS_BASE_URL"],
        simulator_url=simulator_url,
        env=env,
        logdir=logdir,
        ports=ports,
    )


@pytest.fixture(scope="module")
def stack_factory(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., LiveStack]]:
    """make(simulator_url, services, extra_env): a stack of the named services (all by default) with
    extra settings, stopped at the end of the module."""
    made: list[LiveStack] = []

    def make(
        simulator_url: str, services: tuple[str, ...] | None = None, extra_env: dict[str, str] | None = None
    ) -> LiveStack:
        stack = make_stack(stack_env, simulator_url, tmp_path_factory.mktemp("stack"), extra_env)
        made.append(stack)
        for name, _module, _port_env in SERVICES:
            if services is None or name in services:
                stack.start(name)
        return stack

    try:
        yield make
    finally:
        for stack in made:
            stack.stop_all()


@pytest.fixture(scope="module")
def live_stack(
    stack_env: dict[str, str], simulator_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveStack]:
    stack = make_stack(stack_env, simulator_url, tmp_path_factory.mktemp("stack"))
    try:
        for name, _module, _port_env in SERVICES:
            stack.start(name)
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def sample_artists(live_stack: LiveStack) -> list[dict[str, object]]:
    """The simulator's sample artists (name, tm_attraction_id, profile: sparse | mid | prolific, ...)."""
    import json

    with urllib.request.urlopen(f"{live_stack.simulator_url}/_sim/artists", timeout=10) as response:
        return list(json.load(response))


@pytest.fixture(scope="module")
def simulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[dict[str, str]], str]]:
    """make(sim_env): a simulator process of this module's own, configured by SIM_* variables (the session's
    shared one must keep its defaults); stopped at the end of the module. Returns its base URL."""
    with contextlib.ExitStack() as processes:

        def make(sim_env: dict[str, str]) -> str:
            log = tmp_path_factory.mktemp("simulator") / "simulator.log"
            return processes.enter_context(simulator_process(log, sim_env, start_within_s=60))

        yield make
