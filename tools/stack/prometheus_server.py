"""The stack's Prometheus (Debian's binary, when installed): scrapes every replica of every service with
the ports in force and evaluates the SLO rules of deploy/observability."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from string import Template

from layout import LOCAL, LOGS, RULES, RUN, STACK
from probes import http_ok, port_open, wait_until
from processes import Daemon
from python_services import SERVICES


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def prometheus_port() -> int:
    return int(os.environ.get("PROMETHEUS_PORT", "9090"))


def prometheus_daemon() -> Daemon:
    return Daemon("prometheus", RUN / "prometheus.pid", LOGS / "prometheus.log")


def render_prometheus_config(dest: Path) -> Path:
    """The scrape config with the ports in force and the SLO rules of deploy/observability."""
    dest.mkdir(parents=True, exist_ok=True)
    # Every replica is a target: "127.0.0.1:8002", "127.0.0.1:8102" inside the template's quotes.
    values = {svc.port_env: '", "'.join(f"127.0.0.1:{r.port}" for r in svc.replicas()) for svc in SERVICES}
    values["RULES"] = str(RULES)
    text = Template((STACK / "prometheus" / "prometheus.yml").read_text()).substitute(values)
    conf = dest / "prometheus.yml"
    conf.write_text(text)
    return conf


def start_prometheus() -> str:
    daemon = prometheus_daemon()
    port = prometheus_port()
    if daemon.pid() is not None:
        return "running"
    binary = prometheus_binary()
    if binary is None:
        return "missing"
    if port_open(port):
        return "external"
    conf = render_prometheus_config(LOCAL / "prometheus")
    daemon.spawn(
        [
            binary,
            f"--config.file={conf}",
            f"--storage.tsdb.path={LOCAL / 'prometheus' / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=2d",
        ]
    )
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/-/ready"), 60, "prometheus", daemon.alive)
    return "started"
