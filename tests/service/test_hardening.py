"""Hostile input at the HTTP edge: always a precise 4xx, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from spotarb.serving.service import Service
from tests.service.conftest import row, write

Client = Callable[..., TestClient]


@pytest.fixture
def client(make_service: Callable[..., Service], make_client: Client) -> TestClient:
    service = make_service(admin_token="test-admin-token")
    write(service, "aws", [row(), row(instance_type="m5.xlarge", price_per_hour=0.07)])
    return make_client(service)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309", "-1e309"])
@pytest.mark.parametrize("field", ["minCPU", "gpuCount", "maxPricePerHour", "alternatives"])
def test_non_finite_numbers_are_a_422_naming_the_field(
    client: TestClient, field: str, literal: str
) -> None:
    response = client.post(
        "/v1/placements",
        content=f'{{"{field}": {literal}}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [e["loc"] for e in detail] == [["body", field]]
    assert "NaN" not in response.text and "Infinity" not in response.text
    assert "input" not in detail[0]


def test_finite_invalid_input_is_still_echoed(client: TestClient) -> None:
    response = client.post("/v1/placements", json={"minCPU": -1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == -1


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(
            json.dumps(["pricePerHour", 10**400, "a", "b", "c", "d", "e"]).encode()
        ).decode(),
        base64.urlsafe_b64encode(b'["pricePerHour", ' + b"9" * 5000 + b"]").decode(),
        base64.urlsafe_b64encode(b"[" * 100000).decode()[:2048],
        "!!!not-base64!!!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(
            json.dumps(["-vcpu", 1, "a", "b", "c", "d", "e"]).encode()
        ).decode(),
    ],
)
def test_forged_cursor_is_a_422(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/prices", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_real_cursor_still_pages(client: TestClient) -> None:
    first = client.get("/v1/prices", params={"limit": 1}).json()
    second = client.get("/v1/prices", params={"limit": 1, "cursor": first["nextCursor"]}).json()
    assert [p["instanceType"] for p in first["prices"] + second["prices"]] == [
        "m5.large",
        "m5.xlarge",
    ]


def test_trigger_refused_when_collection_is_off(client: TestClient) -> None:
    response = client.post(
        "/v1/feeds/aws/collect", headers={"authorization": "Bearer test-admin-token"}
    )
    assert response.status_code == 409
    assert "--no-collect" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_bodies_are_a_415(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/v1/placements", content='{"minCPU": 1}', headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_bodies_still_accepted(client: TestClient, content_type: str) -> None:
    headers = {"content-type": content_type}
    response = client.post("/v1/placements", content='{"minCPU": 1}', headers=headers)
    assert response.status_code == 200, response.text


LONG = "x" * 10_000


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/prices?region={LONG}",
        f"/v1/prices?region=a,{LONG}",
        f"/v1/prices?instanceType={LONG}",
        f"/v1/prices?provider={LONG}",
        f"/v1/prices?gpuType={LONG}",
        f"/v1/prices/history?provider=aws&region={LONG}&instanceType=m5.large",
        f"/v1/best-options?shape={LONG}",
        "/v1/prices?" + "&".join(["region=a"] * 65),
    ],
)
def test_long_text_queries_are_a_422_everywhere(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text[:300]
    assert LONG not in response.text


def test_long_region_in_a_body_list_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/placements", json={"preferredRegions": [LONG]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "preferredRegions", 0]


def test_every_text_query_parameter_is_bounded(client: TestClient) -> None:
    """The OpenAPI document: each string query parameter (or list item) has a maxLength."""
    from spotarb.core.limits import MAX_LIST, MAX_NAME, MAX_TOKEN

    checked = 0
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                schemas = [param["schema"], *param["schema"].get("anyOf", [])]
                for schema in schemas:
                    label = f"{method} {path} {param['name']}"
                    if schema.get("type") == "string" and not {"enum", "format"} & schema.keys():
                        assert schema.get("maxLength") in (MAX_NAME, MAX_TOKEN, 32), label
                        checked += 1
                    if schema.get("type") == "array":
                        assert schema.get("maxItems") == MAX_LIST, label
                        assert schema["items"].get("maxLength") == MAX_NAME, label
                        checked += 1
    assert checked >= 9


def test_docs_page_uses_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    assert client.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert client.get("/redoc").status_code == 404  # Redoc would fetch its logo from a CDN
