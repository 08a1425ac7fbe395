"""The dashboard in a real Chromium against a real `spotarb serve` with imported prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.web.conftest import PHONE, Server, Tab
from tests.web.data import (
    CHEAPEST_8_VCPU,
    CHEAPEST_8_VCPU_AWS,
    HISTORY_KEY,
    POINTS_7D,
    POINTS_30D,
    PROVIDERS,
)

pytestmark = pytest.mark.browser


def test_overview_lists_feeds_and_best_options(tab: Tab) -> None:
    tab.goto("/")
    page = tab.page
    feeds = page.locator("#feeds [data-feed]")
    assert feeds.evaluate_all("els => els.map(e => e.dataset.feed)") == list(PROVIDERS)
    # Imported a moment ago: every cloud has fresh data.
    assert feeds.evaluate_all("els => els.map(e => e.dataset.state)") == ["fresh"] * 3
    row = page.locator('#best-options tr[data-shape="cpu:8:32"]')
    assert row.get_attribute("data-cheapest") == CHEAPEST_8_VCPU[0]
    cheapest = row.locator("td.cheapest")
    assert cheapest.count() == 1
    assert cheapest.get_attribute("data-provider") == CHEAPEST_8_VCPU[0]
    assert CHEAPEST_8_VCPU[2] in cheapest.inner_text()
    # azure 0.077 vs gcp 0.0821 → 6.6 % spread
    assert "6.6%" in row.locator("td.spread").inner_text()
    a100 = page.locator('#best-options tr[data-shape="gpu:nvidia-a100:8"]')
    assert a100.get_attribute("data-cheapest") == "azure"
    tab.shoot("overview")
    # A best option links to its price history.
    cheapest.locator("a").click()
    page.wait_for_load_state("load")
    assert urlparse(page.url).path == "/history"
    assert page.locator("#history-chart").count() == 1


def test_place_form_by_keyboard_shows_the_expected_winner(tab: Tab) -> None:
    tab.goto("/place")
    page = tab.page
    page.locator("#f-minCPU").focus()
    page.keyboard.type("8")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-minMemoryGB"
    page.keyboard.type("32")
    page.locator("#f-strategy").select_option("lowest-price")
    page.locator("#f-alternatives").fill("4")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = parse_qs(urlparse(page.url).query)
    assert query["minCPU"] == ["8"] and query["strategy"] == ["lowest-price"]
    _, region, itype = CHEAPEST_8_VCPU
    assert page.locator("#result").get_attribute("data-status") == "200"
    assert page.locator("#winner").inner_text() == itype
    assert f"in {region}" in page.locator("#result-h").inner_text()
    # Score breakdown: three sub-scores; alternatives: the winner plus four runners-up.
    assert page.locator("#breakdown tbody tr").count() == 3
    assert page.locator("#alternatives tbody tr").count() == 5
    tab.shoot("place")
    # The URL is the query: opening it again (shared) gives the same answer.
    shared = page.url
    page.goto(tab.base + "/")
    page.goto(shared)
    assert page.locator("#winner").inner_text() == itype
    # One cloud only → that cloud's cheapest.
    tab.goto("/place?minCPU=8&minMemoryGB=32&strategy=lowest-price&providers=aws")
    assert page.locator("#winner").inner_text() == CHEAPEST_8_VCPU_AWS[2]
    assert page.locator("#f-minCPU").input_value() == "8"
    assert page.locator("input[name=providers][value=aws]").is_checked()


def test_place_form_region_group_end_to_end(tab: Tab) -> None:
    """A new field typed in the form reaches the engine, the URL and the answer."""
    tab.goto("/place")
    page = tab.page
    page.locator("#f-minCPU").fill("8")
    page.locator("#f-minMemoryGB").fill("32")
    page.locator("#f-regions").fill("geo:eu")
    page.locator("#f-strategy").select_option("lowest-price")
    assert page.locator("#f-arch").input_value() == "x86_64"
    with page.expect_navigation():
        page.locator("#place-form button[type=submit]").click()
    query = parse_qs(urlparse(page.url).query)
    assert query["regions"] == ["geo:eu"] and query["arch"] == ["x86_64"]
    assert page.locator("#winner").inner_text() == "Standard_D8s_v3"
    assert "in westeurope" in page.locator("#result-h").inner_text()
    assert page.locator("#arch").inner_text() == "x86_64"
    regions = page.locator("#alternatives tbody tr td:nth-child(3)").all_inner_texts()
    assert regions and all(r.split()[0] in ("westeurope", "europe-west4") for r in regions)
    assert "Price (lowest-price)" in page.locator("#strategy-score").inner_text()
    assert page.locator("#f-regions").input_value() == "geo:eu"
    tab.shoot("place-regions")


def test_place_form_errors_are_readable(tab: Tab) -> None:
    tab.goto("/place")
    page = tab.page
    page.locator("#f-minCPU").fill("lots")
    page.locator("#f-maxInterruptionRate").fill("0.1")
    with page.expect_navigation():
        page.locator("#place-form button[type=submit]").click()
    summary = page.locator("#form-errors")
    assert summary.is_visible()
    assert "Minimum vCPUs: “lots” is not a number" in summary.inner_text()
    assert page.locator("#f-minCPU").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator("#result").count() == 0
    tab.shoot("place-error")
    tab.goto("/place?maxInterruptionRate=2")
    assert "between 0 and 1" in page.locator("#e-maxInterruptionRate").inner_text()
    tab.goto("/place?gpuType=quantum-9000")
    assert "unknown GPU type" in page.locator("#e-gpuType").inner_text()
    # Valid but nothing fits: the explanation names the filter.
    tab.goto("/place?minCPU=8&maxPricePerHour=0.01")
    assert page.locator("#result").get_attribute("data-status") == "404"
    assert page.locator("#explanation").inner_text().strip()
    assert page.locator("#removed-by tr.blocking").count() == 1
    tab.shoot("place-nomatch")


def test_history_picker_suggests_regions_and_types(tab: Tab) -> None:
    tab.goto("/history")
    page = tab.page
    options = "els => els.map(e => e.value)"
    page.locator("#h-provider").select_option("gcp")
    assert page.locator("#h-regions option").evaluate_all(options) == [
        "europe-west4",
        "us-central1",
    ]
    page.locator("#h-provider").select_option("aws")
    assert page.locator("#h-regions option").evaluate_all(options) == ["us-east-1", "us-west-2"]
    page.locator("#h-region").fill("us-east-1")
    with page.expect_navigation():
        page.locator("#h-region").press("Enter")
    assert "4 instance types" in page.locator("#type-hint").inner_text()
    assert "m5.2xlarge" in page.locator("#h-types option").evaluate_all(options)


def test_history_chart_has_one_line_per_zone(tab: Tab) -> None:
    provider, region, itype = HISTORY_KEY
    tab.goto(f"/history?provider={provider}&region={region}&instanceType={itype}&range=7d")
    chart = tab.chart("history-chart")
    zones = {d["label"]: d["observed"] for d in chart["datasets"] if not d["reference"]}
    assert zones == POINTS_7D
    reference = [d for d in chart["datasets"] if d["reference"]]
    assert [d["label"] for d in reference] == ["on-demand"]
    assert reference[0]["values"] == [0.384, 0.384]
    assert chart["width"] > 600 and chart["height"] > 200
    # Hovering the newest us-east-1a point shows its exact value.
    page = tab.page
    page.locator("#history-chart").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('history-chart'));
            const i = chart.data.datasets.findIndex(d => d.label === 'us-east-1a');
            const pts = chart.getDatasetMeta(i).data;
            const data = chart.data.datasets[i].data;
            const k = data.findLastIndex(p => !p.edge);
            const r = chart.canvas.getBoundingClientRect();
            return [r.left + pts[k].x, r.top + pts[k].y];
        }"""
    )
    page.mouse.move(x, y)
    page.wait_for_timeout(100)
    tip = page.evaluate(
        """() => {
            const t = Chart.getChart(document.getElementById('history-chart')).tooltip;
            return {opacity: t.opacity, body: t.body.flatMap(b => b.lines)};
        }"""
    )
    assert tip["opacity"] > 0
    assert "us-east-1a: $0.1100/h" in tip["body"]
    tab.shoot("history")
    # Range 30d brings in the older us-east-1c change; the range is in the URL.
    page.locator("input[name=range][value='30d']").check()
    with page.expect_navigation():
        page.locator("#history-form button[type=submit]").click()
    assert "range=30d" in page.url
    chart = tab.chart("history-chart")
    zones = {d["label"]: d["observed"] for d in chart["datasets"] if not d["reference"]}
    assert zones == POINTS_30D


