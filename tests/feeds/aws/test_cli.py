"""End to end: `spotarb collect --feed aws` against moto and pytest-httpserver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.feeds.aws.advisor import DEFAULT_ADVISOR_CACHE
from spotarb.feeds.aws.specs import DEFAULT_SPEC_CACHE
from spotarb.store import open_store
from tests.feeds.aws.conftest import ADVISOR_PATH, SPOT_FEED_PATH, SpotSeed

runner = CliRunner()
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _env(
    monkeypatch: pytest.MonkeyPatch, public_endpoints: HTTPServer, tmp_path: Path
) -> Iterator[None]:
    DEFAULT_SPEC_CACHE.clear()
    DEFAULT_ADVISOR_CACHE.clear()
    monkeypatch.setenv("SPOTARB_AWS_ADVISOR_URL", public_endpoints.url_for(ADVISOR_PATH))
    monkeypatch.setenv("SPOTARB_AWS_SPOT_FEED_URL", public_endpoints.url_for(SPOT_FEED_PATH))
    monkeypatch.setenv("SPOTARB_MAX_RETRIES", "0")
    monkeypatch.setenv("SPOTARB_DB", str(tmp_path / "spot.db"))
    yield
    DEFAULT_SPEC_CACHE.clear()
    DEFAULT_ADVISOR_CACHE.clear()


def collect(*extra: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["collect", "--feed", "aws", "--json", *extra])
    assert result.exit_code == 0, result.output
    out: list[dict[str, object]] = json.loads(result.stdout)
    return out


@pytest.mark.usefixtures("aws_credentials")
def test_collect_with_credentials(
    moto_url: str, seed: SpotSeed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPOTARB_AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("SPOTARB_AWS_REGIONS", "us-east-1,us-west-2")
    seed.add("us-east-1", "us-east-1a", "p4d.24xlarge", "9.831600", NOW - timedelta(hours=3))
    seed.add("us-east-1", "us-east-1b", "g4dn.xlarge", "0.210400", NOW - timedelta(days=2))
    seed.add("us-east-1", "us-east-1b", "g4dn.xlarge", "0.190000", NOW - timedelta(days=9))
    seed.add("us-west-2", "us-west-2a", "m5.large", "0.050000", NOW - timedelta(hours=1))

    [outcome] = collect("--since", "7d")
    assert outcome["status"] == "ok" and outcome["inserted"] == 3

    store = open_store(str(tmp_path / "spot.db"))
    rows = {(r.region, r.availability_zone, r.instance_type): r for r in store.current_prices()}
    assert set(rows) == {
        ("us-east-1", "us-east-1a", "p4d.24xlarge"),
        ("us-east-1", "us-east-1b", "g4dn.xlarge"),
        ("us-west-2", "us-west-2a", "m5.large"),
    }
    p4d = rows[("us-east-1", "us-east-1a", "p4d.24xlarge")]
    assert (p4d.price_per_hour, p4d.vcpu, p4d.memory_gb) == (9.8316, 96, 1152)
    assert (p4d.gpu_count, p4d.gpu_type, p4d.gpu_memory_gb) == (8, "nvidia-a100", 40)
    assert p4d.interruption_rate == 0.25 and p4d.source == "aws-ec2-api"
    g4 = rows[("us-east-1", "us-east-1b", "g4dn.xlarge")]
    assert (g4.price_per_hour, g4.gpu_type, g4.observed_at) == (
        0.2104,
        "nvidia-t4",
        NOW - timedelta(days=2),
    )
    history = store.history(g4.key)
    assert [(h.observed_at, h.price_per_hour) for h in history] == [
        (NOW - timedelta(days=9), 0.19),
        (NOW - timedelta(days=2), 0.2104),
    ]

    # Second run: us-west-2 throttled, eu-west-1 times out, ap-south-1 sends a malformed
    # newest point. Their stored rows stay; us-east-1 is updated.
    monkeypatch.setenv("SPOTARB_AWS_REGIONS", "us-east-1,us-west-2,eu-west-1,ap-south-1")
    seed.add("eu-west-1", "eu-west-1a", "m5.large", "0.060000", NOW - timedelta(hours=1))
    seed.add("ap-south-1", "ap-south-1a", "m5.large", "0.070000", NOW - timedelta(hours=1))
    [outcome] = collect()
    assert outcome["status"] == "ok" and outcome["inserted"] == 2
    seed.errors["us-west-2"] = ("RequestLimitExceeded", "Request limit exceeded.")
    seed.sleep["eu-west-1"] = 3.0
    seed.add("ap-south-1", "ap-south-1a", "m5.large", "free", NOW - timedelta(minutes=1))
    seed.add("us-east-1", "us-east-1a", "p4d.24xlarge", "8.500000", NOW - timedelta(minutes=5))
    monkeypatch.setenv("SPOTARB_READ_TIMEOUT", "1.5")
    [outcome] = collect()
    assert outcome["status"] == "partial"
    errors = "\n".join(outcome["regionErrors"])  # type: ignore[arg-type]
    assert "us-west-2: RequestLimitExceeded" in errors
    assert "eu-west-1: timed out" in errors
    assert "ap-south-1: 1 malformed" in errors and "'free'" in errors
    after = {(r.region, r.instance_type): r.price_per_hour for r in store.current_prices()}
    assert after[("us-east-1", "p4d.24xlarge")] == 8.5
    assert after[("us-west-2", "m5.large")] == 0.05
    assert after[("eu-west-1", "m5.large")] == 0.06
    assert after[("ap-south-1", "m5.large")] == 0.07
    runs = store.runs("aws")
    assert [r.status for r in runs[:3]] == ["partial", "ok", "ok"]
    store.close()


def test_collect_without_credentials(
    moto_url: str, seed: SpotSeed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SPOTARB_AWS_ENDPOINT_URL", moto_url)  # unused: no credentials
    [outcome] = collect()
    assert outcome["status"] == "ok" and outcome["inserted"] == 6
    assert seed.calls == []
    store = open_store(str(tmp_path / "spot.db"))
    rows = {(r.region, r.instance_type): r for r in store.current_prices()}
    assert rows[("us-east-1", "t3.nano")].price_per_hour == 0.0009
    g4 = rows[("us-east-1", "g4dn.xlarge")]
    assert (g4.availability_zone, g4.gpu_count, g4.gpu_type) == ("", 1, "nvidia-t4")
    assert g4.source == "aws-public-spot-feed" and g4.interruption_rate == 0.05
    store.close()

    listed = runner.invoke(app, ["feeds", "--json"])
    assert listed.exit_code == 0
    aws = next(f for f in json.loads(listed.stdout) if f["name"] == "aws")
    assert "credential-free" in json.dumps(aws)
