"""Picking the right Retail Prices item: every trap of the Retail Prices catalogue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from spotarb.feeds.azure.retail import first_page_url, select_items
from tests.feeds.azure.conftest import item

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def traps() -> list[object]:
    """One region's items: the right rows plus one of every trap."""
    return [
        # the right spot row, and its on-demand baseline
        item("Standard_D2s_v3", "D2s v3 Spot", 0.032538),
        item("Standard_D2s_v3", "D2s v3", 0.096),
        # dev/test price of the same meter: dropped
        item("Standard_D2s_v3", "D2s v3 Spot", 0.0111, kind="DevTestConsumption"),
        # reservation rows say "1 Hour" but carry the whole term
        item("Standard_D2s_v3", "D2s v3", 608.0, kind="Reservation", reservationTerm="1 Year"),
        # legacy low priority meter, cheaper than spot: dropped
        item("Standard_D2s_v3", "D2s v3 Low Priority", 0.022),
        # Windows carries the licence: dropped (spot and on-demand)
        item(
            "Standard_D2s_v3",
            "D2s v3 Spot",
            0.078682,
            product="Virtual Machines DSv3 Series Windows",
        ),
        item("Standard_D2s_v3", "D2s v3", 0.188, product="Virtual Machines DSv3 Series Windows"),
        # non-primary duplicate with another price: dropped
        item("Standard_D2s_v3", "D2s v3 Spot", 0.05, primary=False),
        # two effective dates: the latest one <= now wins; a future one is ignored
        item("Standard_F16s_v2", "F16s v2 Spot", 0.25, start="2020-01-01T00:00:00Z"),
        item("Standard_F16s_v2", "F16s v2 Spot", 0.207346, start="2021-03-01T00:00:00Z"),
        item("Standard_F16s_v2", "F16s v2 Spot", 0.1, start="2027-01-01T00:00:00Z"),
        item("Standard_F16s_v2", "F16s v2", 0.816, start="2018-03-01T00:00:00Z"),
        # an expired item
        item("Standard_E64_v4", "E64 v4 Spot", 0.3, effectiveEndDate="2021-01-01T00:00:00Z"),
        item("Standard_E64_v4", "E64 v4 Spot", 0.496863),
        # Cloud Services and empty armSkuName: dropped
        item("Standard_A1", "A1 Spot", 0.01, product="Cloud Services A Series"),
        item("", "D4 Spot", 0.05),
        # a unit that is not an hour count, and a multi-hour unit (normalized)
        item("Standard_B2s", "B2s Spot", 9.0, unit="1/Month"),
        item("Standard_F2s_v2", "F2s v2 Spot", 2.5, unit="100 Hours"),
        # $0 prices (the H100 trap): dropped
        item("Standard_NC40ads_H100_v5", "NC40ads H100 v5 Spot", 0.0),
        # mixed-case region keys are lower-cased
        item("Standard_NC6s_v3", "NC6s v3 Spot", 0.40392, region="EastUS"),
    ]


def test_only_the_right_rows_survive_with_the_right_prices() -> None:
    selection = select_items(traps(), region="eastus", now=NOW)
    spot = {k: v.price_per_hour for k, v in selection.spot.items()}
    assert spot == {
        ("eastus", "Standard_D2s_v3"): Decimal("0.032538"),
        ("eastus", "Standard_F16s_v2"): Decimal("0.207346"),
        ("eastus", "Standard_E64_v4"): Decimal("0.496863"),
        ("eastus", "Standard_F2s_v2"): Decimal("0.025"),
        ("eastus", "Standard_NC6s_v3"): Decimal("0.40392"),
    }
    on_demand = {k: v.price_per_hour for k, v in selection.on_demand.items()}
    assert on_demand == {
        ("eastus", "Standard_D2s_v3"): Decimal("0.096"),
        ("eastus", "Standard_F16s_v2"): Decimal("0.816"),
    }
    f16 = selection.spot[("eastus", "Standard_F16s_v2")]
    assert f16.effective == datetime(2021, 3, 1, tzinfo=UTC)
    assert dict(selection.skipped) == {
        "devtest": 1,
        "reservation": 1,
        "low-priority": 1,
        "windows": 2,
        "non-primary": 1,
        "not-yet-effective": 1,
        "superseded": 1,
        "expired": 1,
        "cloud-services": 1,
        "no-arm-sku": 1,
        "unit": 1,
        "zero-price": 1,
    }
    assert selection.malformed == []