def test_compare_chart_shows_every_cloud(tab: Tab) -> None:
    tab.goto("/compare?class=cpu:8")
    chart = tab.chart("compare-chart")
    assert [d["label"] for d in chart["datasets"]] == list(PROVIDERS)
    assert all(d["observed"] >= 1 for d in chart["datasets"])
    rows = tab.page.locator("#per-cloud tbody tr")
    assert rows.first.get_attribute("data-provider") == CHEAPEST_8_VCPU[0]
    tab.shoot("compare")
    # GPU class by $/GPU-hour: GCP's single A100 is cheapest per GPU.
    tab.page.locator("#c-class").select_option("gpu:nvidia-a100")
    tab.page.locator("#c-metric").select_option("pricePerGpuHour")
    with tab.page.expect_navigation():
        tab.page.locator("#compare-form button[type=submit]").click()
    chart = tab.chart("compare-chart")
    assert [d["label"] for d in chart["datasets"]] == list(PROVIDERS)
    assert rows.first.get_attribute("data-provider") == "gcp"
    per_gpu = sorted(v for d in chart["datasets"] for v in d["values"] if v is not None)
    assert per_gpu == pytest.approx([1.10, 8.90 / 8, 9.83 / 8])


def test_pages_work_without_javascript(browser: Any, server: Server, tmp_path: Path) -> None:
    """No script: forms still submit, and the data tables carry what the charts would show."""
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    context.set_default_timeout(5000)
    try:
        page = context.new_page()
        provider, region, itype = HISTORY_KEY
        page.goto(f"{server.url}/history?provider={provider}&region={region}&instanceType={itype}")
        tables = page.locator("#history-table table")
        counts = {
            tables.nth(i).get_attribute("data-zone"): tables.nth(i).locator("tbody tr").count()
            for i in range(tables.count())
        }
        assert counts == POINTS_7D
        page.goto(f"{server.url}/place")
        page.locator("#f-minCPU").fill("8")
        page.locator("#f-minMemoryGB").fill("32")
        page.locator("#f-strategy").select_option("lowest-price")
        with page.expect_navigation():
            page.locator("#place-form button[type=submit]").click()
        assert page.locator("#winner").inner_text() == CHEAPEST_8_VCPU[2]
        page.screenshot(path=str(tmp_path / "place-nojs-phone.png"), full_page=True)
    finally:
        context.close()
