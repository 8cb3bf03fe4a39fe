"""The project's Python services as the stack runs them: which there are and in what order, their ports
and replicas, the environment they get (upstreams sent to the simulator, the local admin token), and
starting them all at once."""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from layout import LOCAL, LOGS, REPO, RUN
from probes import http_ok, port_open, wait_until
from processes import ServiceProcess
from replicas import Replica, count, leftovers
from shell import StackError


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port_env: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_env, self.default_port))

    def exists(self) -> bool:
        return any(REPO.glob(f"*/*/src/{self.module}/__main__.py"))

    def replicas(self) -> list[Replica]:
        """The processes `up` runs (PROGRESS_REPLICAS, SHOWS_INGEST_REPLICAS, CATALOG_INGEST_REPLICAS)."""
        return [
            Replica(self.name, self.module, self.port_env, self.port, i, RUN, LOGS)
            for i in range(count(self.name))
        ]

    def every_process(self) -> list[ServiceProcess]:
        """Its replicas plus any an earlier `up` with more replicas left running: what `down` stops."""
        wanted = self.replicas()
        return [r.process() for r in wanted] + leftovers(self.name, self.module, len(wanted), RUN, LOGS)


# Start order: upstream simulator first, consumers before the gateway that feeds them.
SERVICES = (
    Service("simulator", "mysetlist_simulator", "SIMULATOR_PORT", 8100),
    Service("progress", "mysetlist_progress", "PROGRESS_PORT", 8001),
    Service("shows-ingest", "mysetlist_shows_ingest", "SHOWS_INGEST_PORT", 8002),
    Service("catalog-ingest", "mysetlist_catalog_ingest", "CATALOG_INGEST_PORT", 8003),
    Service("gateway", "mysetlist_gateway", "GATEWAY_PORT", 8000),
)


def upstream_env(sim_url: str) -> dict[str, str]:
    """The base URLs that send every upstream client to the simulator at `sim_url`."""
    return {
        "TICKETMASTER_BASE_URL": f"{sim_url}/discovery/v2",
        "SPOTIFY_API_BASE_URL": f"{sim_url}/v1",
        "SPOTIFY_ACCOUNTS_BASE_URL": f"{sim_url}/api",
        "MUSICBRAINZ_BASE_URL": f"{sim_url}/ws/2",
    }


def admin_token() -> str:
    """The local stack's admin token: generated once into `.local/admin-token` (mode 0600), where the CLI
    finds it too. Never printed: it guards the admin API (replays, dead letters)."""
    path = LOCAL / "admin-token"
    if not path.exists():
        LOCAL.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
    path.chmod(0o600)
    return path.read_text().strip()


def service_env() -> dict[str, str]:
    """The environment every service gets: the caller's, plus URLs that follow overridden ports."""
    simulator, progress = SERVICES[0], SERVICES[1]
    return {
        "ADMIN_TOKEN": admin_token(),
        **upstream_env(f"http://127.0.0.1:{simulator.port}"),
        "PROGRESS_BASE_URL": f"http://127.0.0.1:{progress.port}",
        "SIM_PORT": str(simulator.port),
        # the gateway relays SSE with the client in X-Forwarded-For: progress counts streams per real client
        "TRUSTED_PROXIES": "127.0.0.1",
        **os.environ,  # what the caller set wins
    }


def start_services(replicas: Sequence[Replica], timeout: float = 90.0) -> dict[str, str]:
    """Start every replica not yet serving, all at once (they share nothing at start-up), then wait for
    each one's /healthz. Returns each one's state by name: running, external, started or FAILED: why."""
    states: dict[str, str] = {}
    spawned: list[tuple[Replica, ServiceProcess]] = []
    for replica in replicas:
        process = replica.process()
        if process.pid() is not None:  # its own process, whoever started it and whatever became of them
            states[replica.name] = "running"
        elif port_open(replica.port):
            states[replica.name] = "external"
        else:
            process.spawn_service(replica.env(service_env()))
            spawned.append((replica, process))
    for replica, process in spawned:
        url = f"http://127.0.0.1:{replica.port}/healthz"
        try:
            wait_until(functools.partial(http_ok, url), timeout, replica.name, process.alive)
            states[replica.name] = "started"
        except StackError as err:
            states[replica.name] = f"FAILED: {err}; see {process.logfile}"
    return states
