"""``spotarb fleet`` against a real SQLite store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.core.rows import to_rows
from spotarb.store import open_store
from tests.placement.conftest import price

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    # Every row counts as fresh here; test_stale_prices_need_allow_stale narrows GCP's age.
    for feed in ("AWS", "AZURE", "GCP"):
        monkeypatch.setenv(f"SPOTARB_{feed}_MAX_AGE", "86400")
    path = str(tmp_path / "spotarb.db")
    fresh = datetime.now(UTC) - timedelta(minutes=5)
    old = datetime.now(UTC) - timedelta(hours=5)
    when = {"collected_at": fresh, "observed_at": fresh}
    a100 = {"gpu_type": "nvidia-a100", "interruption_rate": 0.2}
    rows = [
        price("m5.2xlarge", 0.12, vcpu=8, memory_gb=32, interruption_rate=0.05,
              on_demand_price_per_hour=0.384, **when),
        price("m5.2xlarge", 0.125, zone="us-east-1b", vcpu=8, memory_gb=32,
              interruption_rate=0.05, on_demand_price_per_hour=0.384, **when),
        price("n2-standard-8", 0.09, provider="gcp", region="us-central1", vcpu=8,
              memory_gb=32, collected_at=old, observed_at=old),
        price("Standard_D8s_v5", 0.10, provider="azure", region="eastus", vcpu=8, memory_gb=32,
              interruption_rate=0.1, on_demand_price_per_hour=0.4, **when),
        price("p4d.24xlarge", 9.8, vcpu=96, memory_gb=1152, gpu_count=8, **a100, **when),
        price("p4de.24xlarge", 11.0, vcpu=96, memory_gb=1152, gpu_count=8, **a100, **when),
    ]  # fmt: skip
    store = open_store(path)
    store.write_rows(to_rows(rows), source="test")
    store.close()
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["fleet", *args])
    return result.exit_code, result.stdout, result.stderr


def test_table_and_totals(db: str) -> None:
    code, out, _ = run("--count", "8", "--cpu", "8", "--memory", "32", "--db", db)
    assert code == 0, out
    assert "Fleet: 8 instances (64 vCPU) in 4 pools, 3 regions, 3 clouds" in out
    assert "n2-standard-8" in out and "Standard_D8s_v5" in out
    # 2 per pool (a quarter of 8): 2·(0.09 + 0.10 + 0.12 + 0.125)
    assert "Total $0.8700/h" in out
    assert "maxPerPool defaulted to a quarter of the target (2 instances)" in out


def test_json_with_caps_filters_and_max_age(db: str) -> None:
    code, out, _ = run(
        "--count", "3", "--cpu", "8", "--max-per-region", "2", "--max-age", "1h",
        "--providers", "aws,azure", "--json", "--db", db,
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert [(a["instanceType"], a["count"]) for a in data["allocations"]] == [
        ("Standard_D8s_v5", 1), ("m5.2xlarge", 1), ("m5.2xlarge", 1)
    ]  # fmt: skip
    assert data["summary"]["removedBy"]["providers"] == 1
    assert data["regions"] == 2 and data["providers"] == 2


def test_capacity_target_in_gpus(db: str) -> None:
    code, out, _ = run("--target-gpus", "16", "--gpu-type", "a100", "--json", "--db", db)
    assert code == 0, out
    data = json.loads(out)
    assert data["gpus"] == 16 and data["unit"] == "GPUs"
    assert data["totalPricePerHour"] == pytest.approx(20.8)


def test_capacity_target_with_a_region_cap(db: str) -> None:
    code, out, _ = run("--target-vcpu", "24", "--max-per-region", "1", "--json", "--db", db)
    assert code == 0, out
    data = json.loads(out)
    # One instance per region: three 8-vCPU ones ($0.31) rather than a 96-vCPU one ($9.80).
    assert sorted((a["region"], a["instanceType"], a["count"]) for a in data["allocations"]) == [
        ("eastus", "Standard_D8s_v5", 1), ("us-central1", "n2-standard-8", 1),
        ("us-east-1", "m5.2xlarge", 1),
    ]  # fmt: skip
    assert data["totalPricePerHour"] == pytest.approx(0.31)


def test_capacity_target_beyond_the_region_cap_exits_1(db: str) -> None:
    code, _out, err = run("--target-vcpu", "200", "--max-per-region", "1", "--db", db)
    assert code == 1
    assert "maxPerRegion is binding" in err
    # us-east-1's largest instance (96 vCPU) and one 8-vCPU one in each other region.
    assert "the largest feasible fleet is 112 vCPU" in err


def test_infeasible_exits_1_naming_the_binding_cap(db: str) -> None:
    code, _out, err = run("--count", "9", "--max-price", "1", "--max-per-pool", "2", "--db", db)
    assert code == 1
    assert "maxPerPool is binding" in err
    assert "the largest feasible fleet is 8 instances" in err


def test_same_zone_binding(db: str) -> None:
    code, _out, err = run("--count", "3", "--max-price", "1", "--max-per-pool", "2", "--same-zone",
                          "--providers", "aws", "--db", db)  # fmt: skip
    assert code == 1
    assert "sameZone is binding" in err
    assert "the largest fleet in one zone is 2 instances" in err


def test_stale_prices_need_allow_stale(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTARB_GCP_MAX_AGE", "3600")  # the 5-hour-old GCP price is stale
    args = ["--count", "4", "--cpu", "8", "--max-price", "1", "--max-per-pool", "1", "--db", db]
    code, _out, err = run(*args)
    assert code == 1
    assert "largest feasible fleet is 3 instances" in err
    assert "1 older prices were excluded as stale; pass --allow-stale to use them" in err
    code, out, _ = run(*args, "--allow-stale", "--json")
    assert code == 0, out
    assert "n2-standard-8" in [a["instanceType"] for a in json.loads(out)["allocations"]]


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--count", "0"], "--count"),
        (["--count", "2", "--target-vcpu", "8"], "--target-vcpu"),
        ([], "--count"),
        (["--count", "2", "--strategy", "balanced"], "--strategy"),
        (["--count", "2", "--strategy", "expected-cost"], "--job-hours"),
        (["--count", "2", "--max-interruption", "2"], "--max-interruption"),
        (["--count", "2", "--max-age", "soon"], "--max-age"),
    ],
)
def test_invalid_input_exits_2_naming_the_flag(db: str, args: list[str], flag: str) -> None:
    code, _, err = run(*args, "--db", db)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {flag}:")


def test_region_patterns_and_burstable_filter(db: str) -> None:
    code, out, _ = run("--count", "2", "--max-per-pool", "1", "--regions", "us-*,eastus",
                       "--exclude-families", "p4*", "--json", "--db", db)  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert [a["instanceType"] for a in data["allocations"]] == ["n2-standard-8", "Standard_D8s_v5"]
    assert data["summary"]["removedBy"]["exclude_families"] == 2
    code, _out, err = run("--count", "2", "--regions", "geo:asia", "--db", db)
    assert code == 1 and "the regions filter removed" in err
