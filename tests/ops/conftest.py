"""Operators' tools: the admin token for this module's in-process gateway."""

from collections.abc import Iterator

import pytest

TOKEN = "test-ops-token"


@pytest.fixture(scope="module")
def admin_env(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    from mysetlist_common.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMIN_TOKEN", TOKEN)
        get_settings.cache_clear()
        yield {"Authorization": f"Bearer {TOKEN}"}
    get_settings.cache_clear()
