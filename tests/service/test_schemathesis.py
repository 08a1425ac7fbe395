"""Property-based tests against the app's own OpenAPI schema: invalid input is never a 500."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
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
from tests.service.conftest import row, write


@pytest.fixture
def api_schema(make_service: Callable[..., Service]) -> Any:
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
    app = create_app(service.settings, service=service, collect=False)
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
