"""The local stack without Docker: Apache Kafka (KRaft, from Maven jars), PostgreSQL (Debian's server),
migrations, every service that exists, the upstream simulator and Prometheus.

    python3 tools/stack/stack.py up|down|status|infra

This is the command; each part lives in a sibling module: kafka_broker, postgres_cluster, python_services
(with processes and replicas), prometheus_server, and layout / shell / probes beneath them. Everything
lives under the git-ignored `.local/` folder: data, logs and pid files. Stdlib only, so it runs before
`uv sync`; the root conftest.py loads it (which puts its siblings on sys.path) to start the same Kafka and
PostgreSQL for tests. Ports follow the project's settings names (GATEWAY_PORT, ..., KAFKA_BOOTSTRAP_SERVERS,
DATABASE_URL).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, however it is loaded
from kafka_broker import Kafka
from layout import LOCAL, LOGS, REPO, stack_lock
from postgres_cluster import Postgres
from probes import http_ok, port_open
from prometheus_server import prometheus_binary, prometheus_daemon, prometheus_port, start_prometheus
from python_services import SERVICES, service_env, start_services
from replicas import ReplicaError
from shell import StackError, apt_install, say, uv


def ensure_infra() -> tuple[Kafka, Postgres]:
    """Kafka and PostgreSQL up (started when needed, never stopped here): `stack.py infra`."""
    kafka, pg = Kafka(), Postgres()
    with stack_lock():
        kafka.start()
        pg.start()
    return kafka, pg


def migrate() -> None:
    proc = subprocess.run(
        [*uv(), "run", "--no-sync", "python", "-m", "mysetlist_common.db.migrate", "upgrade"],
        cwd=REPO,
        env=service_env(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise StackError(f"migrations failed:\n{proc.stdout}{proc.stderr}")


def line(name: str, where: str, state: str) -> None:
    say(f"  {name:<18} {where:<32} {state}")


def up() -> int:
    started = time.monotonic()
    failed: list[str] = []
    with stack_lock():
        kafka, pg = Kafka(), Postgres()
        line("kafka", kafka.bootstrap, kafka.start())
        line("postgres", f"127.0.0.1:{pg.port}", pg.start())
        migrate()
        line("migrations", "alembic", "at head")
        built = [svc for svc in SERVICES if svc.exists()]
        states = start_services([replica for svc in built for replica in svc.replicas()])
        for svc in SERVICES:
            if svc not in built:
                line(svc.name, "-", f"not built yet (no {svc.module}/__main__.py)")
                continue
            for replica in svc.replicas():
                state = states[replica.name]
                line(replica.name, f"http://127.0.0.1:{replica.port}", state)
                if state.startswith("FAILED"):  # reported; the rest still start; `up` fails at the end
                    failed.append(replica.name)
        state = start_prometheus()
        if state == "missing":
            line("prometheus", "-", "not installed (Debian: apt-get install prometheus)")
        else:
            line("prometheus", f"http://127.0.0.1:{prometheus_port()}", state)
    took = time.monotonic() - started
    if failed:
        say(f"stack up in {took:.1f}s WITHOUT {', '.join(failed)}; logs in {LOGS}")
        return 1
    say(f"stack up in {took:.1f}s; logs in {LOGS}, {LOCAL}/kafka and {LOCAL}/pg; `make down` stops it")
    return 0


def down() -> None:
    with stack_lock():
        for svc in reversed(SERVICES):
            for process in svc.every_process():
                line(process.name, "", "stopped" if process.stop() else "was not running")
        line("prometheus", "", "stopped" if prometheus_daemon().stop() else "was not running")
        line("kafka", "", "stopped" if Kafka().stop() else "was not running")
        line("postgres", "", "stopped" if Postgres().stop() else "was not running")


def status() -> int:
    """Print what runs; exit 1 when something the stack would start is down."""
    down_count = 0

    def show(name: str, ours: bool, healthy: bool, url: str, pid: int | None = None) -> None:
        nonlocal down_count
        if healthy:
            state = "up" if ours else "up (not started by the stack)"
        else:
            state = "DOWN"
            down_count += 1
        line(name, url, f"{state} (pid {pid})" if pid else state)

    kafka, pg = Kafka(), Postgres()
    show("kafka", kafka.running(), port_open(kafka.port), kafka.bootstrap)
    show("postgres", pg.running(), port_open(pg.port), f"127.0.0.1:{pg.port}")
    for svc in SERVICES:
        if not svc.exists():
            line(svc.name, "-", "not built yet")
            continue
        for replica in svc.replicas():
            pid = replica.process().pid()
            ok = http_ok(f"http://127.0.0.1:{replica.port}/healthz")
            show(replica.name, pid is not None, ok, f"http://127.0.0.1:{replica.port}", pid)
        for process in svc.every_process()[len(svc.replicas()) :]:  # left by an `up` with more replicas
            if process.pid() is not None:
                line(process.name, "-", f"up (pid {process.pid()}), beyond the replica count: `make down`")
    if prometheus_binary():
        port = prometheus_port()
        show(
            "prometheus",
            prometheus_daemon().pid() is not None,
            port_open(port),
            f"http://127.0.0.1:{port}",
        )
    return 1 if down_count else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    try:
        if command == "up":
            return up()
        elif command == "down":
            down()
        elif command == "status":
            return status()
        elif command == "infra":
            kafka, pg = ensure_infra()
            say(f"kafka {kafka.bootstrap}  postgres 127.0.0.1:{pg.port}")
        elif command == "install-kafka":
            Kafka().install()
        elif command == "install-postgres":
            Postgres().install()
        elif command == "apt-install":
            apt_install(argv[1:])
        else:
            say("usage: stack.py up|down|status|infra|install-kafka|install-postgres|apt-install PKG...")
            return 2
    except (StackError, ReplicaError) as err:
        say(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
