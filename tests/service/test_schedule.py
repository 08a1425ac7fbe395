"""The schedule: intervals, jitter, no overlap, capped back-off; and collection on schedule
against local HTTP servers, seen through the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pytest_httpserver import HTTPServer

from spotarb.core.config import load_settings
from spotarb.ingest.collect import FeedOutcome
from spotarb.ingest.scheduler import Scheduler
from spotarb.serving.service import Service


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_intervals_jitter_no_overlap_and_capped_backoff() -> None:
    settings = load_settings(
        db=":memory:",
        aws_interval=60,
        azure_interval=600,
        schedule_jitter=0.5,
        schedule_backoff_max=300,
    )
    clock = FakeClock()
    release = threading.Event()
    outcomes = {"aws": "ok", "azure": "failed"}
    calls: list[str] = []

    def run(name: str) -> FeedOutcome:
        calls.append(name)
        if name == "aws":
            release.wait(5)
        return FeedOutcome(
            name, outcomes[name], reason="boom" if outcomes[name] == "failed" else ""
        )

    sched = Scheduler(["aws", "azure"], settings, run, clock=clock, rng=lambda: 1.0)
    assert sorted(sched.tick()) == ["aws", "azure"]  # everything is due at start
    assert sched.tick() == []  # aws still running: never overlaps itself; azure not due
    assert sched.trigger("aws") is False
    release.set()
    assert sched.wait_idle(5)
    state = {s.name: s for s in sched.status()}
    assert state["aws"].delay == 90.0  # 60 s + 50 % jitter (rng = 1)
    assert state["azure"].delay == 600.0 and state["azure"].consecutive_failures == 1
    assert state["azure"].last_reason == "boom"
    delays = []
    for _ in range(4):
        clock.now += 10_000
        sched.tick()
        assert sched.wait_idle(5)
        delays.append({s.name: s for s in sched.status()}["azure"].delay)
    # Doubling from the interval, capped at max(interval, backoff max) = 600 s.
    assert delays == [600.0, 600.0, 600.0, 600.0]
    assert {s.name: s for s in sched.status()}["azure"].consecutive_failures == 5

    aws_only = load_settings(db=":memory:", aws_interval=10, schedule_backoff_max=50)
    outcomes["aws"] = "failed"
    sched = Scheduler(["aws"], aws_only, run, clock=clock, rng=lambda: 0.0)
    seen = []
    for _ in range(5):
        clock.now += 1000
        sched.tick()
        assert sched.wait_idle(5)
        seen.append(sched.status()[0].delay)
    assert seen == [10.0, 20.0, 40.0, 50.0, 50.0]
    outcomes["aws"] = "ok"
    clock.now += 1000
    sched.tick()
    assert sched.wait_idle(5)
    assert sched.status()[0].consecutive_failures == 0 and sched.status()[0].delay == 10.0


def _serve(server: HTTPServer, path: str, regions: dict[str, Any], status: int = 200) -> None:
    server.expect_request(path).respond_with_json({"regions": regions}, status=status)


def _wait(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_scheduled_collection_serves_prices_and_reports_failing_feed(
    httpserver: HTTPServer,
    local_feeds: None,
    make_service: Callable[..., Service],
    make_client: Callable[..., Any],
) -> None:
    _serve(
        httpserver,
        "/aws",
        {
            "us-east-1": [
                {
                    "instanceType": "m5.large",
                    "vcpu": 2,
                    "memoryGB": 8,
                    "price": 0.04,
                    "zone": "us-east-1a",
                    "interruptionRate": 0.03,
                }
            ],
            "us-west-2": "throttled by the test server",
        },
    )
    _serve(
        httpserver,
        "/azure",
        {
            "eastus": [
                {"instanceType": "Standard_D2s_v5", "vcpu": 2, "memoryGB": 8, "price": 0.03}
            ],
        },
    )
    httpserver.expect_request("/gcp").respond_with_data("upstream down", status=503)
    service = make_service(
        aws_spot_feed_url=httpserver.url_for("/aws"),
        azure_prices_url=httpserver.url_for("/azure"),
        gcp_billing_url=httpserver.url_for("/gcp"),
        tick_seconds=0.1,
        aws_interval=0.3,
        azure_interval=600,
        gcp_interval=0.2,
        schedule_backoff_max=0.4,
    )
    client = make_client(service, collect=True)
    _wait(lambda: client.get("/v1/prices").json()["total"] == 2)
    _wait(
        lambda: (
            {f["name"]: f for f in client.get("/v1/feeds").json()["feeds"]}["gcp"][
                "consecutiveFailures"
            ]
            >= 2
        )
    )
    prices = client.get("/v1/prices").json()["prices"]
    assert [(p["provider"], p["instanceType"]) for p in prices] == [
        ("azure", "Standard_D2s_v5"),
        ("aws", "m5.large"),
    ]
    decision = client.post("/v1/placements", json={"minCPU": 2, "strategy": "lowest-price"}).json()
    assert decision["provider"] == "azure" and decision["pricePerHour"] == 0.03
    feeds = {f["name"]: f for f in client.get("/v1/feeds").json()["feeds"]}
    assert feeds["gcp"]["configured"] is True and feeds["gcp"]["lastStatus"] == "failed"
    assert "503" in feeds["gcp"]["lastError"] and feeds["gcp"]["lastSuccessAt"] is None
    assert feeds["gcp"]["rows"] == 0 and feeds["gcp"]["scheduled"] is True
    assert feeds["aws"]["lastStatus"] == "partial" and feeds["aws"]["rows"] == 1
    assert feeds["aws"]["regionErrors"] == ["us-west-2: throttled by the test server"]
    assert feeds["aws"]["lastSuccessAt"] is not None and feeds["aws"]["dataAgeSeconds"] < 60
    assert feeds["azure"]["intervalSeconds"] == 600 and feeds["azure"]["nextRunInSeconds"] > 500
    # AWS runs again on its interval; Azure (10 min) ran exactly once.
    _wait(lambda: len(service.store.runs(source="aws")) >= 3)
    assert len(service.store.runs(source="azure")) == 1
    metrics = client.get("/metrics").text
    assert 'spotarb_feed_errors_total{feed="aws",region="us-west-2"}' in metrics
    assert 'spotarb_feed_runs_total{feed="gcp",status="failed"}' in metrics
    assert 'spotarb_feed_rows_total{feed="azure"} 1.0' in metrics
    # The failing feed never erased anything: AWS and Azure prices are still served.
    assert client.get("/v1/prices").json()["total"] == 2
