"""The real Azure feed, on schedule inside the service, against a local Retail Prices API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer

from spotarb.serving.service import Service
from tests.feeds.azure.conftest import FakeAzure, item


def test_azure_feed_on_schedule_feeds_prices_placements_and_status(
    httpserver: HTTPServer,
    make_service: Callable[..., Service],
    make_client: Callable[..., Any],
) -> None:
    fake = FakeAzure(httpserver)
    fake.retail = {
        "eastus": [
            item("Standard_D2s_v3", "D2s v3 Spot", 0.032538),
            item("Standard_D2s_v3", "D2s v3", 0.096),
            item("Standard_NC24ads_A100_v4", "NC24ads A100 v4 Spot", 1.4692),
        ],
        "westeurope": [item("Standard_E64_v4", "E64 v4 Spot", 0.6, region="westeurope")],
    }
    fake.retail_broken[("westeurope", 0)] = 500
    service = make_service(
        feeds="azure",
        azure_prices_url=fake.prices_url,
        azure_management_url=fake.management_url,
        azure_regions="eastus,westeurope",
        azure_use_credentials=False,
        tick_seconds=0.1,
        backoff_base=0.01,
    )
    client = make_client(service, collect=True)
    deadline = time.monotonic() + 20
    while client.get("/v1/prices").json()["total"] < 2:
        assert time.monotonic() < deadline, client.get("/v1/feeds").text
        time.sleep(0.05)
    prices = {p["instanceType"]: p for p in client.get("/v1/prices").json()["prices"]}
    assert set(prices) == {"Standard_D2s_v3", "Standard_NC24ads_A100_v4"}
    d2 = prices["Standard_D2s_v3"]
    assert (d2["provider"], d2["region"], d2["pricePerHour"]) == ("azure", "eastus", 0.032538)
    assert d2["onDemandPricePerHour"] == 0.096
    decision = client.post("/v1/placements", json={"gpuType": "a100"}).json()
    assert decision["instanceType"] == "Standard_NC24ads_A100_v4" and decision["gpuCount"] == 1
    azure = {f["name"]: f for f in client.get("/v1/feeds").json()["feeds"]}["azure"]
    assert azure["configured"] is True and azure["lastStatus"] == "partial"
    assert azure["rows"] == 2
    assert len(azure["regionErrors"]) == 1 and azure["regionErrors"][0].startswith("westeurope")
    assert "500" in azure["regionErrors"][0]
