"""Property: whatever the mix and order of items, the choice is the latest eligible one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from spotarb.feeds.azure.retail import select_items
from tests.feeds.azure.conftest import item

NOW = datetime(2026, 11, 28, tzinfo=UTC)
SIZES = ["Standard_D2s_v3", "Standard_E8ds_v5", "Standard_NC6s_v3"]
DATES = ["2020-01-01T00:00:00Z", "2023-06-01T00:00:00Z", "2026-11-27T00:00:00Z",
         "2027-01-01T00:00:00Z"]  # fmt: skip

raw_items = st.builds(
    lambda size, spot, windows, kind, primary, date, price: item(
        size,
        size.removeprefix("Standard_").replace("_", " ") + spot,
        price,
        product="Virtual Machines Series" + (" Windows" if windows else ""),
        kind=kind,
        primary=primary,
        start=date,
    ),
    st.sampled_from(SIZES),
    st.sampled_from([" Spot", "", " Low Priority"]),
    st.booleans(),
    st.sampled_from(["Consumption", "DevTestConsumption", "Reservation"]),
    st.booleans(),
    st.sampled_from(DATES),
    st.floats(min_value=0.001, max_value=50, allow_nan=False).map(lambda p: round(p, 6)),
)


def eligible(i: dict[str, Any]) -> bool:
    return (
        i["type"] == "Consumption"
        and not i["productName"].endswith(" Windows")
        and not i["skuName"].endswith(" Low Priority")
        and i["isPrimaryMeterRegion"]
        and datetime.fromisoformat(i["effectiveStartDate"]) <= NOW
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(raw_items, max_size=40))
def test_the_latest_eligible_item_is_chosen(items: list[dict[str, Any]]) -> None:
    selection = select_items(items, region="eastus", now=NOW)
    for spot, chosen_map in ((True, selection.spot), (False, selection.on_demand)):
        pool = [i for i in items if eligible(i) and i["skuName"].endswith(" Spot") == spot]
        assert {("eastus", i["armSkuName"]) for i in pool} == set(chosen_map)
        by_id = {i["meterId"]: i for i in pool}
        for (_, size), chosen in chosen_map.items():
            picked = by_id[chosen.meter_id]
            assert picked["armSkuName"] == size
            latest = max(
                datetime.fromisoformat(i["effectiveStartDate"])
                for i in pool
                if i["armSkuName"] == size
            )
            assert chosen.effective == latest
            assert float(chosen.price_per_hour) == picked["retailPrice"]
    assert sum(selection.skipped.values()) + len(selection.spot) + len(selection.on_demand) == len(
        items
    )
