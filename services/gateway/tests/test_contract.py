"""The gateway keeps its own OpenAPI contract (regressions of what Schemathesis found): numbers the database
cannot hold are 422, every error body is the one declared error model, a wrong method on a known path is
405 with Allow, and every route documents every status it can answer."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mysetlist_devtools.testing import lifespan_of

pytestmark = pytest.mark.real

BIGINT_MAX = 2**63 - 1


@pytest.fixture(scope="module")
async def client(stack_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    from mysetlist_gateway.app import create_app

    app = create_app()
    # raise_app_exceptions=False: a crash is seen as the 500 a client would get
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with lifespan_of(app), httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
        yield http


@pytest.fixture(scope="module")
async def artist_id(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/artists/import", json={"tmAttractionId": "K8vContract1"})
    assert response.status_code == 200, response.text
    return str(response.json()["artistId"])


def _is_error_body(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("detail"), str)


@pytest.mark.parametrize("query", [f"offset={BIGINT_MAX + 1}", f"limit={2**64}", "offset=-1", "limit=0"])
@pytest.mark.parametrize("lists", ["shows", "songs"])
async def test_numbers_the_database_cannot_take_are_422(
    client: httpx.AsyncClient, artist_id: str, lists: str, query: str
) -> None:
    response = await client.get(f"/api/artists/{artist_id}/{lists}?{query}")
    assert response.status_code == 422, response.text
    assert _is_error_body(response.json())


async def test_the_largest_offset_the_database_takes_is_an_empty_page(
    client: httpx.AsyncClient, artist_id: str
) -> None:
    response = await client.get(f"/api/artists/{artist_id}/shows?offset={BIGINT_MAX}")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["nextOffset"] is None


async def test_a_validation_error_is_the_declared_error_model(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/artists/import", json={"tmAttractionId": ""})
    assert response.status_code == 422
    body = response.json()
    assert _is_error_body(body), body
    assert "tmAttractionId" in body["detail"], "the message names the field"
    assert body["errors"][0]["loc"][-1] == "tmAttractionId", "and the details stay machine-readable"


async def test_get_on_the_kickoff_path_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/artists/import")
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert _is_error_body(response.json())


async def test_unknown_paths_and_methods_answer_the_error_model(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404 and _is_error_body(missing.json())
    wrong = await client.delete("/api/search")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET" and _is_error_body(wrong.json())


async def test_every_error_status_is_documented_with_the_error_model(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = {
        (method.upper(), path): op for path, item in spec["paths"].items() for method, op in item.items()
    }
    undocumented = []
    for (method, path), op in operations.items():
        statuses = {"422", "500", "503"}
        if method == "POST":
            statuses |= {"400", "413"}
        for status in sorted(statuses):
            response = op["responses"].get(status)
            ref = (
                (response or {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
            )
            if ref != "#/components/schemas/ErrorBody":
                undocumented.append(f"{method} {path} {status}")
    assert not undocumented, "error statuses not documented with ErrorBody"
    assert "429" in operations["POST", "/api/artists/import"]["responses"]
    assert "429" in operations["GET", "/api/artists/{artist_id}/stream"]["responses"]
    error_body = spec["components"]["schemas"]["ErrorBody"]
    assert error_body["properties"]["detail"]["type"] == "string"
    assert "HTTPValidationError" not in spec["components"]["schemas"], "one error model, not two"


@pytest.mark.parametrize("param", ["q", "rule"])
async def test_a_nul_character_the_database_cannot_store_is_422(
    client: httpx.AsyncClient, artist_id: str, param: str
) -> None:
    response = await client.get(f"/api/artists/{artist_id}/catalog/decisions", params={param: "live\x00"})
    assert response.status_code == 422, response.text
    assert _is_error_body(response.json())


async def test_a_body_that_is_not_utf8_is_a_documented_400(client: httpx.AsyncClient) -> None:
    """Found by Schemathesis: FastAPI answers 400 for a body it cannot decode, which was undocumented."""
    response = await client.post(
        "/api/artists/import", content=b"\xffI", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and _is_error_body(response.json())
    spec = (await client.get("/openapi.json")).json()
    assert "400" in spec["paths"]["/api/artists/import"]["post"]["responses"]
