"""``spotarb collect --feed azure`` end to end: local Azure APIs in, rows in the store out.

Credentials go through the real azure-identity chain: DefaultAzureCredential
restricted to AzureCliCredential (``AZURE_TOKEN_CREDENTIALS``), which runs an
``az`` stand-in on PATH that prints a token the local servers accept.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.store import open_store
from tests.feeds.azure.conftest import SUBSCRIPTION, TOKEN, FakeAzure, item, sku
from tests.proxy_server import ProxyProcess

runner = CliRunner()

FAKE_AZ = """#!/bin/sh
# stands in for `az account get-access-token --output json --resource ...`
printf '%%s\\n' '{"accessToken": "%s", "expires_on": 4102444800, "subscription": "%s", \
"tenant": "tenant-1", "tokenType": "Bearer"}'
"""


def seed(fake: FakeAzure) -> None:
    fake.retail = {
        "eastus": [
            item("Standard_D2s_v3", "D2s v3 Spot", 0.032538),
            item("Standard_D2s_v3", "D2s v3", 0.096),
            item("Standard_D2s_v3", "D2s v3 Spot", 0.0787, product="Virtual Machines DSv3 Windows"),
            item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Spot", 1.4692),
            item("Standard_M128s", "M128s Spot", 2.6),
        ],
        "westeurope": [item("Standard_E64_v4", "E64 v4 Spot", 0.6, region="westeurope")],
    }
    fake.skus = {"eastus": [sku("Standard_M128s", "128", "2048")]}
    fake.graph_rows = [
        {"skuName": "standard_d2s_v3", "location": "eastus", "evictionRate": "0-5"},
        {"skuName": "standard_e64_v4", "location": "westeurope", "evictionRate": "20+"},
    ]


@pytest.fixture
def cli_env(
    fake_azure: FakeAzure, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, str]:
    seed(fake_azure)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))  # only our `az` stand-in, if a test adds it
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential")
    env = {
        "SPOTARB_AZURE_PRICES_URL": fake_azure.prices_url,
        "SPOTARB_AZURE_MANAGEMENT_URL": fake_azure.management_url,
        "SPOTARB_AZURE_REGIONS": "eastus,westeurope",
        "SPOTARB_AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
        "SPOTARB_MAX_RETRIES": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {"bin": str(bin_dir), "db": str(tmp_path / "spotarb.db")}


def collect(db: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["collect", "--feed", "azure", "--db", db, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    outcome: list[dict[str, object]] = json.loads(result.stdout)
    return outcome


def test_collect_without_credentials_stores_prices_and_name_specs(
    cli_env: dict[str, str], fake_azure: FakeAzure
) -> None:
    # no `az` on PATH: DefaultAzureCredential has nothing, the feed runs on prices only
    [outcome] = collect(cli_env["db"])
    assert (outcome["feed"], outcome["status"], outcome["inserted"]) == ("azure", "ok", 3)
    rows = {(p.region, p.instance_type): p for p in open_store(cli_env["db"]).current_prices()}
    assert set(rows) == {
        ("eastus", "Standard_D2s_v3"),
        ("eastus", "Standard_NC24ads_A100_v4"),
        ("westeurope", "Standard_E64_v4"),
    }
    d2 = rows[("eastus", "Standard_D2s_v3")]
    assert (d2.provider, d2.price_per_hour) == ("azure", 0.032538)
    assert d2.on_demand_price_per_hour == 0.096
    assert (d2.vcpu, d2.memory_gb, d2.interruption_rate, d2.source) == (
        2, 8, None, "azure-retail-prices"
    )  # fmt: skip
    a100 = rows[("eastus", "Standard_NC24ads_A100_v4")]
    assert (a100.gpu_count, a100.gpu_type, a100.memory_gb) == (1, "nvidia-a100", 220)
    assert fake_azure.graph_bodies == [] and fake_azure.sku_requests == []


def test_collect_with_credentials_adds_sku_specs_and_eviction_rates(
    cli_env: dict[str, str], fake_azure: FakeAzure
) -> None:
    az = Path(cli_env["bin"]) / "az"
    az.write_text(FAKE_AZ % (TOKEN, SUBSCRIPTION))
    az.chmod(az.stat().st_mode | stat.S_IEXEC)
    [outcome] = collect(cli_env["db"])
    assert (outcome["status"], outcome["inserted"]) == ("ok", 4)
    rows = {(p.region, p.instance_type): p for p in open_store(cli_env["db"]).current_prices()}
    m128 = rows[("eastus", "Standard_M128s")]
    assert (m128.vcpu, m128.memory_gb) == (128, 2048)
    d2 = rows[("eastus", "Standard_D2s_v3")]
    assert (d2.interruption_rate, d2.interruption_source) == (0.05, "azure-eviction-rate")
    assert rows[("westeurope", "Standard_E64_v4")].interruption_rate == 0.25
    assert set(fake_azure.auth_headers) == {f"Bearer {TOKEN}"}

    # a second run with a new spot price: current row changes, history keeps the old one
    fake_azure.retail["eastus"][0] = item(
        "Standard_D2s_v3", "D2s v3 Spot", 0.03, start="2026-11-01T00:00:00Z"
    )
    [again] = collect(cli_env["db"])
    assert (again["changed"], again["unchanged"]) == (1, 3)
    store = open_store(cli_env["db"])
    [d2_now] = [p for p in store.current_prices() if p.instance_type == "Standard_D2s_v3"]
    assert d2_now.price_per_hour == 0.03


def test_collect_goes_through_the_audit_proxy(
    cli_env: dict[str, str],
    fake_azure: FakeAzure,
    proxy: ProxyProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPOTARB_AZURE_PROXY_URL", proxy.url)
    [outcome] = collect(cli_env["db"])
    assert (outcome["status"], outcome["inserted"]) == ("ok", 3)
    port = fake_azure.server.port
    log = proxy.wait_for_log(f"GET localhost:{port}/api/retail/prices")
    assert log.count(f"GET localhost:{port}/api/retail/prices") >= 2  # both regions
