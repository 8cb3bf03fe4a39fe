"""The admin re-import: a new command with a new import id, guarded by ADMIN_TOKEN."""

from collections.abc import Iterator

import httpx
import pytest

from mysetlist_devtools.testing import running_app

pytestmark = [pytest.mark.real, pytest.mark.asyncio(loop_scope="session")]

TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def admin_env(stack_env: dict[str, str]) -> Iterator[None]:
    from mysetlist_common.settings import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADMIN_TOKEN", TOKEN)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


async def test_reimport_needs_the_token_and_joins_a_running_import(admin_env: None) -> None:
    from mysetlist_gateway.app import create_app

    async with running_app(create_app()) as gateway, httpx.AsyncClient(base_url=gateway) as client:
        first = (await client.post("/api/artists/import", json={"tmAttractionId": "K8vAdmin1"})).json()
        url = f"/api/admin/artists/{first['artistId']}/reimport"
        assert (await client.post(url)).status_code == 401
        assert (await client.post(url, headers={"Authorization": "Bearer wrong"})).status_code == 401
        ok = await client.post(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert ok.json()["importId"] == first["importId"], "an import is running: join it"
        unknown = "/api/admin/artists/00000000-0000-0000-0000-000000000000/reimport"
        assert (await client.post(unknown, headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 404
