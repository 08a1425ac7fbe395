"""The dashboard pages rendered by the real app in-process (fast checks, no browser)."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from spotarb.web import STATIC_DIR
from spotarb.web.format import age, money, pct, rate
from spotarb.web.placeform import read_form
from tests.web.data import CHEAPEST_8_VCPU, HISTORY_KEY, POINTS_7D, POINTS_30D

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: sha256 of chart.js@4.6.1 dist/chart.umd.min.js as published on npm (unmodified).
CHARTJS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"


def embedded(html: str, script_id: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{script_id}">(.*?)</script>', html)
    assert found, f"no #{script_id} in the page"
    return json.loads(found.group(1))


def test_overview_shows_feeds_and_cheapest_cloud(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    for name in ("aws", "azure", "gcp"):
        assert f'data-feed="{name}" data-state="fresh"' in html
    assert 'data-shape="cpu:8:32" data-cheapest="azure"' in html
    assert "6.6%" in html
    # No third-party origin anywhere in the page.
    assert not re.search(r'(src|href)="https?://', html)


def test_overview_with_an_empty_store(tmp_path: Path) -> None:
    from spotarb.api import create_app
    from spotarb.core.config import load_settings

    app = create_app(load_settings(db=str(tmp_path / "empty.db")), collect=False)
    with TestClient(app) as empty:
        html = empty.get("/").text
        assert "No current prices yet" in html
        assert empty.get("/history").status_code == 200
        assert "No current offers" in empty.get("/compare").text


def test_place_without_query_shows_only_the_form(client: TestClient) -> None:
    html = client.get("/place").text
    assert 'id="place-form"' in html and 'id="result"' not in html
    # Every input has a label (keyboard and screen-reader use).
    for field_id in re.findall(r'<(?:input|select) id="(f-[A-Za-z]+)"', html):
        assert f'for="{field_id}"' in html


def test_place_expected_winner_and_expected_cost(client: TestClient) -> None:
    html = client.get(
        "/place",
        params={"minCPU": "8", "minMemoryGB": "32", "strategy": "expected-cost", "jobHours": "10"},
    ).text
    _, region, itype = CHEAPEST_8_VCPU
    assert f'<span id="winner">{itype}</span> in {region}' in html
    assert "Expected cost of the job" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"minCPU": "lots"}, "minCPU", "Minimum vCPUs: “lots” is not a number"),
        ({"minMemoryGB": "-1"}, "minMemoryGB", "must be &gt;= 0"),
        ({"maxInterruptionRate": "1.5"}, "maxInterruptionRate", "between 0 and 1"),
        ({"gpuType": "quantum"}, "gpuType", "unknown GPU type"),
        ({"gpuCount": "1.5"}, "gpuCount", "whole number"),
        ({"strategy": "expected-cost"}, "jobHours", "required by the expected-cost strategy"),
        ({"providers": "ibm"}, "providers", "unknown provider"),
        ({"strategy": "cheapest"}, "strategy", "must be one of"),
    ],
)
def test_place_bad_values_are_named(
    client: TestClient, query: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/place", params=query)
    assert response.status_code == 200
    html = response.text
    assert 'id="form-errors"' in html and 'id="result"' not in html
    error = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', html)
    summary = html[html.index('id="form-errors"') : html.index('id="place-form"')]
    assert message in summary
    if field != "strategy":
        assert error is not None and message in error.group(1)


def test_place_no_match_explains(client: TestClient) -> None:
    html = client.get("/place", params={"minCPU": "8", "maxPricePerHour": "0.01"}).text
    assert 'data-status="404"' in html
    assert "Nothing matches" in html
    assert 'class="blocking"' in html


def test_place_escapes_what_was_typed(client: TestClient) -> None:
    html = client.get("/place", params={"minCPU": '"><script>alert(1)</script>'}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html


def test_read_form_keeps_query_values() -> None:
    form = read_form({"minCPU": ["8"], "providers": ["aws", "gcp"], "preferredRegions": ["a, b"]})
    assert form.submitted and not form.errors
    assert form.requirements is not None
    assert form.requirements.min_cpu == 8.0
    assert form.requirements.providers == ("aws", "gcp")
    assert form.requirements.preferred_regions == ("a", "b")
    assert not read_form({}).submitted


def test_history_embeds_one_series_per_zone(client: TestClient) -> None:
    provider, region, itype = HISTORY_KEY
    for range_name, expected in (("7d", POINTS_7D), ("30d", POINTS_30D)):
        html = client.get(
            "/history",
            params={
                "provider": provider,
                "region": region,
                "instanceType": itype,
                "range": range_name,
            },
        ).text
        chart = embedded(html, "history-data")
        assert {s["label"]: len(s["points"]) for s in chart["series"]} == expected
        assert chart["onDemand"] == 0.384
        assert chart["until"] - chart["since"] == {"7d": 7, "30d": 30}[range_name] * 86_400_000
        # us-east-1c changed 20 days ago: in the 7d range that price is carried in.
        zone_c = next(s for s in chart["series"] if s["label"] == "us-east-1c")
        assert zone_c["carriedIn"] == (0.14 if range_name == "7d" else None)
        assert zone_c["latest"] == 0.118


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"provider": "aws", "region": "us-east-1", "instanceType": "x9.huge"}, "No current aws"),
        ({"provider": "aws", "region": "r", "instanceType": "t", "range": "2y"}, "Unknown range"),
        ({"provider": "ibm", "region": "r", "instanceType": "t"}, "Unknown cloud"),
    ],
)
def test_history_bad_choices_say_why(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    response = client.get("/history", params=params)
    assert response.status_code == 200
    assert message in response.text
    assert 'id="history-data"' not in response.text


def test_compare_covers_every_cloud(client: TestClient) -> None:
    chart = embedded(client.get("/compare", params={"class": "cpu:8"}).text, "compare-data")
    assert chart["providers"] == ["aws", "azure", "gcp"]
    assert chart["bars"][0]["provider"] == "azure"
    values = [b["value"] for b in chart["bars"]]
    assert values == sorted(values)
    per_vcpu = embedded(
        client.get("/compare", params={"class": "cpu:2", "metric": "pricePerVcpuHour"}).text,
        "compare-data",
    )
    # Per vCPU, a bigger machine that fits the tier can be the cheapest.
    assert per_vcpu["bars"][0]["value"] == pytest.approx(0.077 / 8)
    assert per_vcpu["bars"][0]["instanceType"] == "Standard_D8s_v3"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"class": "gpu:nvidia-h100"}, "No offers for"),
        ({"class": "cpu:8", "metric": "pricePerGpuHour"}, "Unknown metric"),
    ],
)
def test_compare_bad_choices_say_why(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    assert message in client.get("/compare", params=params).text


def test_pages_follow_new_data(tmp_path: Path) -> None:
    """Cached per-state views are dropped when the service swaps in new data."""
    from datetime import UTC, datetime

    from spotarb.api import create_app
    from spotarb.core.config import load_settings
    from spotarb.core.models import SpotPrice
    from spotarb.feeds.base import FeedResult
    from tests.web.conftest import import_prices
    from tests.web.data import write_csv

    db = tmp_path / "live.db"
    import_prices(db, write_csv(tmp_path / "prices.csv"))
    app = create_app(load_settings(db=str(db)), collect=False)
    with TestClient(app) as live:
        before = embedded(live.get("/compare?class=cpu:8").text, "compare-data")
        assert before["bars"][0]["provider"] == "azure"
        assert "asia-east1" not in live.get("/history?provider=gcp").text
        now = datetime.now(UTC)
        cheaper = SpotPrice(
            "gcp", "asia-east1", "n2-standard-8", 8.0, 32.0, 0.05, observed_at=now, collected_at=now
        )
        app.state.service.aggregator.apply(FeedResult(feed="gcp", prices=[cheaper]))
        after = embedded(live.get("/compare?class=cpu:8").text, "compare-data")
        assert (after["bars"][0]["provider"], after["bars"][0]["region"]) == ("gcp", "asia-east1")
        assert '<option value="asia-east1">' in live.get("/history?provider=gcp").text
        assert 'data-shape="cpu:8:32" data-cheapest="gcp"' in live.get("/").text


def test_static_files_and_vendored_chartjs(client: TestClient) -> None:
    chart = STATIC_DIR / "vendor/chartjs/chart.umd.min.js"
    assert hashlib.sha256(chart.read_bytes()).hexdigest() == CHARTJS_SHA256
    assert "MIT License" in (STATIC_DIR / "vendor/chartjs/LICENSE.md").read_text()
    response = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert client.get("/static/dashboard.js").status_code == 200
    assert client.get("/static/../pages.py").status_code == 404


def test_api_stays_under_v1(client: TestClient) -> None:
    assert client.get("/v1/best-options").headers["content-type"] == "application/json"
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith(("/v1", "/healthz", "/readyz", "/metrics")) for p in paths)


def test_formatting() -> None:
    assert money(0.0832) == "$0.0832"
    assert money(None) == "–"
    assert pct(6.64) == "6.6%"
    assert rate(0.05) == "5%" and rate(None) == "unknown"
    assert age(42) == "42 s" and age(300) == "5 min" and age(7200) == "2.0 h"
    assert age(3 * 86400) == "3.0 d"


def test_feed_health_states(tmp_path: Path) -> None:
    """Fresh, partial, failing and stale feeds are told apart on the overview."""
    from datetime import UTC, datetime, timedelta

    from spotarb.api import create_app
    from spotarb.core.config import load_settings
    from spotarb.core.models import SpotPrice
    from spotarb.core.rows import to_rows
    from spotarb.store.sqlite import SqliteStore

    now = datetime.now(UTC)
    old = now - timedelta(days=2)

    def price(provider: str, when: datetime) -> SpotPrice:
        return SpotPrice(
            provider,
            "r1",
            "t1",
            2.0,
            8.0,
            0.05,
            source=provider,
            observed_at=when,
            collected_at=when,
        )

    db = tmp_path / "health.db"
    store = SqliteStore(str(db))
    store.write_rows(to_rows([price("aws", now)]), source="aws", errors=["eu-west-9: timed out"])
    store.write_rows(to_rows([price("azure", now)]), source="azure")
    store.record_failed_run(source="azure", started_at=now, error="proxy refused the connection")
    store.write_rows(to_rows([price("gcp", old)]), source="gcp")
    store.close()
    settings = load_settings(db=str(db), feeds=["aws", "azure", "gcp"], gcp_max_age=3600)
    with TestClient(create_app(settings, collect=False)) as health:
        html = health.get("/").text
    states = dict(re.findall(r'data-feed="(\w+)" data-state="([\w-]+)"', html))
    assert states == {"aws": "degraded", "azure": "failing", "gcp": "stale"}
    assert "proxy refused the connection" in html
