"""Kafka's own command-line tools from the stack's jars, against the test broker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.real]

REPO = Path(__file__).resolve().parents[2]
TOOL = [sys.executable, str(REPO / "tools" / "stack" / "kafka_tools.py")]


def kafka(kafka_bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}  # the default --bootstrap-server
    return subprocess.run([*TOOL, *args], env=env, capture_output=True, text=True, timeout=180, check=False)


def test_kafka_topics_creates_and_describes_on_the_test_broker(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    name = f"{topic_prefix}kafka-tools"
    created = kafka(kafka_bootstrap, "kafka-topics", "--create", "--topic", name, "--partitions", "3")
    assert created.returncode == 0, created.stdout + created.stderr
    described = kafka(kafka_bootstrap, "kafka-topics", "--describe", "--topic", name)
    assert described.returncode == 0, described.stdout + described.stderr
    assert f"Topic: {name}" in described.stdout and "PartitionCount: 3" in described.stdout
    unknown = kafka(kafka_bootstrap, "kafka-nope")
    assert unknown.returncode != 0 and "kafka-consumer-groups" in unknown.stderr
