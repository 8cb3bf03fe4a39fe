"""The progress service's HTTP side keeps its OpenAPI contract: event ids the database cannot hold are 422
(not a crash in PostgreSQL), every error body is the declared error model, every status is documented."""

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from mysetlist_devtools.testing import running_app

pytestmark = pytest.mark.real

BIGINT_MAX = 2**63 - 1


@pytest.fixture(scope="module")
async def client(stack_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    from mysetlist_progress.app import create_app

    # a real server: a stream that does not end must not hang the test (ASGITransport buffers bodies)
    async with running_app(create_app()) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
async def artist_id(stack_env: dict[str, str]) -> str:
    """An artist whose import is running: its stream would read events after the given id."""
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from mysetlist_common.db.schema import Artist, ImportStatus

    engine = create_async_engine(stack_env["DATABASE_URL"])
    artist = uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(Artist).values(id=artist, name="P", slug="p", tm_attraction_id="K8vProgress")
        )
        await conn.execute(
            insert(ImportStatus).values(
                artist_id=artist, import_id=uuid4(), stage="running", progress=0, message=""
            )
        )
    await engine.dispose()
    return str(artist)


def _is_error_body(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("detail"), str)


@pytest.mark.parametrize(
    ("query", "headers"),
    [(f"lastEventId={BIGINT_MAX + 1}", {}), ("", {"Last-Event-ID": str(2**64)}), ("lastEventId=-1", {})],
)
async def test_event_ids_the_database_cannot_take_are_422(
    client: httpx.AsyncClient, artist_id: str, query: str, headers: dict[str, str]
) -> None:
    async with client.stream("GET", f"/api/artists/{artist_id}/stream?{query}", headers=headers) as response:
        assert response.status_code == 422, response.headers
        assert _is_error_body(json.loads(await response.aread()))


async def test_unknown_artist_is_404_with_the_error_model(client: httpx.AsyncClient) -> None:
    for path in (f"/api/artists/{uuid4()}/status", f"/api/artists/{uuid4()}/stream", "/api/artists/x/status"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert _is_error_body(response.json())


async def test_every_error_status_is_documented_with_the_error_model(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    undocumented = [
        f"{method.upper()} {path} {status}"
        for path, item in spec["paths"].items()
        for method, op in item.items()
        for status in ("404", "422", "500", "503")
        if op["responses"].get(status, {}).get("content", {}).get("application/json", {}).get("schema", {})
        != {"$ref": "#/components/schemas/ErrorBody"}
    ]
    assert not undocumented
    assert "429" in spec["paths"]["/api/artists/{artist_id}/stream"]["get"]["responses"]
