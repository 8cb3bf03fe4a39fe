"""A real Prometheus scrapes our real metric objects and evaluates the rules: the SLO ratios come out as
observed and the right alerts start, so names, bucket edges and label values line up end to end."""

import json
import math
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from probes import free_port  # tools/stack, on sys.path via the root conftest

# Observes, ten times a second: a fast kickoff, two shows phases (10 s and 40 s: half miss 30 s), one
# catalog phase of 40 s (within 45 s), one 429 from spotify. Prints its port, then serves /metrics.
EXPORTER = """
import time
from prometheus_client import start_http_server
from mysetlist_common import metrics
server, _ = start_http_server(0, addr="127.0.0.1")
print(server.server_port, flush=True)
while True:
    metrics.KICKOFF_LATENCY.observe(0.01)
    metrics.PHASE_DURATION.labels("shows", "completed").observe(10)
    metrics.PHASE_DURATION.labels("shows", "completed").observe(40)
    metrics.PHASE_DURATION.labels("catalog", "completed").observe(40)
    metrics.UPSTREAM_RATE_LIMITED.labels("spotify").inc()
    time.sleep(0.1)
"""


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus missing: `bash tools/stack/install.sh --prometheus` installs it (Debian)")
    rules = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "prometheus-rules.yml"
    tmp = tmp_path_factory.mktemp("prometheus")
    exporter = subprocess.Popen([sys.executable, "-c", EXPORTER], stdout=subprocess.PIPE, text=True)
    assert exporter.stdout is not None
    target = f"127.0.0.1:{exporter.stdout.readline().strip()}"
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "mysetlist", "static_configs": [{"targets": [target]}]}],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    address = f"127.0.0.1:{free_port()}"
    server = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address={address}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "prometheus.log").open("w"),
    )
    try:
        yield f"http://{address}"
    finally:
        for proc in (server, exporter):
            proc.terminate()
            proc.wait(10)


def api(base: str, path: str, **params: str) -> Any:
    url = f"{base}/api/v1/{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]


def poll(fetch: Any, ready: Any, timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = fetch()
            if ready(value):
                return value
        except OSError:
            pass  # Prometheus still starting
        assert time.monotonic() < deadline, "Prometheus never produced the expected result"
        time.sleep(0.5)


def test_slo_error_ratios_match_what_was_observed(prometheus: str) -> None:
    def ratios() -> dict[str, float]:
        result = api(prometheus, "query", query="mysetlist:slo_errors:ratio_rate5m")["result"]
        return {r["metric"]["slo"]: float(r["value"][1]) for r in result}

    found = poll(ratios, lambda r: {"kickoff", "shows", "catalog"} <= set(r))
    assert found["shows"] == pytest.approx(0.5, abs=0.05)
    assert found["catalog"] == 0
    assert found["kickoff"] == 0
    assert math.isnan(found.get("sse_delivery", math.nan))  # nothing delivered: 0/0, which never alerts


def test_the_burning_slo_and_the_429s_alert_and_nothing_else(prometheus: str) -> None:
    def alerts() -> list[dict[str, str]]:
        return [a["labels"] for a in api(prometheus, "alerts")["alerts"]]

    wanted = [
        {"alertname": "MysetlistSLOFastBurn", "slo": "shows", "severity": "page"},
        {"alertname": "MysetlistSLOSlowBurn", "slo": "shows", "severity": "ticket"},
        {"alertname": "MysetlistUpstreamRateLimited", "upstream": "spotify", "severity": "page"},
    ]
    found = poll(alerts, lambda a: all(w in a for w in wanted))
    assert sorted(found, key=lambda a: a["alertname"]) == wanted
