"""The Fleet page: in-process page checks, and the form in a real Chromium."""

from __future__ import annotations

import re
import warnings
from urllib.parse import parse_qs, urlparse

import pytest

from tests.web.conftest import Tab
from tests.web.test_pages import embedded

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: 6 instances of ≥ 8 vCPU / 32 GiB under $1/h: 2 per pool (a quarter of 6, rounded up)
#: in the three cheapest pools of the test prices.
QUERY = "count=6&minCPU=8&minMemoryGB=32&maxPricePerHour=1"
EXPECTED = [("azure", 2), ("gcp", 2), ("azure", 2)]
EXPECTED_TOTAL = "$0.4962/h"  # 2 × (0.077 + 0.0821 + 0.089)


def allocations(html: str) -> list[tuple[str, int]]:
    return [(p, int(n)) for p, n in re.findall(r'data-provider="(\w+)" data-count="(\d+)"', html)]


def test_fleet_without_query_shows_only_the_form(client: TestClient) -> None:
    html = client.get("/fleet").text
    assert 'id="fleet-form"' in html and 'id="result"' not in html
    assert 'name="count" type="text" inputmode="decimal" value="8"' in html
    assert '<a href="/fleet" aria-current="page">Plan a fleet</a>' in html
    assert '<a href="/fleet">Plan a fleet</a>' in client.get("/").text  # in every page's nav


def test_fleet_plan_table_chart_and_summary(client: TestClient) -> None:
    response = client.get("/fleet?" + QUERY)
    assert response.status_code == 200
    html = response.text
    assert 'data-status="200"' in html
    assert allocations(html) == EXPECTED
    assert f'id="fleet-total">{EXPECTED_TOTAL}' in html
    chart = embedded(html, "fleet-data")
    assert chart["kind"] == "fleet" and chart["providers"] == ["azure", "gcp"]
    assert [(b["provider"], b["value"]) for b in chart["bars"]] == EXPECTED
    assert "5 removed by “Minimum vCPUs”, 3 removed by “Max price ($/hour)”" in html


def test_fleet_strategy_and_same_region(client: TestClient) -> None:
    html = client.get("/fleet?" + QUERY + "&sameRegion=1&strategy=diversified").text
    # At 2 per pool only us-east-1 has the three pools 6 instances need (m5.2xlarge ×3 zones).
    assert allocations(html) == [("aws", 2), ("aws", 2), ("aws", 2)]
    assert html.count('<br><span class="muted">us-east-1') == 3
    html = client.get("/fleet?" + QUERY + "&sameRegion=1&maxPerPool=6").text
    assert allocations(html) == [("azure", 6)]
    assert 'name="sameRegion" value="1" checked' in html


def test_fleet_capacity_target_with_a_region_cap(client: TestClient) -> None:
    html = client.get("/fleet?targetVCPU=32&minCPU=8&minMemoryGB=32&maxPerRegion=1").text
    assert 'data-status="200"' in html
    regions = re.findall(r'data-count="1">\s*<td>.*?</td>\s*<td>([\w-]+)', html)
    counts = [n for _, n in allocations(html)]
    # 8-vCPU instances, one per region: the four cheapest regions.
    assert counts == [1, 1, 1, 1]
    assert regions == ["eastus", "us-central1", "westeurope", "europe-west4"]
    assert 'name="maxPerRegion" type="text" inputmode="decimal" value="1"' in html
    html = client.get("/fleet?targetVCPU=10000&minCPU=8&maxPerRegion=1").text
    assert 'data-status="404"' in html and 'data-binding="maxPerRegion"' in html


def test_fleet_infeasible_names_the_binding_cap(client: TestClient) -> None:
    html = client.get("/fleet?count=50&maxPerPool=1&minCPU=8").text
    assert 'data-status="404"' in html
    assert 'data-binding="maxPerPool" data-largest="11"' in html
    assert "the largest feasible fleet is 11 instances" in html


