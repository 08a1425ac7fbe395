"""Best options compare like with like: a 1 × H100 shape never compares an 8-GPU machine."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from spotarb.serving.service import Service
from tests.service.conftest import row, write


def _catalog(service: Service) -> None:
    write(
        service,
        "aws",
        [
            row(
                instance_type="p5.48xlarge",
                vcpu=192.0,
                memory_gb=2048.0,
                gpu_type="nvidia-h100",
                gpu_count=8,
                price_per_hour=30.0,
            )
        ],
    )
    write(
        service,
        "gcp",
        [
            row(
                provider="gcp",
                region="us-central1",
                availability_zone="us-central1-a",
                instance_type="a3-highgpu-1g",
                vcpu=26.0,
                memory_gb=234.0,
                gpu_type="nvidia-h100",
                gpu_count=1,
                price_per_hour=1.45,
                source="gcp-billing-catalog",
            ),
            row(
                provider="gcp",
                region="us-central1",
                availability_zone="us-central1-a",
                instance_type="a3-highgpu-8g",
                vcpu=208.0,
                memory_gb=1872.0,
                gpu_type="nvidia-h100",
                gpu_count=8,
                price_per_hour=11.6,
                source="gcp-billing-catalog",
            ),
        ],
    )


def test_gpu_shapes_compare_exact_gpu_counts(
    make_service: Callable[..., Service], make_client: Callable[..., TestClient]
) -> None:
    service = make_service(best_option_shapes="gpu:h100:1,gpu:h100:8,cpu:2")
    _catalog(service)
    client = make_client(service)
    options = {o["shape"]["name"]: o for o in client.get("/v1/best-options").json()["options"]}
    one = options["gpu:nvidia-h100:1"]
    assert one["shape"]["match"] == "exactGpuCount"
    assert one["best"]["instanceType"] == "a3-highgpu-1g"
    assert one["perProvider"]["aws"] is None  # p5.48xlarge has 8 H100s
    eight = options["gpu:nvidia-h100:8"]
    assert eight["perProvider"]["aws"]["instanceType"] == "p5.48xlarge"
    assert eight["perProvider"]["gcp"]["instanceType"] == "a3-highgpu-8g"
    assert options["cpu:2:8"]["shape"]["match"] == "atLeast"

    page = client.get("/").text
    assert "exactly that many of that GPU" in page
    assert "1971" not in page  # the old 8-GPU vs 1-GPU "spread"
    # 8 × H100: AWS 30.0 vs GCP 11.6 → AWS costs 158.6 % more, a like-for-like spread.
    assert "158.6" in page or "159" in page
