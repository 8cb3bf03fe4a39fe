"""The Grafana dashboard is valid, every panel queries the chosen Prometheus, every query parses, and the
kustomization ships the files unchanged (also when deploy/k8s includes it)."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy" / "observability"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def test_the_dashboard_has_a_prometheus_datasource_variable(dashboard: dict[str, Any]) -> None:
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert dashboard["uid"] and dashboard["title"]


def test_every_panel_has_the_datasource_and_a_target(panels: list[dict[str, Any]]) -> None:
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip() and target["refId"], panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_slo_thresholds_are_drawn(panels: list[dict[str, Any]]) -> None:
    def lines(title_part: str) -> set[float]:
        panel = next(p for p in panels if title_part in p["title"])
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        return {s["value"] for s in steps if s["value"] is not None}

    assert {0.02, 0.2} <= lines("Kickoff latency")
    assert 30 in lines("Shows phase duration")
    assert 45 in lines("Catalog phase duration")
    assert 0.05 in lines("SSE delivery latency")


def test_every_dashboard_query_parses(promtool: str, dashboard_exprs: list[str], tmp_path: Path) -> None:
    """promtool checks PromQL only inside rules: load each query as a recording rule."""
    rules = [{"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(dashboard_exprs)]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def kustomize(kubectl: str, path: Path) -> list[dict[str, Any]]:
    out = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def config_maps(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}


def test_kustomization_ships_rules_dashboard_and_provisioning_unchanged(kubectl: str) -> None:
    maps = config_maps(kustomize(kubectl, OBSERVABILITY))
    for obj in maps.values():
        kubernetes_validate.validate(obj, "1.33", strict=True)
    rules = maps["mysetlist-prometheus-rules"]
    assert rules["data"]["prometheus-rules.yml"] == (OBSERVABILITY / "prometheus-rules.yml").read_text()
    dashboards = maps["mysetlist-grafana-dashboards"]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard_file = OBSERVABILITY / "grafana" / "mysetlist-import.json"
    assert dashboards["data"]["mysetlist-import.json"] == dashboard_file.read_text()
    provisioning = maps["mysetlist-grafana-provisioning"]["data"]
    datasource = yaml.safe_load(provisioning["prometheus.yaml"])["datasources"][0]
    assert datasource["type"] == "prometheus"
    provider = yaml.safe_load(provisioning["mysetlist.yaml"])["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"]


def test_deploy_k8s_can_include_it_with_one_line(kubectl: str, tmp_path: Path) -> None:
    """The line the platform's base kustomization needs: `- ../../observability` under resources."""
    deploy = tmp_path / "deploy"
    shutil.copytree(OBSERVABILITY.parent, deploy)
    base = deploy / "k8s" / "base" / "kustomization.yaml"
    spec = yaml.safe_load(base.read_text())
    if "../../observability" not in spec["resources"]:
        spec["resources"].append("../../observability")
        base.write_text(yaml.safe_dump(spec))
    maps = config_maps(kustomize(kubectl, deploy / "k8s" / "overlays" / "production"))
    assert maps["mysetlist-prometheus-rules"]["metadata"]["namespace"] == "mysetlist"
    assert "mysetlist-grafana-dashboards" in maps