def test_fleet_filter_that_leaves_nothing_is_shown(client: TestClient) -> None:
    html = client.get("/fleet?count=5&gpuType=nvidia-h100").text
    assert "no remaining candidate has a nvidia-h100" in html
    assert 'data-filter="gpu"' in html and "removed the last" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("count=abc", "count", "Instances: “abc” is not a number"),
        ("count=0", "count", "Instances: must be between 1 and 10000"),
        ("count=4&targetVCPU=4", "targetVCPU", "give exactly one of count, targetVCPU"),
        ("count=4&strategy=expected-cost", "jobHours", "Job hours: is required"),
        ("count=4&maxPerPool=-1", "maxPerPool", "Max per pool: must be between 1"),
    ],
)
def test_fleet_bad_values_are_named(
    client: TestClient, query: str, field: str, message: str
) -> None:
    html = client.get("/fleet?" + query).text
    assert 'id="form-errors"' in html
    assert f'id="e-{field}"' in html
    assert message in html


def test_fleet_escapes_what_was_typed(client: TestClient) -> None:
    html = client.get("/fleet?count=4&preferredRegions=<script>x</script>").text
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.browser
def test_fleet_form_in_the_browser_draws_instances_per_pool(tab: Tab) -> None:
    tab.goto("/fleet")
    page = tab.page
    page.locator("#f-count").fill("6")
    page.locator("#f-minCPU").fill("8")
    page.locator("#f-minMemoryGB").fill("32")
    page.locator("#f-maxPricePerHour").fill("1")
    page.locator("#f-strategy").select_option("lowest-price")
    with page.expect_navigation():
        page.locator("#fleet-form button[type=submit]").click()
    query = parse_qs(urlparse(page.url).query)
    assert query["count"] == ["6"] and query["maxPricePerHour"] == ["1"]
    assert page.locator("#result").get_attribute("data-status") == "200"
    assert page.locator("#fleet-instances").inner_text() == "6"
    assert page.locator("#fleet-total").inner_text() == EXPECTED_TOTAL
    rows = page.locator("#allocations tbody tr")
    assert rows.count() == len(EXPECTED)
    chart = tab.chart("fleet-chart")
    assert [d["label"] for d in chart["datasets"]] == ["azure", "gcp"]
    drawn = {d["label"]: sorted(v for v in d["values"] if v is not None) for d in chart["datasets"]}
    assert drawn == {"azure": [2, 2], "gcp": [2]}
    assert chart["height"] > 100
    tab.shoot("fleet")
    # The URL is the query: opening it again gives the same plan.
    shared = page.url
    page.goto(tab.base + "/")
    page.goto(shared)
    assert page.locator("#fleet-total").inner_text() == EXPECTED_TOTAL
    assert page.locator("#f-count").input_value() == "6"
    # An infeasible fleet explains itself.
    tab.goto("/fleet?count=50&maxPerPool=1&minCPU=8")
    assert page.locator("#binding").get_attribute("data-binding") == "maxPerPool"


def test_fleet_takes_the_placement_filters(client: TestClient) -> None:
    """A region group and a family filter narrow the fleet exactly as they narrow a placement."""
    # Europe only: Azure westeurope and GCP europe-west4; 6 instances at 2 per pool need
    # 3 pools, and only those 2 are in Europe.
    html = client.get("/fleet?" + QUERY + "&regions=geo:eu").text
    assert 'data-status="404"' in html
    assert "maxPerPool is binding" in html and 'data-largest="4"' in html
    html = client.get("/fleet?count=4&maxPerPool=2&minCPU=8&minMemoryGB=32&regions=geo:eu").text
    assert allocations(html) == [("azure", 2), ("gcp", 2)]
    assert 'value="geo:eu"' in html
    html = client.get("/fleet?" + QUERY + "&excludeFamilies=Standard_D*").text
    assert {p for p, _ in allocations(html)} == {"gcp", "aws"}
