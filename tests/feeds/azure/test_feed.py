"""The Azure feed end to end against local servers in the real wire formats."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spotarb.core.errors import ProxyUnavailableError
from spotarb.core.models import SpotPrice
from spotarb.feeds.azure import AzureFeed
from spotarb.feeds.base import ProgressEvent, load_feed
from tests.feeds.azure.conftest import (
    TOKEN,
    Env,
    FakeCredential,
    NoCredential,
    item,
    sku,
    throttled,
)
from tests.proxy_server import ProxyProcess, free_port


def eastus_items() -> list[object]:
    return [
        item("Standard_D2s_v3", "D2s v3 Spot", 0.032538),
        item("Standard_D2s_v3", "D2s v3", 0.096),
        item("Standard_D2s_v3", "D2s v3 Spot", 0.078682, product="Virtual Machines DSv3 Windows"),
        item("Standard_D2s_v3", "D2s v3", 608.0, kind="Reservation", reservationTerm="1 Year"),
        item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Spot", 1.4692, region="EastUS"),
        item("Standard_NC24ads_A100_v4", "NC24ads A100 v4", 3.673),
        item("Standard_D2s_v3", "D2s v3 Low Priority", 0.02),
        item("Standard_M128s", "M128s Spot", 2.6),
        item("Standard_F16s_v2", "F16s v2 Spot", 0.207346, start="2021-03-01T00:00:00Z"),
    ]  # fmt: skip


def westeurope_items() -> list[object]:
    return [
        item("Standard_E64_v4", "E64 v4 Spot", 0.6, region="westeurope"),
        item("Standard_E64_v4", "E64 v4", 5.1, region="westeurope"),
        item("Standard_D2s_v3", "D2s v3 Spot", 0.04, region="westeurope"),
    ]


def by_key(rows: list[SpotPrice]) -> dict[tuple[str, str], SpotPrice]:
    return {(r.region, r.instance_type): r for r in rows}


def test_multi_page_walks_give_the_right_rows_without_credentials(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items(), "westeurope": westeurope_items()}
    events: list[ProgressEvent] = []
    feed = AzureFeed(env.settings(), env.clients(env.settings()))
    result = feed.collect(progress=events.append)

    assert result.errors == []
    assert result.regions_ok == ["eastus", "westeurope"]
    rows = by_key(result.prices)
    assert set(rows) == {
        ("eastus", "Standard_D2s_v3"),
        ("eastus", "Standard_NC24ads_A100_v4"),
        ("eastus", "Standard_F16s_v2"),
        ("westeurope", "Standard_E64_v4"),
        ("westeurope", "Standard_D2s_v3"),
    }  # M128s: no specs without credentials, reported not guessed
    d2 = rows[("eastus", "Standard_D2s_v3")]
    assert (d2.price_per_hour, d2.on_demand_price_per_hour) == (0.032538, 0.096)
    assert (d2.vcpu, d2.memory_gb, d2.os, d2.availability_zone) == (2, 8, "linux", "")
    assert (d2.source, d2.interruption_rate, d2.interruption_source) == (
        "azure-retail-prices",
        None,
        None,
    )
    assert d2.observed_at == datetime(2021, 3, 1, tzinfo=UTC)
    a100 = rows[("eastus", "Standard_NC24ads_A100_v4")]
    assert (a100.gpu_count, a100.gpu_type, a100.gpu_memory_gb) == (1, "nvidia-a100", 80)
    assert (a100.vcpu, a100.memory_gb, a100.on_demand_price_per_hour) == (24, 220, 3.673)
    assert rows[("eastus", "Standard_F16s_v2")].on_demand_price_per_hour is None
    assert rows[("westeurope", "Standard_E64_v4")].memory_gb == 504

    # every page was fetched: 9 items at 2 per page = 5 pages, 3 items = 2 pages
    assert result.counts["pages"] == 7
    assert result.counts["items"] == 12
    assert result.counts["skipped_unknown_size"] == 1
    assert result.counts["skipped_windows"] == 1
    assert result.counts["skipped_reservation"] == 1
    assert result.counts["skipped_low-priority"] == 1
    assert result.counts["credentials"] == 0
    # NextPageLink was followed as given: the filter rode along on every page
    skips = [r.get("$skip", "0") for r in env.fake.retail_requests]
    assert skips == ["0", "2", "4", "6", "8", "0", "2"]
    assert all(r["currencyCode"] == "'USD'" for r in env.fake.retail_requests)
    assert all(r["meterRegion"] == "'primary'" for r in env.fake.retail_requests)
    assert env.fake.sku_requests == [] and env.fake.graph_bodies == []
    assert [(e.region, e.status, e.rows) for e in events if e.status != "start"] == [
        ("eastus", "done", 3),
        ("westeurope", "done", 2),
    ]


def test_429_with_retry_after_is_honoured(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items(), "westeurope": westeurope_items()}
    env.fake.retail_faults[("eastus", 2)] = [throttled("1.5")]
    settings = env.settings(azure_regions=["eastus"])
    result = AzureFeed(settings, env.clients(settings)).collect()
    assert result.errors == [] and result.regions_ok == ["eastus"]
    assert len(result.prices) == 3
    assert any(s >= 1.5 for s in env.sleeps)
    assert [r.get("$skip", "0") for r in env.fake.retail_requests] == ["0", "2", "4", "4", "6", "8"]


def test_a_500_mid_walk_fails_that_region_only(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items(), "westeurope": westeurope_items()}
    env.fake.retail_broken[("eastus", 2)] = 500
    events: list[ProgressEvent] = []
    settings = env.settings()
    result = AzureFeed(settings, env.clients(settings)).collect(progress=events.append)
    assert result.regions_ok == ["westeurope"]
    assert {r.region for r in result.prices} == {"westeurope"}
    assert len(result.prices) == 2
    [error] = result.errors
    assert error.region == "eastus"
    assert "retail prices eastus page 3" in error.message and "HTTP 500" in error.message
    assert result.counts["regions_failed"] == 1
    assert ("eastus", "error") in [(e.region, e.status) for e in events]


def test_a_malformed_item_is_reported_and_its_page_mates_kept(env: Env) -> None:
    env.fake.page_size = 3
    env.fake.retail = {
        "eastus": [
            item("Standard_D2s_v3", "D2s v3 Spot", 0.03),
            item("Standard_D4s_v3", "D4s v3 Spot", "n/a", meterId="meter-broken"),  # type: ignore[arg-type]
            item("Standard_D8s_v3", "D8s v3 Spot", 0.12),
        ]
    }
    settings = env.settings(azure_regions=["eastus"])
    result = AzureFeed(settings, env.clients(settings)).collect()
    assert sorted(r.instance_type for r in result.prices) == ["Standard_D2s_v3", "Standard_D8s_v3"]
    assert result.regions_ok == ["eastus"]
    [error] = result.errors
    assert error.region == "eastus"
    assert "1 malformed item(s) skipped" in error.message and "meter-broken" in error.message
    assert result.counts["skipped_malformed"] == 1


def test_an_empty_next_page_link_falls_back_to_skip(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    env.fake.empty_link.add("eastus")
    settings = env.settings(azure_regions=["eastus"])
    result = AzureFeed(settings, env.clients(settings)).collect()
    assert result.errors == []
    assert len(result.prices) == 3
    assert result.counts["items"] == 9
    assert result.counts["skip_fallbacks"] >= 4
    assert [r.get("$skip", "0") for r in env.fake.retail_requests] == ["0", "2", "4", "6", "8"]


def test_a_region_with_no_items_is_counted_not_fresh(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    settings = env.settings(azure_regions=["eastus", "atlantis"])
    with caplog.at_level(logging.WARNING):
        result = AzureFeed(settings, env.clients(settings)).collect()
    assert result.regions_ok == ["eastus"]
    assert result.errors == []
    assert result.counts["regions_empty"] == 1
    assert "returned no items: atlantis" in caplog.text


def test_with_credentials_specs_come_from_resource_skus_and_rates_from_resource_graph(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    env.fake.retail = {"eastus": eastus_items(), "westeurope": westeurope_items()}
    env.fake.skus = {
        "eastus": [
            sku("Standard_D2s_v3", "2", "8"),
            sku("Standard_NC24ads_A100_v4", "24", "220", gpus="1"),
            sku("Standard_M128s", "128", "2048"),
            sku("Standard_F16s_v2", "16", "32", restricted=True),
        ],
        "westeurope": [sku("Standard_E64_v4", "64", "504", region="westeurope")],
    }
    env.fake.graph_rows = [
        {"skuName": "standard_d2s_v3", "location": "eastus", "evictionRate": "0-5"},
        {"skuName": "standard_nc24ads_a100_v4", "location": "eastus", "evictionRate": "20+"},
        {"skuName": "standard_m128s", "location": "eastus", "evictionRate": "10-15"},
        {"skuName": "standard_e64_v4", "location": "westeurope", "evictionRate": "5-10"},
        {"skuName": "standard_d2s_v3", "location": "westus", "evictionRate": "15-20"},
    ]
    env.fake.graph_faults = [throttled("2")]
    credential = FakeCredential()
    settings = env.settings()
    with caplog.at_level(logging.DEBUG):
        result = AzureFeed(settings, env.clients(settings), credential=credential).collect()

    assert result.errors == []
    assert credential.scopes == [("https://management.azure.com/.default",)]
    rows = by_key(result.prices)
    m128 = rows[("eastus", "Standard_M128s")]  # derivable only through Resource SKUs
    assert (m128.vcpu, m128.memory_gb, m128.interruption_rate) == (128, 2048, 0.15)
    assert ("eastus", "Standard_F16s_v2") not in rows  # restricted in eastus
    assert result.counts["skipped_restricted"] == 1
    a100 = rows[("eastus", "Standard_NC24ads_A100_v4")]
    assert (a100.gpu_count, a100.gpu_type, a100.gpu_memory_gb) == (1, "nvidia-a100", 80)
    assert a100.interruption_rate == 0.25
    d2 = rows[("eastus", "Standard_D2s_v3")]
    assert (d2.interruption_rate, d2.interruption_source) == (0.05, "azure-eviction-rate")
    assert rows[("westeurope", "Standard_E64_v4")].interruption_rate == 0.10
    assert rows[("westeurope", "Standard_D2s_v3")].interruption_rate is None
    assert rows[("westeurope", "Standard_D2s_v3")].vcpu == 2  # not in SKUs: from the name

    # Resource Graph: throttled once (Retry-After honoured), then paged with $skipToken
    assert any(s >= 2 for s in env.sleeps)
    tokens = [b["options"].get("$skipToken") for b in env.fake.graph_bodies]
    assert tokens == [None, None, "2", "4"]
    assert all(b["options"]["resultFormat"] == "objectArray" for b in env.fake.graph_bodies)
    # Resource SKUs: filtered by location, paged through nextLink
    assert [r["$filter"] for r in env.fake.sku_requests] == [
        "location eq 'eastus'",
        "location eq 'eastus'",
        "location eq 'westeurope'",
    ]
    assert set(env.fake.auth_headers) == {f"Bearer {TOKEN}"}
    assert TOKEN not in caplog.text
    assert all(TOKEN not in e.message for e in result.errors)


def test_management_failures_keep_prices_and_are_reported(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    env.fake.graph_faults = [throttled("0")] * 3  # more than max_retries
    env.fake.skus = {"eastus": [sku("Standard_M128s", "128", "2048")]}
    settings = env.settings(azure_regions=["eastus"], azure_subscription_id="other-sub")
    result = AzureFeed(settings, env.clients(settings), credential=FakeCredential()).collect()
    assert result.regions_ok == ["eastus"]
    assert len(result.prices) == 3  # prices and name specs kept
    messages = sorted(f"{e.region}: {e.message}" for e in result.errors)
    assert messages[0].startswith("*: eviction rates: resource graph eviction rates page 1")
    assert "HTTP 429" in messages[0]
    assert messages[1].startswith("eastus: resource SKUs: resource SKUs eastus page 1")
    assert all(r.interruption_rate is None for r in result.prices)


def test_no_credentials_available_means_prices_only(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    settings = env.settings(azure_regions=["eastus"])
    result = AzureFeed(settings, env.clients(settings), credential=NoCredential()).collect()
    assert result.errors == []
    assert len(result.prices) == 3
    assert result.counts["credentials"] == 0
    assert env.fake.graph_bodies == [] and env.fake.sku_requests == []


def test_calls_go_through_the_audit_proxy(env: Env, proxy: ProxyProcess) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    env.fake.graph_rows = [
        {"skuName": "standard_d2s_v3", "location": "eastus", "evictionRate": "0-5"}
    ]
    env.fake.skus = {"eastus": [sku("Standard_D2s_v3", "2", "8")]}
    settings = env.settings(azure_regions=["eastus"], azure_proxy_url=proxy.url)
    result = AzureFeed(settings, env.clients(settings), credential=FakeCredential()).collect()
    assert result.errors == [] and len(result.prices) == 3
    port = env.fake.server.port
    proxy.wait_for_log(f"GET localhost:{port}/api/retail/prices")
    proxy.wait_for_log(f"POST localhost:{port}/providers/Microsoft.ResourceGraph/resources")
    proxy.wait_for_log(f"GET localhost:{port}/subscriptions/sub-1/providers/Microsoft.Compute/skus")


def test_proxy_down_raises_and_nothing_goes_around_it(env: Env) -> None:
    env.fake.retail = {"eastus": eastus_items()}
    dead = f"http://user:hunter2@127.0.0.1:{free_port()}"
    settings = env.settings(azure_regions=["eastus"], proxy_url=dead, max_retries=0)
    with pytest.raises(ProxyUnavailableError) as info:
        AzureFeed(settings, env.clients(settings)).collect()
    assert "hunter2" not in str(info.value)
    assert env.fake.retail_requests == []


def test_from_settings_and_registry(env: Env) -> None:
    settings = env.settings(
        azure_use_credentials=False, azure_regions=["EastUS", "eastus", "westus2"]
    )
    feed = load_feed("azure", settings, env.clients(settings))
    assert isinstance(feed, AzureFeed)
    assert feed.credential is None
    assert feed.regions == ["eastus", "westus2"]
    assert "Retail Prices" in feed.describe()
    default = load_feed("azure", env.settings(azure_regions=[]), env.clients(settings))
    assert isinstance(default, AzureFeed)
    assert len(default.regions) > 50 and "eastus" in default.regions
    assert type(default.credential).__name__ == "DefaultAzureCredential"


def test_the_real_recorded_items_through_the_whole_feed(env: Env, shared_dir: Path) -> None:
    sample = "samples/azure/azureretailpricesapi_vm_southcentralus_2021-03_items_trimmed.json"
    env.fake.page_size = 10
    env.fake.retail = {"southcentralus": json.loads((shared_dir / sample).read_text())}
    settings = env.settings(azure_regions=["southcentralus"])
    result = AzureFeed(settings, env.clients(settings)).collect()
    assert result.errors == [] and result.counts["pages"] == 8
    rows = {r.instance_type: r for r in result.prices}
    assert len(rows) == 7  # every spot size of the sample has derivable specs
    d2 = rows["Standard_D2s_v3"]
    assert (d2.region, d2.price_per_hour) == ("southcentralus", 0.032538)
    assert (d2.vcpu, d2.memory_gb) == (2, 8)
    nd40 = rows["Standard_ND40rs_v2"]
    assert (nd40.price_per_hour, nd40.on_demand_price_per_hour) == (2.6438, 26.438)
    assert (nd40.gpu_count, nd40.gpu_type, nd40.gpu_memory_gb) == (8, "nvidia-v100", 32)
    assert rows["Standard_E64_v4"].savings_pct is not None
    assert round(rows["Standard_E64_v4"].savings_pct or 0, 1) == 89.7


def test_regions_walked_in_parallel_give_the_same_result_in_region_order(env: Env) -> None:
    regions = ["eastus", "westeurope", "northeurope", "japaneast", "brazilsouth", "atlantis"]
    env.fake.retail = {
        region: [
            item("Standard_D2s_v3", "D2s v3 Spot", 0.03 + n / 1000, region=region),
            item("Standard_D4s_v3", "D4s v3 Spot", 0.06 + n / 1000, region=region),
            item("Standard_D8s_v3", "D8s v3 Spot", 0.12 + n / 1000, region=region),
        ]
        for n, region in enumerate(regions[:-1])
    }
    env.fake.retail_broken[("japaneast", 1)] = 503
    events: list[ProgressEvent] = []
    serial_settings = env.settings(azure_regions=regions)
    serial = AzureFeed(serial_settings, env.clients(serial_settings)).collect()
    parallel_settings = env.settings(azure_regions=regions, azure_concurrency=4)
    parallel = AzureFeed(parallel_settings, env.clients(parallel_settings)).collect(
        progress=events.append
    )
    assert [r.to_dict() | {"collected_at": 0} for r in parallel.prices] == [
        r.to_dict() | {"collected_at": 0} for r in serial.prices
    ]
    assert parallel.regions_ok == ["eastus", "westeurope", "northeurope", "brazilsouth"]
    assert [e.region for e in parallel.errors] == ["japaneast"]
    assert parallel.counts == serial.counts
    assert parallel.counts["regions_empty"] == 1 and parallel.counts["regions_failed"] == 1
    done = [(e.region, e.status) for e in events if e.status != "start"]
    assert done == [
        ("eastus", "done"),
        ("westeurope", "done"),
        ("northeurope", "done"),
        ("japaneast", "error"),
        ("brazilsouth", "done"),
        ("atlantis", "info"),
    ]


def test_a_page_that_is_not_json_fails_that_region_with_a_clear_error(env: Env) -> None:
    from werkzeug import Response

    env.fake.retail = {"eastus": eastus_items(), "westeurope": westeurope_items()}
    env.fake.retail_faults[("westeurope", 1)] = [
        Response("<html>gateway</html>", status=200, mimetype="text/html")
    ]
    settings = env.settings()
    result = AzureFeed(settings, env.clients(settings)).collect()
    assert result.regions_ok == ["eastus"]
    [error] = result.errors
    assert error.region == "westeurope"
    assert "retail prices westeurope page 2: response is not valid JSON" in error.message
