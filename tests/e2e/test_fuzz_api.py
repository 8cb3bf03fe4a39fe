"""Schemathesis against the OpenAPI documents of the real gateway and progress processes (real Kafka and
PostgreSQL): stateless and stateful (OpenAPI links), every check, the admin token set. The goal is what
a client relies on: no server error, no answer outside the documented statuses and schemas.

The SSE streams (`/stream`) are excluded: they stay open while an import runs, and nothing imports here
(no ingest service runs, so every kickoff stays pending). Their contract is tested in tests/spine and
services/*/tests (statuses, 404, 422, 429, resumption).
"""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.real]

ADMIN_TOKEN = "fuzz-admin-token"
SEED = "20261129"  # a fixed seed: the same requests every run, so a failure reproduces
MAX_EXAMPLES = "10"  # per operation and phase: bounds the run time (the coverage phase adds its own)
SIM_UNLIMITED = {  # searches reach the simulator: no latency, no rate limit, so nothing answers 502
    "SIM_LATENCY_MS": "0",
    "SIM_JITTER_MS": "0",
    "SIM_RATE_LIMITS_TICKETMASTER_PER_S": "100000",
    "SIM_RATE_LIMITS_TICKETMASTER_DAILY": "10000000",
}


@pytest.fixture(scope="module")
def services(stack_factory: Callable[..., Any], simulator_factory: Callable[[dict[str, str]], str]) -> Any:
    return stack_factory(
        simulator_factory(SIM_UNLIMITED),
        services=("progress", "gateway"),
        extra_env={
            "ADMIN_TOKEN": ADMIN_TOKEN,
            # the fuzzer is one client sending hundreds of kickoffs: the limits have their own tests
            "KICKOFF_LIMIT_PER_CLIENT_PER_MIN": "0",
            "SEARCH_CACHE_TTL_S": "60",
        },
    )


def schemathesis(base_url: str, report_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{base_url}/openapi.json",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", MAX_EXAMPLES,
        "--seed", SEED,
        "--workers", "1",
        "--exclude-path-regex", "/stream$",
        "--request-timeout", "30",
        "--no-shrink",
        "--report", "junit",
        "--report-dir", str(report_dir),
        *extra,
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
    # cwd: Schemathesis keeps a cache (.schemathesis/) in its working directory, not in the repository
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=600, check=False, cwd=report_dir
    )


def _summary(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-12000:]}\n{result.stderr[-3000:]}"


def test_gateway_keeps_its_openapi_contract(services: Any, tmp_path: Path) -> None:
    result = schemathesis(services.gateway_url, tmp_path, "-H", f"Authorization: Bearer {ADMIN_TOKEN}")
    print(_summary(result))  # shown with -s, or by pytest when the test fails
    assert result.returncode == 0, _summary(result) + services.log_tail()


def test_progress_keeps_its_openapi_contract(services: Any, tmp_path: Path) -> None:
    result = schemathesis(services.progress_url, tmp_path)
    print(_summary(result))  # shown with -s, or by pytest when the test fails
    assert result.returncode == 0, _summary(result) + services.log_tail()
