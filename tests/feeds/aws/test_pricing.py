"""On-demand list prices: real boto3 ``pricing`` client against a local Price List API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from spotarb.feeds.aws.pricing import parse_price_list_item
from spotarb.feeds.base import ProgressEvent
from tests.feeds.aws.conftest import SpotSeed, feed_settings, make_feed
from tests.proxy_server import ProxyProcess
from tests.recorded import recorded_file

pytestmark = pytest.mark.usefixtures("aws_credentials")
NOW = datetime.now(UTC).replace(microsecond=0)


def product(itype: str, usd: str, region: str = "us-east-1") -> str:
    """One PriceList entry in the aws_v1 format: a JSON string."""
    sku = f"SKU{abs(hash((itype, usd))) % 10**8}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "attributes": {
                    "instanceType": itype,
                    "regionCode": region,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "capacitystatus": "Used",
                    "preInstalledSw": "NA",
                },
                "sku": sku,
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                                "description": f"${usd} per On Demand Linux {itype} Instance Hour",
                            }
                        },
                        "sku": sku,
                    }
                }
            },
        }
    )


class PriceListApi:
    """GetProducts over awsJson1.1, two pages per region; records the requests."""

    def __init__(self, pages: list[list[str]], status: int = 200) -> None:
        self.pages = pages
        self.status = status
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"{}")
        self.requests.append({"target": request.headers.get("X-Amz-Target"), **body})
        if self.status != 200:
            error = {"__type": "AccessDeniedException", "Message": "not authorized"}
            return Response(
                json.dumps(error), self.status, content_type="application/x-amz-json-1.1"
            )
        index = int(body.get("NextToken") or 0)
        page: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": self.pages[index]}
        if index + 1 < len(self.pages):
            page["NextToken"] = str(index + 1)
        return Response(json.dumps(page), 200, content_type="application/x-amz-json-1.1")


def test_on_demand_from_price_list(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    api = PriceListApi(
        [
            [product("m5.large", "0.0960000000"), product("g4dn.xlarge", "0.5260000000")],
            [product("m5.large", "0.1920000000")],
        ]  # a second, dearer SKU: the plain one wins
    )
    public_endpoints.expect_request("/pricing/", method="POST").respond_with_handler(api)
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", NOW - timedelta(days=3))
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.038000", NOW - timedelta(hours=1))
    seed.add("us-east-1", "us-east-1a", "p4d.24xlarge", "9.831600", NOW - timedelta(hours=1))
    settings = feed_settings(
        public_endpoints,
        moto_url,
        aws_regions="us-east-1",
        aws_pricing_endpoint_url=public_endpoints.url_for("/pricing/"),
    )
    feed = make_feed(settings)
    assert feed.uses_price_list
    result = feed.collect(since=NOW - timedelta(days=7))
    rows = {r.instance_type: r for r in result.prices}
    assert rows["m5.large"].on_demand_price_per_hour == 0.096
    assert rows["m5.large"].savings_pct == pytest.approx(100 * (1 - 0.038 / 0.096))
    # Not in the price list: the advisor estimate (s = 60).
    assert rows["p4d.24xlarge"].on_demand_price_per_hour == pytest.approx(9.8316 / 0.4)
    assert {
        r.on_demand_price_per_hour for r in result.history if r.instance_type == "m5.large"
    } == {0.096}
    assert result.counts["rows_with_list_on_demand"] == 1 and result.errors == []
    assert [r["target"] for r in api.requests] == ["AWSPriceListService.GetProducts"] * 2
    filters = {f["Field"]: f["Value"] for f in api.requests[0]["Filters"]}
    assert filters["regionCode"] == "us-east-1" and filters["operatingSystem"] == "Linux"
    assert filters["tenancy"] == "Shared" and filters["capacitystatus"] == "Used"
    assert api.requests[0]["ServiceCode"] == "AmazonEC2"


def test_price_list_denied_falls_back_to_advisor(
    moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    api = PriceListApi([], status=400)
    public_endpoints.expect_request("/pricing/", method="POST").respond_with_handler(api)
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.042000", NOW - timedelta(hours=1))
    settings = feed_settings(
        public_endpoints,
        moto_url,
        aws_regions="us-east-1",
        aws_pricing_endpoint_url=public_endpoints.url_for("/pricing/"),
    )
    events: list[ProgressEvent] = []
    result = make_feed(settings).collect(progress=events.append)
    [row] = result.prices
    assert row.on_demand_price_per_hour == pytest.approx(0.042 / 0.42)  # advisor s = 58
    assert result.errors == [] and result.regions_ok == ["us-east-1"]
    assert result.counts["pricing_errors"] == 1
    [note] = [e.message for e in events if e.region == "pricing"]
    assert "AccessDeniedException" in note


def test_emulated_ec2_without_pricing_endpoint_skips_price_list(
    moto_url: str, public_endpoints: HTTPServer
) -> None:
    feed = make_feed(feed_settings(public_endpoints, moto_url))
    assert not feed.uses_price_list
    assert make_feed(feed_settings(public_endpoints)).uses_price_list  # real AWS


def test_real_get_products_sample(shared_dir: Path) -> None:
    path = recorded_file(shared_dir, "samples/aws/ec2-instance-selector_GetProducts_m5_large.json")
    assert parse_price_list_item(path.read_text()) == ("m5.large", 0.096)


def test_price_list_goes_through_the_proxy(
    proxy: ProxyProcess, moto_url: str, public_endpoints: HTTPServer, seed: SpotSeed
) -> None:
    api = PriceListApi([[product("m5.large", "0.0960000000")]])
    public_endpoints.expect_request("/pricing/", method="POST").respond_with_handler(api)
    seed.add("us-east-1", "us-east-1a", "m5.large", "0.040000", NOW - timedelta(hours=1))
    settings = feed_settings(
        public_endpoints,
        moto_url,
        aws_regions="us-east-1",
        aws_pricing_endpoint_url=public_endpoints.url_for("/pricing/"),
        aws_proxy_url=proxy.url,
    )
    [row] = make_feed(settings).collect().prices
    assert row.on_demand_price_per_hour == 0.096
    proxy.wait_for_log(f"POST localhost:{public_endpoints.port}/pricing/ - 200")
