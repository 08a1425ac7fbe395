"""``POST /v1/fleets`` on the real app over a real SQLite store."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spotarb.core.config import load_settings
from spotarb.core.rows import to_rows
from spotarb.placement.snapshot import hazard
from spotarb.store import open_store
from tests.placement.conftest import price

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    from spotarb.api import create_app

    db = str(tmp_path / "spotarb.db")
    fresh = datetime.now(UTC) - timedelta(seconds=20)  # AWS prices age out after 3 minutes
    old = datetime.now(UTC) - timedelta(days=30)
    when = {"collected_at": fresh, "observed_at": fresh}
    rows = [
        price("m5.2xlarge", 0.12, zone="us-east-1a", vcpu=8, memory_gb=32, interruption_rate=0.04,
              on_demand_price_per_hour=0.384, **when),
        price("m5.2xlarge", 0.13, zone="us-east-1b", vcpu=8, memory_gb=32, interruption_rate=0.04,
              on_demand_price_per_hour=0.384, **when),
        price("m6i.2xlarge", 0.14, region="us-west-2", vcpu=8, memory_gb=32,
              interruption_rate=0.12, on_demand_price_per_hour=0.384, **when),
        price("Standard_D8s_v5", 0.10, provider="azure", region="eastus", vcpu=8, memory_gb=32,
              interruption_rate=0.18, on_demand_price_per_hour=0.384, **when),
        price("n2-standard-8", 0.05, provider="gcp", region="us-central1", vcpu=8, memory_gb=32,
              on_demand_price_per_hour=0.39, collected_at=old, observed_at=old),
    ]  # fmt: skip
    store = open_store(db)
    store.write_rows(to_rows(rows), source="aws-ec2-api")
    store.close()
    app = create_app(load_settings(db=db, feeds=["aws", "azure"]), collect=False)
    with TestClient(app) as test_client:
        yield test_client


def test_fleet_answer_in_camel_case(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 6, "minCPU": 8, "maxPerPool": 2, "jobHours": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    got = [(a["instanceType"], a["availabilityZone"] or a["region"], a["count"])
           for a in body["allocations"]]  # fmt: skip
    # The 30-day-old GCP price is stale: not used without allowStale.
    assert got == [("Standard_D8s_v5", "eastus", 2), ("m5.2xlarge", "us-east-1a", 2),
                   ("m5.2xlarge", "us-east-1b", 2)]  # fmt: skip
    assert body["totalPricePerHour"] == pytest.approx(0.70)
    assert body["totalOnDemandPerHour"] == pytest.approx(6 * 0.384)
    assert body["savingsPercent"] == pytest.approx(100 * (1 - 0.70 / 2.304))
    assert body["expectedInterruptionsPerHour"] == pytest.approx(
        2 * hazard(0.18) + 4 * hazard(0.04)
    )
    assert body["expectedCost"] > 4 * 0.70
    assert (body["pools"], body["regions"], body["providers"]) == (3, 2, 2)
    assert body["summary"]["candidatesConsidered"] == 4
    assert body["staleRowsExcluded"] == 1 and body["allowStale"] is False
    assert body["allocations"][0]["pricePerHour"] == 0.10
    assert body["allocations"][0]["onDemandPricePerHour"] == 0.384
    assert body["allocations"][0]["interruptionRate"] == 0.18


def test_allow_stale_uses_old_prices(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 2, "maxPerPool": 2, "allowStale": True})
    assert r.status_code == 200
    assert [a["instanceType"] for a in r.json()["allocations"]] == ["n2-standard-8"]


def test_every_placement_filter_applies_to_fleets(client: TestClient) -> None:
    r = client.post(
        "/v1/fleets",
        json={"count": 2, "maxPerPool": 1, "providers": ["aws"], "maxInterruptionRate": 0.1,
              "excludeRegions": ["us-west-2"]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert {a["region"] for a in body["allocations"]} == {"us-east-1"}
    assert body["summary"]["removedBy"] == {"providers": 1, "exclude_regions": 1,
                                            "arch": 0, "max_interruption_rate": 0}  # fmt: skip


def test_same_region_and_price_capacity_optimized(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 4, "maxPerPool": 2, "sameRegion": True,
                                        "strategy": "price-capacity-optimized"})  # fmt: skip
    assert r.status_code == 200
    assert {a["region"] for a in r.json()["allocations"]} == {"us-east-1"}
    assert r.json()["strategy"] == "price-capacity-optimized"


def test_no_feasible_fleet_is_404_with_the_binding_cap(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 7, "maxPerPool": 2, "maxPerRegion": 2})
    assert r.status_code == 404
    body = r.json()
    assert body["bindingConstraint"] == "maxPerRegion"
    assert body["largestFleet"] == 6  # three regions × 2
    assert "largest feasible fleet is 6 instances" in body["detail"]
    assert "allowStale=true" in body["detail"]  # the stale GCP row is mentioned


def test_a_filter_that_leaves_nothing_is_404_naming_it(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 2, "gpuType": "a100"})
    assert r.status_code == 404
    assert r.json()["blockingFilter"] == "gpuType"


def test_capacity_target(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"targetVCPU": 20, "maxPerPool": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["unit"] == "vCPU" and body["target"] == 20
    assert body["vcpus"] == 24
    assert body["totalPricePerHour"] == pytest.approx(0.10 * 2 + 0.12)


def test_capacity_target_with_a_region_cap(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"targetVCPU": 40, "maxPerRegion": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    per_region: dict[str, int] = {}
    for a in body["allocations"]:
        per_region[a["region"]] = per_region.get(a["region"], 0) + a["count"]
    # Default maxPerPool ceil(40 / (4·8)) = 2: eastus 2, us-east-1 2 (its cap), us-west-2 1.
    assert per_region == {"eastus": 2, "us-east-1": 2, "us-west-2": 1}
    assert body["vcpus"] == 40
    assert body["totalPricePerHour"] == pytest.approx(2 * 0.10 + 2 * 0.12 + 0.14)


def test_capacity_target_beyond_the_region_cap_is_404(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"targetVCPU": 64, "maxPerPool": 4, "maxPerRegion": 2})
    assert r.status_code == 404
    body = r.json()
    assert body["bindingConstraint"] == "maxPerRegion"
    assert body["largestFleet"] == 48  # three regions × 2 × 8 vCPU
    assert "largest feasible fleet is 48 vCPU" in body["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 2, "targetGPUs": 2}, "targetGPUs"),
        ({}, "count"),
        ({"count": 2, "strategy": "balanced"}, "strategy"),
        ({"count": 2, "strategy": "expected-cost"}, "jobHours"),
        ({"count": 2, "sameZone": "maybe"}, "sameZone"),
        ({"count": 2, "fleetName": "x"}, "fleetName"),
    ],
)
def test_invalid_requests_are_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    r = client.post("/v1/fleets", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == field


def test_a_certain_interruption_is_null_not_infinity(client: TestClient) -> None:
    from spotarb.store import open_store as reopen

    db = client.app.state.service.settings.db  # type: ignore[attr-defined]
    store = reopen(db)
    now = datetime.now(UTC)
    doomed = price("doomed", 0.01, zone="us-east-1c", interruption_rate=1.0, collected_at=now,
                   observed_at=now)  # fmt: skip
    store.write_rows(to_rows([doomed]), source="aws-ec2-api")
    store.close()
    client.app.state.service.refresh(force=True)  # type: ignore[attr-defined]
    r = client.post("/v1/fleets", json={"count": 1, "jobHours": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allocations"][0]["instanceType"] == "doomed"
    assert body["expectedInterruptionsPerHour"] is None
    assert body["expectedCost"] is None and body["allocations"][0]["expectedCost"] is None


def test_region_groups_and_families_apply_to_fleets(client: TestClient) -> None:
    r = client.post("/v1/fleets", json={"count": 3, "maxPerPool": 2, "regions": ["geo:us-east"],
                                        "excludeFamilies": ["m6i*"]})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert {(a["region"], a["instanceType"]) for a in body["allocations"]} == {
        ("eastus", "Standard_D8s_v5"), ("us-east-1", "m5.2xlarge")}  # fmt: skip
    assert body["summary"]["removedBy"]["regions"] == 1  # us-west-2
    r = client.post("/v1/fleets", json={"count": 2, "regions": ["geo:asia"]})
    assert r.status_code == 404
    assert r.json()["blockingFilter"] == "regions"
