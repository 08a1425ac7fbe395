"""The placement filters through ``POST /v1/placements`` (real app, real SQLite store)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from spotarb.serving.service import Service
from tests.service.conftest import make_client, make_service, row, write

__all__ = ["make_client", "make_service"]  # fixtures used by name below


@pytest.fixture
def client(make_service: Callable[..., Service], make_client: Callable[..., Any]) -> Any:
    service = make_service()
    write(
        service,
        "aws",
        [
            row(instance_type="t4g.2xlarge", vcpu=8.0, memory_gb=32.0, arch="arm64",
                price_per_hour=0.08),
            row(instance_type="t3.2xlarge", vcpu=8.0, memory_gb=32.0, price_per_hour=0.09),
            row(instance_type="m5.2xlarge", vcpu=8.0, memory_gb=32.0, price_per_hour=0.12),
            row(instance_type="m5.2xlarge", region="eu-west-1", availability_zone="eu-west-1a",
                vcpu=8.0, memory_gb=32.0, price_per_hour=0.13),
            row(instance_type="g5.xlarge", vcpu=4.0, memory_gb=16.0, gpu_type="nvidia-a10g",
                gpu_count=1, gpu_memory_gb=24.0, price_per_hour=0.4),
            row(instance_type="g4dn.xlarge", vcpu=4.0, memory_gb=16.0, gpu_type="nvidia-t4",
                gpu_count=1, gpu_memory_gb=16.0, price_per_hour=0.2),
        ],
    )  # fmt: skip
    return make_client(service)


def post(client: Any, **body: Any) -> tuple[int, dict[str, Any]]:
    response = client.post("/v1/placements", json=body)
    return response.status_code, response.json()


def chosen(data: dict[str, Any]) -> list[str]:
    return [data["instanceType"]] + [a["instanceType"] for a in data["alternatives"]]


def test_arch_default_and_any(client: Any) -> None:
    status, data = post(client, minCPU=8, minMemoryGB=32, providers=["aws"])
    assert status == 200
    assert data["instanceType"] == "t3.2xlarge" and data["arch"] == "x86_64"
    assert data["summary"]["removedBy"]["arch"] == 1
    status, data = post(client, minCPU=8, minMemoryGB=32, arch="any")
    assert status == 200 and data["instanceType"] == "t4g.2xlarge" and data["arch"] == "arm64"


def test_filters_reach_the_engine_and_are_reported(client: Any) -> None:
    status, data = post(client, minCPU=8, regions=["geo:eu"])
    assert status == 200 and chosen(data) == ["m5.2xlarge"] and data["region"] == "eu-west-1"
    assert data["summary"]["removedBy"]["regions"] == 5
    status, data = post(client, minCPU=8, excludeBurstable=True, excludeRegions=["eu-*"])
    assert status == 200 and chosen(data) == ["m5.2xlarge"]
    assert data["summary"]["removedBy"]["exclude_burstable"] == 1
    status, data = post(client, minCPU=8, excludeFamilies=["t*", "m5"])
    assert status == 404
    assert "exclude_families" in data["detail"]
    status, data = post(client, gpuTypes=["t4", "a10g"], minGPUMemoryGB=20)
    assert status == 200 and chosen(data) == ["g5.xlarge"]
    assert data["summary"]["removedBy"]["min_gpu_memory_gb"] == 1
    status, data = post(client, includeFamilies=["g4dn"], strategy="weighted")
    assert status == 200 and chosen(data) == ["g4dn.xlarge"] and data["strategy"] == "weighted"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"regions": ["geo:nowhere"]}, "regions"),
        ({"gpuTypes": ["not-a-gpu"]}, "gpuTypes"),
        ({"minGPUMemoryGB": 0}, "minGPUMemoryGB"),
        ({"arch": "sparc"}, "arch"),
        ({"strategy": "seed"}, "strategy"),
        ({"excludeBurstable": "maybe"}, "excludeBurstable"),
        ({"includeFamilies": ["x" * 200]}, "includeFamilies"),
    ],
)
def test_bad_filters_answer_422_naming_the_field(
    client: Any, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/placements", json=body)
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"][0]["loc"])
