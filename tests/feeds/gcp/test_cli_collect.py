"""``spotarb collect --feed gcp`` end to end: local APIs by endpoint override → SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.store import open_store
from spotarb.store.base import PriceFilter
from tests.feeds.gcp import conftest as fx
from tests.feeds.gcp.adc import write_service_account_file
from tests.feeds.gcp.conftest import API_KEY, PROJECT, GcpApi

runner = CliRunner()


def endpoint_env(monkeypatch: pytest.MonkeyPatch, server: HTTPServer) -> None:
    base = server.url_for("").rstrip("/")
    monkeypatch.setenv("SPOTARB_GCP_BILLING_URL", base)
    monkeypatch.setenv("SPOTARB_GCP_COMPUTE_URL", base)
    monkeypatch.setenv("SPOTARB_MAX_RETRIES", "1")


def collect(db: Path, exit_code: int = 0) -> list[dict[str, object]]:
    result = runner.invoke(app, ["collect", "--feed", "gcp", "--db", str(db), "--json"])
    assert result.exit_code == exit_code, result.output
    outcomes: list[dict[str, object]] = json.loads(result.stdout)
    return outcomes


def test_collect_with_api_key_stores_regional_rows(
    gcp_api: GcpApi, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint_env(monkeypatch, httpserver)
    monkeypatch.setenv("SPOTARB_GCP_API_KEY", API_KEY)
    db = tmp_path / "spotarb.db"
    outcomes = collect(db)
    assert [(o["feed"], o["status"]) for o in outcomes] == [("gcp", "ok")]
    assert outcomes[0]["inserted"] == outcomes[0]["rowsSeen"] and outcomes[0]["inserted"] > 20

    store = open_store(str(db))
    try:
        rows = {
            (p.instance_type, p.region, p.availability_zone): p
            for p in store.current_prices(PriceFilter(providers=("gcp",)))
        }
    finally:
        store.close()
    n2 = rows[("n2-standard-8", "us-central1", "")]
    assert round(n2.price_per_hour, 6) == round(8 * 0.007976 + 32 * 0.001069, 6)
    assert round(n2.on_demand_price_per_hour or 0, 6) == round(8 * 0.031611 + 32 * 0.004237, 6)
    assert n2.source == "gcp-billing-catalog" and n2.interruption_rate is None
    g2 = rows[("g2-standard-4", "us-central1", "")]
    assert (g2.gpu_count, g2.gpu_type) == (1, "nvidia-l4")
    assert g2.price_per_hour == pytest.approx(4 * 0.00885 + 16 * 0.001036 + 0.2240)
    a4 = rows[("a4-highgpu-8g", "us-central1", "")]
    assert a4.price_per_hour == pytest.approx(8 * float(fx.B200_SLICE))
    assert a4.on_demand_price_per_hour == pytest.approx(8 * float(fx.B200_SLICE_OD))
    assert all(r.availability_zone == "" for r in rows.values())


def test_collect_with_adc_stores_per_zone_rows(
    gcp_api: GcpApi, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint_env(monkeypatch, httpserver)
    key_file = write_service_account_file(
        tmp_path / "sa.json", httpserver.url_for("/token"), PROJECT
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("SPOTARB_GCP_PROJECT", PROJECT)
    db = tmp_path / "spotarb.db"
    outcomes = collect(db)
    assert [(o["feed"], o["status"]) for o in outcomes] == [("gcp", "ok")]

    store = open_store(str(db))
    try:
        prices = store.current_prices(PriceFilter(providers=("gcp",)))
    finally:
        store.close()
    zones = {p.availability_zone for p in prices if p.instance_type == "n2-standard-8"}
    assert zones == {"us-central1-a", "us-central1-b", "us-east1-b"}
    a2 = [p for p in prices if p.instance_type == "a2-highgpu-1g"]
    assert [(p.availability_zone, p.gpu_type, p.gpu_count) for p in a2] == [
        ("us-central1-a", "nvidia-a100", 1)
    ]
    assert a2[0].price_per_hour == pytest.approx(12 * 0.0111 + 85 * 0.00149 + 1.10)
    t4 = [p for p in prices if p.instance_type == "n1-standard-4+1xnvidia-tesla-t4"]
    assert [p.availability_zone for p in t4] == ["us-central1-a"]
    assert all(p.availability_zone for p in prices)
    assert [r for r, _ in httpserver.log if r.path == "/token"]


def test_collect_without_credentials_skips_gcp_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcomes = collect(tmp_path / "spotarb.db", exit_code=1)  # nothing ran: non-zero
    assert outcomes[0]["feed"] == "gcp" and outcomes[0]["status"] == "skipped"
    assert "SPOTARB_GCP_API_KEY" in str(outcomes[0]["reason"])
