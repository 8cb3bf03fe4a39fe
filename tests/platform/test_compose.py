"""docker-compose.yml cannot run here (no Docker engine): check what it says against the code instead."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from mysetlist_common.settings import Settings

REPO = Path(__file__).resolve().parents[2]
APP_SERVICES = {"gateway": 8000, "progress": 8001, "shows-ingest": 8002, "catalog-ingest": 8003}
SETTINGS_ENV = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


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
