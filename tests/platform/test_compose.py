"""docker-compose.yml checked offline against the code (`make compose-test` runs it for real, with Docker)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyOptions

from mysetlist_common.settings import Settings

REPO = Path(__file__).resolve().parents[2]
APP_SERVICES = {"gateway": 8000, "progress": 8001, "shows-ingest": 8002, "catalog-ingest": 8003}
SETTINGS_ENV = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def test_file_follows_the_compose_specification() -> None:
    """The Compose specification's parser (compose_spec): misspelled keys, bad ports or conditions fail."""
    spec = PyOptions(apply_merge=True).from_yaml((REPO / "docker-compose.yml").read_text())
    spec.validate()
    assert set(spec.service_names()) >= set(APP_SERVICES)


def test_every_part_of_the_system_is_there(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {
        *APP_SERVICES,
        "kafka",
        "postgres",
        "simulator",
        "prometheus",
        "migrate",
    }


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_service_environment_names_are_settings(compose: dict[str, Any], name: str) -> None:
    env = compose["services"][name]["environment"]
    unknown = set(env) - SETTINGS_ENV
    assert not unknown, f"{name}: {sorted(unknown)} are not fields of mysetlist_common.settings.Settings"
    assert {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} <= set(env)
    assert "kafka:9092" in env["KAFKA_BOOTSTRAP_SERVERS"]
    assert "@postgres:5432/" in env["DATABASE_URL"]


@pytest.mark.parametrize(("name", "port"), sorted(APP_SERVICES.items()))
def test_service_listens_where_compose_expects(compose: dict[str, Any], name: str, port: int) -> None:
    service = compose["services"][name]
    key = name.replace("-", "_")
    env = service["environment"]
    assert int(env[f"{key.upper()}_PORT"]) == port == Settings.model_fields[f"{key}_port"].default
    assert env[f"{key.upper()}_HOST"] == "0.0.0.0", "bind every interface inside the container"
    assert any(str(p).endswith(f":{port}") for p in service["ports"])
    assert service["build"]["args"]["SERVICE"] == name
    assert (REPO / "services" / name / "src" / f"mysetlist_{key}").is_dir()
    assert service["stop_grace_period"] == "30s"


def test_images_build_from_the_repository_root(compose: dict[str, Any]) -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    for name in [*APP_SERVICES, "simulator", "migrate"]:
        build = compose["services"][name]["build"]
        assert build["context"] == "." and build["dockerfile"] == "Dockerfile"
    assert "ARG SERVICE" in dockerfile and "uv sync --frozen" in dockerfile


def test_prometheus_scrapes_every_service(compose: dict[str, Any]) -> None:
    mounted = [v.split(":")[0] for v in compose["services"]["prometheus"]["volumes"]]
    config = yaml.safe_load((REPO / mounted[0]).read_text())
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert {f"{name}:{port}" for name, port in APP_SERVICES.items()} <= targets
    assert all((REPO / path).is_file() for path in mounted)


def test_kafka_is_kraft_with_the_stack_defaults(compose: dict[str, Any]) -> None:
    env = compose["services"]["kafka"]["environment"]
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert int(env["KAFKA_NUM_PARTITIONS"]) == 8


def dockerfile_copies() -> list[str]:
    """Sources the build stage copies from the context (`COPY <src...> <dest>`, not `--from=`)."""
    sources: list[str] = []
    for line in (REPO / "Dockerfile").read_text().splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"] and not parts[1].startswith("--"):
            sources += parts[1:-1]
    return sources


@pytest.mark.parametrize("name", sorted({*APP_SERVICES, "simulator"}))
def test_image_build_step_installs_the_service(compose: dict[str, Any], name: str, tmp_path: Path) -> None:
    """Replays the Dockerfile's install step on exactly what it copies: the service's module must be there."""
    service = compose["services"][name]["build"]["args"]["SERVICE"]
    module = f"mysetlist_{service.replace('-', '_')}"
    context = tmp_path / "context"
    for source in dockerfile_copies():
        src = REPO / source
        dest = context / source
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", ".venv", "tests"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is needed to build the images"
    venv = tmp_path / "venv"
    argv = [
        uv,
        "sync",
        "--quiet",
        "--frozen",
        "--no-dev",
        "--no-editable",
        "--package",
        f"mysetlist-{service}",
    ]
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    build = subprocess.run(argv, cwd=context, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    probe = f"import importlib.util as u; assert u.find_spec('{module}.__main__'), 'no {module}.__main__'"
    if service == "catalog-ingest":  # the classifier's place names are package data: they must ship too
        probe += "; from mysetlist_common.catalog_rules.gazetteer import places; assert len(places()) > 1000"
    check = subprocess.run([venv / "bin" / "python", "-c", probe], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
