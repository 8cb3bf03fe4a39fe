"""What every benchmark needs: the stack's Kafka and PostgreSQL, a throwaway database, child processes."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench-results"


def stack() -> Any:
    """tools/stack/stack.py, the same code as `make up`."""
    spec = importlib.util.spec_from_file_location("mysetlist_stack", REPO / "tools" / "stack" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mysetlist_stack", module)
    spec.loader.exec_module(module)
    return module


def servers() -> tuple[str, str]:
    """(Kafka bootstrap, PostgreSQL URL): the environment's, else the stack's (started when needed)."""
    s = stack()
    with s.stack_lock():
        kafka, postgres = s.Kafka(), s.Postgres()
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            kafka.start()
        if not os.environ.get("DATABASE_URL"):
            postgres.start()
    return (
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or str(kafka.bootstrap),
        os.environ.get("DATABASE_URL") or str(postgres.url),
    )


async def _admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def database(server_url: str, name: str) -> Iterator[str]:
    """A migrated database of its own for one benchmark, dropped afterwards."""
    from mysetlist_common.db import migrate

    name = f"{name}_{os.getpid()}"
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path=f"/{name}"))
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    asyncio.run(_admin(server_url, drop, f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(server_url, drop))


@contextmanager
def process(argv: Sequence[str], env: dict[str, str], health: str, log: Path) -> Iterator[None]:
    """A child process that must answer `health` before the benchmark goes on; stopped afterwards."""
    s = stack()
    with open(log, "wb") as out:
        proc = subprocess.Popen(list(argv), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not s.http_ok(health):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(argv)} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max in milliseconds."""
    ordered = sorted(samples_s)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p90_ms": round(q[89] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "samples": len(ordered),
    }
