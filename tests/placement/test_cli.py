"""``spotarb place`` against a real SQLite store."""

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
    # These tests are about ranking: every row counts as fresh (staleness has its own
    # tests in tests/service/test_staleness.py).
    for feed in ("AWS", "AZURE", "GCP"):
        monkeypatch.setenv(f"SPOTARB_{feed}_MAX_AGE", "86400")
    path = str(tmp_path / "spotarb.db")
    fresh = datetime.now(UTC) - timedelta(minutes=5)
    old = datetime.now(UTC) - timedelta(hours=5)
    rows = [
        price("m5.2xlarge", 0.12, vcpu=8, memory_gb=32, interruption_rate=0.05,
              on_demand_price_per_hour=0.384, collected_at=fresh, observed_at=fresh),
        price("n2-standard-8", 0.09, provider="gcp", region="us-central1", vcpu=8,
              memory_gb=32, collected_at=old, observed_at=old),
        price("Standard_D8s_v5", 0.10, provider="azure", region="eastus", vcpu=8, memory_gb=32,
              interruption_rate=0.1, collected_at=fresh, observed_at=fresh),
        price("p4d.24xlarge", 9.8, vcpu=96, memory_gb=1152, gpu_count=8,
              gpu_type="nvidia-a100", interruption_rate=0.2, collected_at=fresh,
              observed_at=fresh),
    ]  # fmt: skip
    store = open_store(path)
    store.write_rows(to_rows(rows), source="test")
    store.close()
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["place", *args])
    return result.exit_code, result.stdout, result.stderr


def test_table_output(db: str) -> None:
    code, out, _ = run("--cpu", "8", "--memory", "32", "--db", db)
    assert code == 0, out
    assert "Best: gcp n2-standard-8 in us-central1" in out
    assert "Standard_D8s_v5" in out and "m5.2xlarge" in out
    assert "4 prices considered; 4 matched" in out
    assert "4 candidates ranked" in out
    assert "region preference: not requested" in out


def test_json_output_uses_camel_case_names(db: str) -> None:
    code, out, _ = run(
        "--cpu", "8", "--memory", "32", "--prefer-regions", "us-east-1,eastus", "--json", "--db", db
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["instanceType"] == "Standard_D8s_v5"
    assert data["summary"]["regionPreference"] == "applied"
    assert [a["instanceType"] for a in data["alternatives"]] == ["m5.2xlarge", "p4d.24xlarge"]
    assert data["alternatives"][0]["savingsPct"] == pytest.approx(68.75)


def test_strategy_expected_cost_and_max_age(db: str) -> None:
    code, out, _ = run(
        "--cpu", "8", "--strategy", "expected-cost", "--job-hours", "10",
        "--checkpoint-hours", "1", "--max-age", "1h", "--json", "--db", db,
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["instanceType"] == "Standard_D8s_v5"  # the older GCP row is dropped
    assert data["summary"]["removedBy"]["not_older_than"] == 1
    assert data["expectedHours"] > 10
    assert data["dataAgeSeconds"] == pytest.approx(300, abs=60)


def test_gpu_filters(db: str) -> None:
    code, out, _ = run("--gpus", "1", "--gpu-type", "a100", "--json", "--db", db)
    assert code == 0, out
    assert json.loads(out)["instanceType"] == "p4d.24xlarge"


def test_no_match_exits_1_with_the_explanation(db: str) -> None:
    code, _out, err = run("--gpu-type", "a100", "--gpus", "8", "--max-price", "5", "--db", db)
    assert code == 1
    assert "No suitable instances available for requirements" in err
    assert "the cheapest match is $9.80/h (aws p4d.24xlarge us-east-1a)" in err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--cpu", "-1"], "--cpu"),
        (["--max-interruption", "2"], "--max-interruption"),
        (["--strategy", "fastest"], "--strategy"),
        (["--gpu-type", "a1000"], "--gpu-type"),
        (["--strategy", "expected-cost"], "--job-hours"),
        (["--providers", "ibm"], "--providers"),
        (["--alternatives", "99"], "--alternatives"),
        (["--max-age", "soon"], "--max-age"),
        (["--regions", "geo:nowhere"], "--regions"),
        (["--exclude-regions", "geo:x"], "--exclude-regions"),
        (["--gpu-types", "t4,nope"], "--gpu-types"),
        (["--gpu-types", "t4", "--gpu-type", "l4"], "--gpu-types"),
        (["--min-gpu-memory", "0"], "--min-gpu-memory"),
        (["--arch", "sparc"], "--arch"),
    ],
)
def test_invalid_input_exits_2_with_one_line(db: str, args: list[str], flag: str) -> None:
    code, _, err = run(*args, "--db", db)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert flag in lines[0]


@pytest.fixture
def arm_db(tmp_path: Path) -> str:
    """8 vCPU / 32 GiB on AWS where the arm64 t4g.2xlarge is the cheapest."""
    path = str(tmp_path / "arm.db")
    now = datetime.now(UTC)
    rows = [
        price("t4g.2xlarge", 0.08, vcpu=8, memory_gb=32, arch="arm64", collected_at=now,
              observed_at=now),
        price("m5.2xlarge", 0.12, vcpu=8, memory_gb=32, collected_at=now, observed_at=now),
        price("m6i.2xlarge", 0.13, vcpu=8, memory_gb=32, collected_at=now, observed_at=now),
        price("m5.metal", 1.5, vcpu=96, memory_gb=384, region="eu-west-1", collected_at=now,
              observed_at=now),
        price("Standard_D8ps_v5", 0.01, provider="azure", region="eastus", vcpu=8, memory_gb=32,
              arch="arm64", collected_at=now, observed_at=now),
    ]  # fmt: skip
    store = open_store(path)
    store.write_rows(to_rows(rows), source="test")
    store.close()
    return path


def test_arch_defaults_to_x86_64_and_is_shown(arm_db: str) -> None:
    base = ("--cpu", "8", "--memory", "32", "--providers", "aws", "--db", arm_db)
    code, out, _ = run(*base)
    assert code == 0, out
    assert "Best: aws m5.2xlarge in us-east-1a (x86_64)" in out
    assert "arm64" not in out and "t4g" not in out
    assert "1 by arch" in out
    for arch in ("arm64", "any"):
        code, out, _ = run(*base, "--arch", arch, "--json")
        assert code == 0, out
        data = json.loads(out)
        assert data["instanceType"] == "t4g.2xlarge" and data["arch"] == "arm64"
    code, out, _ = run(*base, "--json")
    assert [d["arch"] for d in [json.loads(out), *json.loads(out)["alternatives"]]] == [
        "x86_64"
    ] * 3


def test_region_and_family_filters(arm_db: str) -> None:
    code, out, _ = run("--regions", "geo:eu", "--arch", "any", "--json", "--db", arm_db)
    assert code == 0, out
    data = json.loads(out)
    assert data["instanceType"] == "m5.metal" and data["alternatives"] == []
    assert data["summary"]["removedBy"]["regions"] == 4
    code, out, _ = run(
        "--exclude-families", "*.metal,m5", "--exclude-regions", "eastus", "--json", "--db", arm_db
    )
    assert code == 0, out
    data = json.loads(out)
    assert [data["instanceType"]] + [a["instanceType"] for a in data["alternatives"]] == [
        "m6i.2xlarge"
    ]
    assert data["summary"]["removedBy"]["exclude_families"] == 2
    code, out, _ = run("--include-families", "t4g", "--exclude-burstable", "--arch", "any",
                       "--db", arm_db)  # fmt: skip
    assert code == 1
