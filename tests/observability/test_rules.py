"""The Prometheus rules load in Prometheus (promtool), alert as the unit tests in rules.test.yml expect,
and every alert points at a runbook that exists."""

import re
import subprocess
from pathlib import Path
from typing import Any

UNIT_TESTS = Path(__file__).with_name("rules.test.yml")
RUNBOOKS = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "README.md"


def test_promtool_checks_the_rules(promtool: str, rules_path: Path) -> None:
    out = subprocess.run([promtool, "check", "rules", str(rules_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_promtool_unit_tests_pass(promtool: str) -> None:
    out = subprocess.run(
        [promtool, "test", "rules", UNIT_TESTS.name], capture_output=True, text=True, cwd=UNIT_TESTS.parent
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_alert_has_severity_summary_and_an_existing_runbook(rules: list[dict[str, Any]]) -> None:
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', RUNBOOKS.read_text()))
    slos = {r["labels"]["slo"] for r in rules if r.get("record") == "mysetlist:slo_error_budget:ratio"}
    alerts = [r for r in rules if "alert" in r]
    assert len(alerts) >= 8
    for alert in alerts:
        assert alert["labels"]["severity"] in {"page", "ticket"}, alert["alert"]
        assert alert["annotations"]["summary"] and alert["annotations"]["description"], alert["alert"]
        runbook = alert["annotations"]["runbook"]
        assert runbook.startswith("deploy/observability/README.md#"), alert["alert"]
        anchor = runbook.split("#", 1)[1]
        targets = {anchor.replace("{{ $labels.slo }}", slo) for slo in slos}  # one section per SLO
        assert targets <= anchors, f"{alert['alert']}: no runbook section {targets - anchors}"


def test_each_slo_has_an_error_ratio_for_every_burn_rate_window(rules: list[dict[str, Any]]) -> None:
    slos = {r["labels"]["slo"] for r in rules if r.get("record") == "mysetlist:slo_error_budget:ratio"}
    assert slos == {"kickoff", "shows", "catalog", "sse_delivery"}
    windows = {"5m", "30m", "1h", "6h"}  # the fast (1h/5m) and slow (6h/30m) burn-rate alert pairs
    have = {
        (r["labels"]["slo"], r["record"].rsplit("_rate", 1)[1])
        for r in rules
        if r.get("record", "").startswith("mysetlist:slo_errors:ratio_rate")
    }
    assert have == {(slo, w) for slo in slos for w in windows}
