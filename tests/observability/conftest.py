"""Shared pieces of the observability tests: the files under test and their PromQL (promtool and
kubectl come from the root conftest.py)."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
RULES = OBSERVABILITY / "prometheus-rules.yml"
DASHBOARD = OBSERVABILITY / "grafana" / "mysetlist-import.json"

# Grafana's interval variables, as Prometheus would see them once Grafana substituted them.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "6h"}


@pytest.fixture(scope="session")
def rules_path() -> Path:
    return RULES


@pytest.fixture(scope="session")
def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


@pytest.fixture(scope="session")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="session")
def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


@pytest.fixture(scope="session")
def dashboard_exprs(panels: list[dict[str, Any]]) -> list[str]:
    """Every query of the dashboard, with Grafana's variables substituted."""
    exprs = []
    for panel in panels:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            exprs.append(expr)
    return exprs