def test_order_of_items_does_not_change_the_choice() -> None:
    items = traps()
    forward = select_items(items, region="eastus", now=NOW)
    backward = select_items(list(reversed(items)), region="eastus", now=NOW)
    assert forward.spot == backward.spot
    assert forward.on_demand == backward.on_demand


def test_malformed_items_are_described_and_never_stop_the_others() -> None:
    items = [
        item("Standard_D2s_v3", "D2s v3 Spot", 0.03, meterId="good-1"),
        item("Standard_D4s_v3", "D4s v3 Spot", "abc", meterId="bad-price"),  # type: ignore[arg-type]
        item("Standard_D8s_v3", "D8s v3 Spot", 0.12, effectiveStartDate=None, meterId="bad-date"),
        "not an object",
        item("Standard_D16s_v3", "D16s v3 Spot", 0.24, meterId="good-2"),
    ]
    selection = select_items(items, region="eastus", now=NOW)
    assert sorted(k[1] for k in selection.spot) == ["Standard_D16s_v3", "Standard_D2s_v3"]
    assert selection.skipped["malformed"] == 3
    text = " | ".join(selection.malformed)
    assert "bad-price" in text and "retailPrice 'abc'" in text
    assert "bad-date" in text and "not an object" in text


def test_items_of_another_region_are_not_mixed_in() -> None:
    selection = select_items([item(region="westus")], region="eastus", now=NOW)
    assert selection.spot == {}
    assert selection.skipped["other-region"] == 1


def test_first_page_url_carries_the_documented_query() -> None:
    url = first_page_url("https://prices.azure.com/api/retail/prices", "eastus")
    assert url.params["api-version"] == "2023-01-01-preview"
    assert url.params["currencyCode"] == "'USD'"
    assert url.params["meterRegion"] == "'primary'"
    assert url.params["$filter"] == (
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
        "and armRegionName eq 'eastus'"
    )


SAMPLE = "samples/azure/azureretailpricesapi_vm_southcentralus_2021-03_items_trimmed.json"


def test_real_recorded_items_select_the_linux_spot_prices(shared_dir: Path) -> None:
    items = json.loads((shared_dir / SAMPLE).read_text())
    selection = select_items(items, region="southcentralus", now=NOW)
    spot = {sku: float(c.price_per_hour) for (_, sku), c in selection.spot.items()}
    assert spot["Standard_D2s_v3"] == 0.032538
    assert spot == {
        "Standard_B2s": 0.01996,
        "Standard_D2s_v3": 0.032538,
        "Standard_D48s_v3": 0.780912,
        "Standard_E64_v4": 0.496863,
        "Standard_F16s_v2": 0.207346,
        "Standard_NC6s_v3": 0.40392,
        "Standard_ND40rs_v2": 2.6438,
    }
    on_demand = {sku: float(c.price_per_hour) for (_, sku), c in selection.on_demand.items()}
    # D2s v3 and D48s v3 on-demand rows exist only as non-primary duplicates in this sample.
    assert on_demand == {
        "Standard_B2s": 0.0499,
        "Standard_E64_v4": 4.838,
        "Standard_F16s_v2": 0.816,
        "Standard_NC6s_v3": 3.366,
        "Standard_ND40rs_v2": 26.438,
    }
    # DevTest rows repeat Linux prices exactly, so the leak check uses the other traps.
    leaked = {
        (i["armSkuName"], i["retailPrice"])
        for i in items
        if i["type"] == "Reservation"
        or (
            i["type"] == "Consumption"
            and (i["productName"].endswith(" Windows") or i["skuName"].endswith(" Low Priority"))
        )
    }
    chosen = set(spot.items()) | set(on_demand.items())
    assert len(leaked) > 30
    assert chosen & leaked == set()
    assert all(p < 100 for p in on_demand.values())  # no reservation term price
    assert selection.skipped["reservation"] == 13
    assert selection.skipped["windows"] == 20
