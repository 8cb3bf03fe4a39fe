"""deploy/k8s renders with kustomize and every object validates against the Kubernetes schemas, offline.

Rendering uses the kubectl (with kustomize built in) of the root conftest.py's `kubectl` fixture.
"""

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from mysetlist_common.settings import Settings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33"
SERVICES = {"gateway": 8000, "progress": 8001, "shows-ingest": 8002, "catalog-ingest": 8003}
SETTINGS_ENV = {name.upper() for name in Settings.model_fields}
SECRET_ENV = {name.upper() for name, f in Settings.model_fields.items() if f.annotation is SecretStr}


def render(kubectl: str, path: Path) -> list[dict[str, Any]]:
    out = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def objects(request: pytest.FixtureRequest, kubectl: str) -> list[dict[str, Any]]:
    return render(kubectl, K8S / request.param)


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def partitions() -> int:
    props = (REPO / "tools" / "stack" / "kafka" / "server.properties").read_text().splitlines()
    return int(next(line.split("=", 1)[1] for line in props if line.startswith("num.partitions=")))


def test_every_object_validates_offline(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["apiVersion"].startswith("keda.sh/"):
            continue  # a custom resource: no schema ships with Kubernetes (checked below)
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_deployments_are_probed_resourced_and_drain(objects: list[dict[str, Any]]) -> None:
    deployments = by_kind(objects, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > 15, f"{name}: FastStream drains for 15 s"
        (container,) = pod["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["ports"][0]["containerPort"] == SERVICES[name]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_environment_names_are_settings_and_secrets_stay_secret(objects: list[dict[str, Any]]) -> None:
    configmaps = by_kind(objects, "ConfigMap")
    for dep in by_kind(objects, "Deployment").values():
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert set(env) <= SETTINGS_ENV
        for secret in SECRET_ENV | {"DATABASE_URL"}:
            assert "secretKeyRef" in env[secret]["valueFrom"], f"{secret} must come from a Secret"
        for ref in container["envFrom"]:
            data = configmaps[ref["configMapRef"]["name"]]["data"]
            assert set(data) <= SETTINGS_ENV
            assert not set(data) & SECRET_ENV, "secret settings belong in a Secret"


def test_autoscaling_targets_exist_and_consumers_stay_within_partitions(
    objects: list[dict[str, Any]],
) -> None:
    deployments = by_kind(objects, "Deployment")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"gateway", "progress"}
    for scaled in by_kind(objects, "ScaledObject").values():
        assert scaled["spec"]["scaleTargetRef"]["name"] in deployments
        assert scaled["spec"]["maxReplicaCount"] <= partitions()
        (trigger,) = scaled["spec"]["triggers"]
        assert trigger["metadata"]["consumerGroup"] == scaled["spec"]["scaleTargetRef"]["name"]
        assert trigger["metadata"]["topic"] == "imports.requested"


def test_migration_job_runs_alembic(objects: list[dict[str, Any]]) -> None:
    (job,) = by_kind(objects, "Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"][-2:] == ["mysetlist_common.db.migrate", "upgrade"]


def test_production_overlay_pins_images_in_one_namespace(kubectl: str) -> None:
    objects = render(kubectl, K8S / "overlays" / "production")
    namespaced = [o for o in objects if o["kind"] != "Namespace"]
    assert {o["metadata"].get("namespace") for o in namespaced} == {"mysetlist"}
    images = [
        c["image"]
        for o in objects
        if o["kind"] in {"Deployment", "Job"}
        for c in o["spec"]["template"]["spec"]["containers"]
    ]
    assert all(":" in image and not image.endswith(":latest") for image in images)


def test_resync_cronjob_runs_the_planner_with_the_admin_token(objects: list[dict[str, Any]]) -> None:
    (cron,) = by_kind(objects, "CronJob").values()
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"  # never two planners spending the same share
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["command"] == ["mysetlist", "resync", "--run"]
    env = {e["name"]: e for e in container["env"]}
    assert "secretKeyRef" in env["ADMIN_TOKEN"]["valueFrom"]
    assert env["MYSETLIST_URL"]["value"] == f"http://gateway:{SERVICES['gateway']}"
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])


def test_production_pins_the_cronjob_image(kubectl: str) -> None:
    objects = render(kubectl, K8S / "overlays" / "production")
    for cron in by_kind(objects, "CronJob").values():
        for c in cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]:
            assert ":" in c["image"] and not c["image"].endswith(":latest")
