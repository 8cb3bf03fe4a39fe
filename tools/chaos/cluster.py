"""The whole system on ports and folders of its own, so faults can be injected without touching anyone
else's Kafka or PostgreSQL: a KRaft broker and a PostgreSQL cluster (tools/stack/stack.py's, on other
ports), the simulator, and every service as real processes, the ingest services with replicas.

This module is the only place that knows how processes are started and killed: the trials only call
`kill`, `start`, `stop_kafka` and the like.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def stack() -> Any:
    """tools/stack/stack.py (stdlib only): the same Kafka and PostgreSQL code as `make up`."""
    if str(REPO / "tools" / "stack") not in sys.path:
        sys.path.append(str(REPO / "tools" / "stack"))
    import stack as stack_module

    return stack_module


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

    @classmethod
    def free(cls) -> Ports:
        """Ports nobody uses now (for tests), replica ports included."""
        s = stack()
        taken: set[int] = set()

        def pick(replica_ports: bool = False) -> int:
            while True:
                port = s.free_port()
                wanted = {port, port + PORT_STEP} if replica_ports else {port}
                if not wanted & taken and not any(s.port_open(p) for p in wanted):
                    taken.update(wanted)
                    return port

        return cls(
            gateway=pick(), progress=pick(), shows=pick(True), catalog=pick(True), simulator=pick(),
            kafka=pick(), kafka_controller=pick(), postgres=pick(),
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
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)
    log_start: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        s = stack()
        self.home = self.home.resolve()  # PostgreSQL runs as another user, from another directory
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs = self.home / "logs"
        self.logs.mkdir(exist_ok=True)
        self.kafka = s.Kafka(
            home=self.home / "kafka",
            port=self.ports.kafka,
            controller_port=self.ports.kafka_controller,
            libs=REPO / ".local" / "kafka" / "libs",  # the jars `install.sh` resolved
        )
        url = f"postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:{self.ports.postgres}/mysetlist"
        self.postgres = s.Postgres(home=self.home / "pg", url=url)

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
        s = stack()
        return {
            **os.environ,
            **s.upstream_env(self.simulator_url),
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap,
            "PROGRESS_BASE_URL": f"http://127.0.0.1:{self.ports.progress}",
            "GATEWAY_PORT": str(self.ports.gateway),
            "PROGRESS_PORT": str(self.ports.progress),
            "SIMULATOR_PORT": str(self.ports.simulator),
            **self.settings,
        }

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.log_start[name] = self.log_size(name)  # this process's lines come after
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own: what kill -9 takes down
            )  # fmt: skip

    def start(self, *names: str, timeout: float = 180.0) -> None:
        """Start replicas (e.g. "catalog-ingest-1") all at once, then wait for each one's /healthz."""
        for name in names:
            service, _index = self.service_of(name)
            env = {**self.env(), SERVICES[service][1]: str(self.port(name))}
            self._spawn(name, [sys.executable, "-m", SERVICES[service][0]], env)
        for name in names:
            self._wait_http(name, f"http://127.0.0.1:{self.port(name)}/healthz", timeout)

    def kill(self, name: str) -> None:
        """kill -9 of the replica's whole process group: nothing runs its shutdown code."""
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

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
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def _wait_http(self, name: str, url: str, timeout: float) -> None:
        s = stack()
        proc = self.procs[name]
        try:
            s.wait_until(lambda: s.http_ok(url), timeout, name, proc_alive=lambda: proc.poll() is None)
        except s.StackError as err:
            raise RuntimeError(f"{err}: {(self.logs / f'{name}.log').read_text()[-3000:]}") from None

    def up(self) -> None:
        """Kafka, PostgreSQL (migrated), the simulator, then every service replica (consumers first)."""
        self.start_kafka()
        self.start_postgres()
        subprocess.run(
            [sys.executable, "-m", "mysetlist_common.db.migrate", "upgrade"],
            cwd=REPO, env=self.env(), check=True, capture_output=True,
        )  # fmt: skip
        if not self.running("simulator"):
            argv = [sys.executable, "-m", "mysetlist_simulator", "--port", str(self.ports.simulator)]
            self._spawn("simulator", argv, self.env())
            self._wait_http("simulator", f"{self.simulator_url}/healthz", 60)
        self.start_services()

    def start_services(self) -> None:
        """Start every replica that is not running."""
        self.start(*[n for service in SERVICES for n in self.names(service) if not self.running(n)])

    def stop_services(self) -> None:
        """SIGTERM every service process (the simulator stays), SIGKILL after 30 s."""
        for name in [n for n in reversed(self.procs) if n != "simulator"]:
            self._stop(name)

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def down(self) -> None:
        """Everything this cluster started, stopped: nothing is left running."""
        for name in reversed(list(self.procs)):
            self._stop(name)
        self.kafka.stop()
        self.postgres.stop()

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
