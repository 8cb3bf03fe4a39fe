"""`make up`'s admin token: generated once under .local/ with mode 0600, given to the services as
ADMIN_TOKEN, and found there by the CLI (MYSETLIST_ADMIN_TOKEN first)."""

import stat
from pathlib import Path

import pytest
import python_services  # tools/stack, on sys.path via the root conftest

from mysetlist_cli.admin import admin_token


def test_the_stack_token_is_made_once_private_and_shared_with_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(python_services, "LOCAL", tmp_path)
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("MYSETLIST_ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("MYSETLIST_LOCAL_DIR", str(tmp_path))
    token = python_services.service_env()["ADMIN_TOKEN"]
    assert len(token) >= 32
    assert stat.S_IMODE((tmp_path / "admin-token").stat().st_mode) == 0o600
    assert python_services.service_env()["ADMIN_TOKEN"] == token, "generated once"
    assert admin_token() == token
    monkeypatch.setenv("MYSETLIST_ADMIN_TOKEN", "from-the-environment")
    assert admin_token() == "from-the-environment"
