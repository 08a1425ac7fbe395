"""Property-based tests against the app's own OpenAPI schema: invalid input is never a 500."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from spotarb.api import create_app
from spotarb.serving.service import Service
from tests.service.conftest import TestClient, row, write


@pytest.fixture
def app(make_service: Callable[..., Service]) -> FastAPI:
    service = make_service(admin_token="fuzz-admin-token")
    write(
        service,
        "aws",
        [
            row(),
            row(
                instance_type="g5.xlarge",
                vcpu=4.0,
                memory_gb=16.0,
                gpu_type="nvidia-a10g",
                gpu_count=1,
                price_per_hour=0.4,
            ),
        ],
    )
    return create_app(service.settings, service=service, collect=False)


@pytest.fixture
def api_schema(app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema: Any) -> None:
    """Each operation, 30 cases per mode (valid, invalid input): no 5xx, documented codes,
    and every body matches the operation's documented response model.

    Driven through hypothesis directly (the schemathesis pytest plugin does not load on
    this pytest version).
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    calls: list[str] = []
    for operation, mode in itertools.product(operations, GenerationMode):
        try:
            _fuzz(operation, mode, calls)
        except Unsatisfiable:
            # No parameters and no body (e.g. /healthz): there is no invalid input to make.
            assert mode is GenerationMode.NEGATIVE, operation.label
    labels = set(calls)
    assert {op.label for op in operations} <= {c.rsplit(" ", 1)[0] for c in labels}
    assert "POST /v1/placements negative" in labels and "GET /v1/prices negative" in labels


def _fuzz(operation: Any, mode: GenerationMode, calls: list[str]) -> None:
    label = f"{operation.label} {mode.value}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        calls.append(label)
        case.call_and_validate(
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ]
        )

    run()


def test_json_operations_document_their_response_models(api_schema: Any) -> None:
    """No JSON operation documents its 200/202 body as a bare string."""
    documented = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for status, response in operation.definition.raw["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if status in ("200", "202") and schema is not None:
                assert schema.get("type") != "string", operation.label
                assert "$ref" in schema or schema.get("type") == "object", operation.label
                documented += 1
    assert documented >= 9


def _key_mismatches(body: Any, schema: dict[str, Any], spec: dict[str, Any], at: str) -> list[str]:
    """Keys in ``body`` its schema does not name, and required keys it lacks (recursively).

    The models allow extra keys, so schemathesis alone would not notice an undocumented one.
    """
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        tries = [_key_mismatches(body, s, spec, at) for s in schema["anyOf"]]
        if any(not t for t in tries) or not isinstance(body, dict | list):
            return []
        return [f"{at}: no variant fits: {tries}"]
    if isinstance(body, list):
        return [
            m
            for i, v in enumerate(body)
            for m in _key_mismatches(v, schema.get("items", {}), spec, f"{at}[{i}]")
        ]
    if not isinstance(body, dict) or "properties" not in schema:
        return []
    props = schema["properties"]
    out = [f"{at}.{k}: undocumented" for k in body.keys() - props.keys()]
    out += [
        f"{at}.{k}: required but missing" for k in set(schema.get("required", [])) - body.keys()
    ]
    for key in body.keys() & props.keys():
        out += _key_mismatches(body[key], props[key], spec, f"{at}.{key}")
    return out


def test_fleet_and_cluster_schemas_name_every_key_sent(app: FastAPI) -> None:
    """The documented schema of each answer names exactly the keys the server sends."""
    with TestClient(app) as client:
        spec = client.get("/openapi.json").json()
        fleets = spec["paths"]["/v1/fleets"]["post"]["responses"]
        cases = [
            (client.post("/v1/fleets", json={"count": 2, "maxPerPool": 1, "jobHours": 2}),
             fleets, 200),
            (client.post("/v1/fleets", json={"count": 5, "maxPerPool": 1}), fleets, 404),
            (client.post("/v1/fleets", json={"count": 1, "minCPU": 64}), fleets, 404),
            (client.get("/v1/cluster"), spec["paths"]["/v1/cluster"]["get"]["responses"], 200),
        ]  # fmt: skip
        bodies = []
        for response, documented, status in cases:
            assert response.status_code == status, response.text
            schema = documented[str(status)]["content"]["application/json"]["schema"]
            assert _key_mismatches(response.json(), schema, spec, response.url.path) == []
            bodies.append(response.json())
    fleet, infeasible, no_match, cluster = bodies
    # Each case reached the part it is here for (nested objects and both 404 variants).
    assert len(fleet["allocations"]) == 2 and "candidatesConsidered" in fleet["summary"]
    assert infeasible["bindingConstraint"] == "maxPerPool" and infeasible["largestFleet"] == 2
    assert no_match["blockingFilter"] == "minCPU" and "bindingConstraint" not in no_match
    assert cluster["dataVersion"] == fleet["dataVersion"] and cluster["store"] == "sqlite"
    # The documented schemas themselves are the named models, not bare objects.
    names = spec["components"]["schemas"]
    assert set(names["FleetBody"]["required"]) >= {"allocations", "totalPricePerHour", "summary"}
    assert names["FleetBody"]["properties"]["allocations"]["items"] == {
        "$ref": "#/components/schemas/FleetAllocationBody"
    }
    assert set(names["ClusterBody"]["required"]) == set(cluster)
    assert set(names["FleetInfeasibleBody"]["required"]) == set(infeasible)


def test_key_mismatches_reports_undocumented_and_missing_keys() -> None:
    """The checker above can fail: an extra key and a missing required one, nested too."""
    spec = {"components": {"schemas": {"A": {"properties": {"x": {}, "y": {}}, "required": ["x"]}}}}
    schema = {"properties": {"rows": {"items": {"$ref": "#/components/schemas/A"}}}}
    assert _key_mismatches({"rows": [{"x": 1}, {"y": 2, "z": 3}]}, schema, spec, "b") == [
        "b.rows[1].z: undocumented",
        "b.rows[1].x: required but missing",
    ]
