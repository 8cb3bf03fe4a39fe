"""The whole system on ports and folders of its own, so faults can be injected without touching anyone
else's Kafka or PostgreSQL: `make up` (tools/stack/stack.py) with this cluster's ports, folder
(MYSETLIST_LOCAL_DIR) and replica counts, so its own broker, PostgreSQL cluster, simulator and services,
2 replicas of each ingest service.

This module is the only place that knows how processes are started and killed (through the stack's pid
files and process groups): the trials only call `kill`, `start`, `kill_kafka` and the like.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysetlist_devtools.stack_tools import stack_tool

REPO = Path(__file__).resolve().parents[2]


PORT_STEP = 100


@dataclass(frozen=True)
class Ports:
    """Where everything listens. Replica i of a service listens on its port + 100 x i."""

    gateway: int = 28500
    progress: int = 28501
    shows: int = 28502
    catalog: int = 28503
    simulator: int = 28600
    kafka: int = 29592
    kafka_controller: int = 29593
    postgres: int = 25432
    prometheus: int = 28690

    @classmethod
    def free(cls) -> Ports:
        """Ports nobody uses now (for tests), replica ports included."""
        probes = stack_tool("probes")
        taken: set[int] = set()

        def pick(replica_ports: bool = False) -> int:
            while True:
                port = probes.free_port()
                wanted = {port, port + PORT_STEP} if replica_ports else {port}
                if not wanted & taken and not any(probes.port_open(p) for p in wanted):
                    taken.update(wanted)
                    return port

        return cls(
            gateway=pick(), progress=pick(), shows=pick(True), catalog=pick(True), simulator=pick(),
            kafka=pick(), kafka_controller=pick(), postgres=pick(), prometheus=pick(),
        )  # fmt: skip


# service name -> (module, port env, Ports field)
SERVICES = {
    "progress": ("mysetlist_progress", "PROGRESS_PORT", "progress"),
    "shows-ingest": ("mysetlist_shows_ingest", "SHOWS_INGEST_PORT", "shows"),
    "catalog-ingest": ("mysetlist_catalog_ingest", "CATALOG_INGEST_PORT", "catalog"),
    "gateway": ("mysetlist_gateway", "GATEWAY_PORT", "gateway"),
}


@dataclass
class Cluster:
    home: Path
    ports: Ports = field(default_factory=Ports)
    replicas: dict[str, int] = field(default_factory=lambda: {"shows-ingest": 2, "catalog-ingest": 2})
    settings: dict[str, str] = field(default_factory=dict)  # extra service settings (PHASE_LEASE_S, ...)
    log_start: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.home = self.home.resolve()  # PostgreSQL runs as another user, from another directory
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs = self.home / "logs"
        self.logs.mkdir(exist_ok=True)
        self.kafka = stack_tool("kafka_broker").Kafka(
            home=self.home / "kafka",
            port=self.ports.kafka,
            controller_port=self.ports.kafka_controller,
            libs=REPO / ".local" / "kafka" / "libs",  # the jars `install.sh` resolved
        )
        url = f"postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:{self.ports.postgres}/mysetlist"
        self.postgres = stack_tool("postgres_cluster").Postgres(home=self.home / "pg", url=url)

    # ------------------------------------------------------------------ addresses

    @property
    def database_url(self) -> str:
        return str(self.postgres.url)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.simulator}"

    def names(self, service: str) -> list[str]:
        """The replicas' names: shows-ingest, shows-ingest-1, ..."""
        return [service if i == 0 else f"{service}-{i}" for i in range(self.replicas.get(service, 1))]

    def service_of(self, name: str) -> tuple[str, int]:
        """("catalog-ingest", 1) for "catalog-ingest-1"."""
        for service in SERVICES:
            if name in self.names(service):
                return service, self.names(service).index(name)
        raise KeyError(name)

    def port(self, name: str) -> int:
        service, index = self.service_of(name)
        return int(getattr(self.ports, SERVICES[service][2])) + PORT_STEP * index

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **stack_tool("python_services").upstream_env(self.simulator_url),
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "PROGRESS_BASE_URL": f"http://127.0.0.1:{self.ports.progress}",
            "GATEWAY_PORT": str(self.ports.gateway),
            "PROGRESS_PORT": str(self.ports.progress),
            "SIMULATOR_PORT": str(self.ports.simulator),
            **self.settings,
        }

    # ------------------------------------------------------------------ processes (the stack's own)

    def stack_env(self) -> dict[str, str]:
        """What `make up` reads: this cluster's folder, ports and replica counts."""
        return {
            **self.env(),
            "MYSETLIST_LOCAL_DIR": str(self.home),
            "KAFKA_CONTROLLER_PORT": str(self.ports.kafka_controller),
            "SHOWS_INGEST_PORT": str(self.ports.shows),
            "CATALOG_INGEST_PORT": str(self.ports.catalog),
            "PROMETHEUS_PORT": str(self.ports.prometheus),
            **{
                env: str(self.replicas.get(service, 1))
                for service, env in stack_tool("replicas").COUNT_ENV.items()
            },
        }

    def _stack(self, command: str) -> None:
        """`python3 tools/stack/stack.py up|down` (what `make up` and `make down` run) on this cluster."""
        argv = [sys.executable, str(REPO / "tools" / "stack" / "stack.py"), command]
        done = subprocess.run(argv, cwd=REPO, env=self.stack_env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"stack.py {command} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")

    def process(self, name: str) -> Any:
        """The stack's handle on a replica (tools/stack/processes.py): its pid file, its process group."""
        service, _index = self.service_of(name)
        run, module = self.home / "run", SERVICES[service][0]
        return stack_tool("processes").ServiceProcess(
            name=name, pidfile=run / f"{name}.pid", logfile=self.logs / f"{name}.log", module=module
        )

    def all_names(self) -> list[str]:
        return [name for service in SERVICES for name in self.names(service)]

    def start(self, *names: str) -> None:
        """Start the replicas named (e.g. "catalog-ingest-1"), and whatever else is down: `make up`."""
        for name in names:
            self.log_start[name] = self.log_size(name)  # this process's lines come after
        self._stack("up")

    def kill(self, name: str) -> None:
        """kill -9 of the replica's whole process group: nothing runs its shutdown code."""
        pid = self.process(name).pid()
        if pid is None:
            return
        pgid = os.getpgid(pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        while stack_tool("processes").group_members(pgid):
            time.sleep(0.05)

    def log_size(self, name: str) -> int:
        path = self.logs / f"{name}.log"
        return path.stat().st_size if path.exists() else 0

    def log_lines(self, name: str, since: int, marker: str) -> list[str]:
        """The replica's log lines after byte `since` that contain `marker`."""
        with open(self.logs / f"{name}.log", "rb") as log:
            log.seek(since)
            return [ln for ln in log.read().decode(errors="replace").splitlines() if marker in ln]

    def assignments(self, name: str, since: int = 0) -> list[str]:
        """The consumer group assignments a replica logged after byte `since` of its log ("()" = none)."""
        marker = "assigned to partitions: "
        return [ln.split(marker, 1)[1] for ln in self.log_lines(name, since, marker)]

    def deliveries(self, name: str, since: int = 0) -> int:
        """ImportRequested messages the replica's consumer was handed after byte `since` (FastStream logs
        each one it receives)."""
        lines = self.log_lines(name, since, "imports.requested | ")
        return sum(line.rstrip().endswith("- Received") for line in lines)

    def has_partitions(self, name: str, since: int | None = None) -> bool:
        """Has the replica's consumer got partitions (its last assignment since byte `since` of its log,
        by default since the process started, not empty)?"""
        assigned = self.assignments(name, self.log_start.get(name, 0) if since is None else since)
        return bool(assigned) and assigned[-1] != "()"

    def running(self, name: str) -> bool:
        return self.process(name).pid() is not None

    def up(self) -> None:
        """`make up` with this cluster's ports, folder and replicas: Kafka, PostgreSQL, migrations, the
        simulator, every replica (and Prometheus). The Kafka jars are the ones `install.sh` resolved."""
        libs = self.home / "kafka" / "libs"
        if not libs.exists():
            libs.parent.mkdir(parents=True, exist_ok=True)
            libs.symlink_to(REPO / ".local" / "kafka" / "libs")
        self.start(*self.all_names())

    def start_services(self) -> None:
        """Start every replica that is not running."""
        self.start(*[name for name in self.all_names() if not self.running(name)])

    def stop_services(self) -> None:
        """SIGTERM every service replica's process group (the simulator stays), SIGKILL after 30 s."""
        for name in reversed(self.all_names()):
            self.process(name).stop()

    def down(self) -> None:
        """`make down`: nothing this cluster started is left running."""
        self._stack("down")

    # ------------------------------------------------------------------ Kafka and PostgreSQL

    def start_kafka(self) -> None:
        self.kafka.start()

    def kill_kafka(self) -> None:
        """kill -9 of the broker's process group (no clean shutdown)."""
        pid = self.kafka.daemon.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while self.kafka.daemon.pid() is not None and time.monotonic() < deadline:
                if self.kafka.daemon._proc is not None:
                    self.kafka.daemon._proc.poll()
                time.sleep(0.1)
        self.kafka.daemon.pidfile.unlink(missing_ok=True)

    def start_postgres(self) -> None:
        self.postgres.start()

    def stop_postgres(self) -> None:
        """pg_ctl stop -m fast: every connection is cut at once."""
        self.postgres.stop()
