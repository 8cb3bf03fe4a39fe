"""Kafka and PostgreSQL in containers for the tests (`make test-containers`, MYSETLIST_TEST_STACK=containers):
testcontainers on the project's own engine (tools/stack/docker), set up like the local stack's servers and
removed when the block ends."""

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mysetlist_devtools.databases import admin, run_in_thread

REPO = Path(__file__).resolve().parents[4]
# The locally built images (`make images`); the public apache/kafka:4.1.1 and postgres:15 take the same
# settings where a registry answers.
KAFKA_IMAGE = os.environ.get("MYSETLIST_KAFKA_IMAGE", "mysetlist-local/kafka:4.1.1")
POSTGRES_IMAGE = os.environ.get("MYSETLIST_POSTGRES_IMAGE", "mysetlist-local/postgres:15")


class ContainerFailed(RuntimeError):
    """A container that did not start (the tests fail the session with this reason)."""


def _container(image: str) -> Any:
    """A testcontainers container on the project's engine. Ryuk (the reaper) is off: its image cannot be
    pulled here, and these blocks remove their containers themselves."""
    os.environ.setdefault("DOCKER_HOST", f"unix://{REPO / '.local' / 'docker' / 'docker.sock'}")
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    from testcontainers.core.container import DockerContainer

    return DockerContainer(image)


def _started(container: Any, ready_log: str, timeout: int = 120) -> Any:
    """Start and wait for `ready_log` in its output (a published port accepts before the server does)."""
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    try:
        return container.waiting_for(LogMessageWaitStrategy(ready_log).with_startup_timeout(timeout)).start()
    except Exception as err:
        container.stop()
        raise ContainerFailed(f"{container.image} did not start: {err}") from err


@contextmanager
def kafka(port: int) -> Iterator[str]:
    """One KRaft node in a container, advertised on `port` (clients connect from here); its bootstrap."""
    container = (
        _container(KAFKA_IMAGE)
        .with_bind_ports(9092, port)
        .with_envs(
            KAFKA_LISTENERS="PLAINTEXT://:9092,BROKER://:9094,CONTROLLER://:9093",
            KAFKA_ADVERTISED_LISTENERS=f"PLAINTEXT://127.0.0.1:{port},BROKER://localhost:9094",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
            KAFKA_INTER_BROKER_LISTENER_NAME="BROKER",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            # what tools/stack/kafka/server.properties sets for the local stack
            KAFKA_AUTO_CREATE_TOPICS_ENABLE="true",
            KAFKA_NUM_PARTITIONS="8",
            KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS="8",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
        )
    )
    _started(container, "Kafka Server started")
    try:
        bootstrap = f"127.0.0.1:{port}"
        run_in_thread(_group_coordinator_ready, bootstrap)
        yield bootstrap
    finally:
        container.stop()


async def _group_coordinator_ready(bootstrap: str, timeout_s: float = 180) -> None:
    """A new broker creates its offsets topic on the first group join, slowly on a busy machine: join
    once here so the first test's consumers do not spend their time budget on it."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        "warm-up", bootstrap_servers=bootstrap, group_id="warm-up", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()


@contextmanager
def postgres() -> Iterator[str]:
    """PostgreSQL in a container, tuned like the local stack's throwaway cluster; its URL."""
    container = (
        _container(POSTGRES_IMAGE)
        .with_exposed_ports(5432)
        .with_envs(POSTGRES_USER="mysetlist", POSTGRES_PASSWORD="mysetlist", POSTGRES_DB="mysetlist")
        .with_command("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400")
    )
    _started(container, "database system is ready to accept connections")
    try:
        port = container.get_exposed_port(5432)
        url = f"postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:{port}/mysetlist"
        # the public image logs that line for its set-up server too (socket only): wait for TCP logins
        deadline = time.monotonic() + 60
        while True:
            try:
                run_in_thread(admin, url, "SELECT 1")
                break
            except Exception:  # refused, reset by the port proxy, or "the database system is starting up"
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        container.stop()
