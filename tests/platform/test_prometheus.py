"""The local Prometheus config and the SLO rules are valid (promtool, from Debian's prometheus package)."""

import shutil
import subprocess
from pathlib import Path

from prometheus_server import render_prometheus_config  # on sys.path via the root conftest
from python_services import SERVICES


def test_rendered_config_and_rules_check(promtool: str, tmp_path: Path) -> None:
    conf = render_prometheus_config(tmp_path)
    out = subprocess.run([promtool, "check", "config", str(conf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout + out.stderr
    for svc in SERVICES:
        if svc.name != "simulator":  # not production: it serves no /metrics
            assert f"127.0.0.1:{svc.port}" in conf.read_text()


def test_compose_config_checks(promtool: str, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    conf = tmp_path / "prometheus.yml"
    conf.write_text((repo / "deploy/compose/prometheus.yml").read_text().replace("/etc/prometheus/", ""))
    shutil.copy(repo / "deploy/observability/prometheus-rules.yml", tmp_path / "rules.yml")
    out = subprocess.run([promtool, "check", "config", str(conf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
