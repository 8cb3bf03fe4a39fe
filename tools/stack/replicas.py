"""How many processes of a service the local stack runs, and where: replica i of a service listens on
the service's port + 100 x i (replica 0 on the port itself, so everything that reaches "the" service,
such as the gateway reaching progress, reaches replica 0). Stdlib only, like every module of tools/stack.

    SHOWS_INGEST_REPLICAS=2 CATALOG_INGEST_REPLICAS=2 PROGRESS_REPLICAS=1 make up
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from processes import ServiceProcess

PORT_STEP = 100
# Stack variables (read by the stack, not by the services): only these services scale locally.
COUNT_ENV = {
    "progress": "PROGRESS_REPLICAS",
    "shows-ingest": "SHOWS_INGEST_REPLICAS",
    "catalog-ingest": "CATALOG_INGEST_REPLICAS",
}


class ReplicaError(ValueError):
    """A replica count that is not a positive integer."""


def count(service: str) -> int:
    env = COUNT_ENV.get(service)
    if env is None:
        return 1
    raw = os.environ.get(env, "1")
    try:
        value = int(raw)
    except ValueError:
        raise ReplicaError(f"{env}={raw!r}: must be a whole number of processes (1 or more)") from None
    if value < 1:
        raise ReplicaError(f"{env}={raw!r}: must be 1 or more")
    return value


def replica_name(service: str, index: int) -> str:
    # Replica 0 keeps the plain name: its log and pid file stay where they always were.
    return service if index == 0 else f"{service}-{index}"


@dataclass(frozen=True)
class Replica:
    service: str
    module: str
    port_env: str
    base_port: int
    index: int
    run_dir: Path
    log_dir: Path

    @property
    def name(self) -> str:
        return replica_name(self.service, self.index)

    @property
    def port(self) -> int:
        return self.base_port + PORT_STEP * self.index

    def process(self) -> ServiceProcess:
        args = ("--port", str(self.port)) if self.service == "simulator" else ()
        return ServiceProcess(
            self.name, self.run_dir / f"{self.name}.pid", self.log_dir / f"{self.name}.log", self.module, args
        )

    def env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, self.port_env: str(self.port)}


def leftovers(service: str, module: str, keep: int, run_dir: Path, log_dir: Path) -> list[ServiceProcess]:
    """Replicas beyond `keep` that an earlier `make up` with more replicas left pid files for."""
    found = []
    for pidfile in sorted(run_dir.glob(f"{service}-*.pid")):
        suffix = pidfile.stem.removeprefix(f"{service}-")
        if suffix.isdigit() and int(suffix) >= keep:
            found.append(ServiceProcess(pidfile.stem, pidfile, log_dir / f"{pidfile.stem}.log", module))
    return found
