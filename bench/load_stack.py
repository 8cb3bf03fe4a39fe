"""The load benchmark's own stack: `tools/stack/stack.py up` with 2 replicas of each ingest service, on
free ports and a local folder of its own, on the machine's Kafka and PostgreSQL; and the peak memory of
its service processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import harness

REPLICAS = {"SHOWS_INGEST_REPLICAS": "2", "CATALOG_INGEST_REPLICAS": "2"}
PORT_NAMES = ("GATEWAY", "PROGRESS", "SHOWS_INGEST", "CATALOG_INGEST", "SIMULATOR", "PROMETHEUS")


def free_base(count: int, taken: set[int]) -> int:
    """A port p with p + 100 i free for each replica i (and not chosen already)."""
    probes = harness.stack_tool("probes")
    while True:
        base = probes.free_port()
        ports = {base + 100 * i for i in range(count)}
        if base + 100 * count < 65536 and not ports & taken and not any(probes.port_open(p) for p in ports):
            taken |= ports
            return base


def stack_env(local: Path, database_url: str, kafka: str, prefix: str) -> dict[str, str]:
    taken: set[int] = set()
    ports = {f"{name}_PORT": str(free_base(2, taken)) for name in PORT_NAMES}
    inherited = {k: v for k, v in os.environ.items() if not k.endswith(("_BASE_URL", "_REPLICAS", "_PORT"))}
    return (
        inherited
        | ports
        | REPLICAS
        | {
            "MYSETLIST_LOCAL_DIR": str(local),
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka,  # served already: the stack leaves the broker alone
            "KAFKA_TOPIC_PREFIX": prefix,
        }
    )


def stack_py(command: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, str(harness.REPO / "tools" / "stack" / "stack.py"), command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.stdout + proc.stderr


def peak_rss_mib(local: Path) -> dict[str, float | None]:
    """VmHWM of every service process the stack recorded (replicas included)."""
    peak_rss_kib = harness.stack_tool("processes").peak_rss_kib

    out: dict[str, float | None] = {}
    for pidfile in sorted((local / "run").glob("*.pid")):
        if pidfile.stem == "prometheus":
            continue
        kib = peak_rss_kib(int(pidfile.read_text().split()[0]))
        out[pidfile.stem] = round(kib / 1024, 1) if kib is not None else None
    return out
