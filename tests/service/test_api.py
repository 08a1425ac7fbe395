"""The HTTP API through the real app (ASGI test client) on a real SQLite store."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spotarb.serving.service import Service
from tests.service.conftest import row, write

Client = Any


@pytest.fixture
def seeded(
    make_service: Callable[..., Service], make_client: Callable[..., Client]
) -> tuple[Service, Client]:
    service = make_service(admin_token="s3cret-admin-token", gcp_api_key="AIzaSECRETKEY123")
    write(
        service,
        "aws",
        [
            row(instance_type="m5.large", price_per_hour=0.040),
            row(instance_type="m5.xlarge", vcpu=4.0, memory_gb=16.0, price_per_hour=0.080),
            row(
                instance_type="p4d.24xlarge",
                vcpu=96.0,
                memory_gb=1152.0,
                gpu_type="nvidia-a100",
                gpu_count=8,
                price_per_hour=9.60,
            ),
            row(instance_type="m5.large", os="windows", price_per_hour=0.090),
        ],
    )
    write(
        service,
        "azure",
        [
            row(
                provider="azure",
                region="eastus",
                availability_zone="",
                instance_type="Standard_D2s_v5",
                price_per_hour=0.050,
                interruption_rate=None,
                source="azure-retail",
            ),
            row(
                provider="azure",
                region="eastus",
                availability_zone="",
                instance_type="Standard_NC24ads_A100_v4",
                vcpu=24.0,
                memory_gb=220.0,
                gpu_type="nvidia-a100",
                gpu_count=1,
                price_per_hour=1.00,
                source="azure-retail",
            ),
        ],
    )
    return service, make_client(service)


def test_prices_filters_sort_and_cursor_pagination(seeded: tuple[Service, Client]) -> None:
    _, client = seeded
    body = client.get("/v1/prices").json()
    assert body["total"] == 6
    assert [p["pricePerHour"] for p in body["prices"]] == sorted(
        p["pricePerHour"] for p in body["prices"]
    )
    first = body["prices"][0]
    assert first["instanceType"] == "m5.large" and first["memoryGB"] == 8.0
    assert first["availabilityScore"] == pytest.approx(95.0)
    assert 0 <= first["dataAgeSeconds"] < 60

    azure = client.get("/v1/prices", params={"provider": "azure"}).json()
    assert {p["provider"] for p in azure["prices"]} == {"azure"}
    assert azure["total"] == 2
    gpus = client.get("/v1/prices", params={"gpuType": "a100", "sort": "-pricePerHour"}).json()
    assert [p["instanceType"] for p in gpus["prices"]] == [
        "p4d.24xlarge",
        "Standard_NC24ads_A100_v4",
    ]
    windows = client.get("/v1/prices", params={"os": "windows"}).json()
    assert [p["pricePerHour"] for p in windows["prices"]] == [0.09]

    # Walk every page of two: each row exactly once, in order.
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, "sort": "-vcpu"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/prices", params=params).json()
        seen += [f"{p['provider']}/{p['instanceType']}/{p['os']}" for p in page["prices"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert seen[0] == "aws/p4d.24xlarge/linux"

    bad = client.get("/v1/prices", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and "cursor" in bad.text
    other_sort = client.get("/v1/prices", params={"limit": 1}).json()["nextCursor"]
    assert (
        client.get("/v1/prices", params={"cursor": other_sort, "sort": "vcpu"}).status_code == 422
    )
    assert client.get("/v1/prices", params={"limit": 100000}).status_code == 422


def test_history_window(seeded: tuple[Service, Client]) -> None:
    service, client = seeded
    later = datetime.now(UTC) + timedelta(seconds=1)
    write(service, "aws", [row(instance_type="m5.large", price_per_hour=0.045, observed_at=later)])
    params = {
        "provider": "aws",
        "region": "us-east-1",
        "zone": "us-east-1a",
        "instanceType": "m5.large",
    }
    body = client.get("/v1/prices/history", params=params).json()
    assert [h["pricePerHour"] for h in body["history"]] == [0.040, 0.045]
    recent = client.get(
        "/v1/prices/history",
        params={**params, "since": (later - timedelta(milliseconds=1)).isoformat()},
    ).json()
    assert [h["pricePerHour"] for h in recent["history"]] == [0.045]
    backwards = client.get(
        "/v1/prices/history",
        params={**params, "since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    assert backwards.status_code == 422
    assert client.get("/v1/prices/history", params={"provider": "aws"}).status_code == 422


def test_placement_decision_cache_and_invalidation(seeded: tuple[Service, Client]) -> None:
    service, client = seeded
    first = client.post(
        "/v1/placements", json={"minCPU": 2, "minMemoryGB": 8, "strategy": "lowest-price"}
    )
    assert first.status_code == 200, first.text
    decision = first.json()
    assert (decision["provider"], decision["instanceType"]) == ("aws", "m5.large")
    assert decision["pricePerHour"] == 0.040
    assert decision["dataAgeSeconds"] >= 0 and "scoreBreakdown" in decision
    assert decision["alternatives"][0]["instanceType"] == "Standard_D2s_v5"
    before = service.cache.stats()
    again = client.post(
        "/v1/placements", json={"strategy": "lowest-price", "minMemoryGB": 8, "minCPU": 2.0}
    )
    assert again.content == first.content  # same request, other order: one cache entry
    after_hit = service.cache.stats()
    # The route is the one path and asks the cache exactly once per request.
    assert (after_hit.hits, after_hit.misses) == (before.hits + 1, before.misses)
    client.post("/v1/placements", json={"minCPU": 3})
    after_miss = service.cache.stats()
    assert (after_miss.hits, after_miss.misses) == (after_hit.hits, after_hit.misses + 1)
    # A write swaps the snapshot: the next answer reflects it (no stale cache entry).
    write(
        service,
        "azure",
        [
            row(
                provider="azure",
                region="eastus",
                availability_zone="",
                instance_type="Standard_D2s_v5",
                price_per_hour=0.010,
                source="azure-retail",
            )
        ],
    )
    after = client.post(
        "/v1/placements", json={"minCPU": 2, "minMemoryGB": 8, "strategy": "lowest-price"}
    )
    assert after.json()["instanceType"] == "Standard_D2s_v5"
    assert after.json()["dataVersion"] > decision["dataVersion"]


def test_placement_errors(seeded: tuple[Service, Client]) -> None:
    _, client = seeded
    none = client.post("/v1/placements", json={"minCPU": 512})
    assert none.status_code == 404
    assert "512 vCPU" in none.json()["detail"] and none.json()["blockingFilter"] == "minCPU"
    for body, field in (
        ({"minCPU": -1}, "minCPU"),
        ({"gpuType": "not-a-gpu"}, "gpuType"),
        ({"strategy": "fastest"}, "strategy"),
        ({"maxInterruptionRate": 2}, "maxInterruptionRate"),
        ({"strategy": "expected-cost"}, "jobHours"),
        ({"bogus": 1}, "bogus"),
    ):
        response = client.post("/v1/placements", json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in str(response.json()["detail"]), (body, response.text)
    assert (
        client.post(
            "/v1/placements", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    huge = client.post("/v1/placements", json={"preferredRegions": ["r" * 100] * 2000})
    assert huge.status_code == 413
    too_many = client.post(
        "/v1/placements", json={"preferredRegions": [f"r{i}" for i in range(100)]}
    )
    assert too_many.status_code == 422


def test_stale_prices_are_skipped_unless_allowed(
    make_service: Callable[..., Service], make_client: Callable[..., Client]
) -> None:
    service = make_service(aws_interval=60)  # AWS max age: 3 min
    old = datetime.now(UTC) - timedelta(minutes=10)
    write(service, "aws", [row(price_per_hour=0.01, collected_at=old, observed_at=old)])
    write(
        service,
        "gcp",
        [
            row(
                provider="gcp",
                region="us-central1",
                availability_zone="",
                instance_type="n2-standard-2",
                price_per_hour=0.02,
                source="import",
                collected_at=old,
                observed_at=old,
            )
        ],
    )
    client = make_client(service)
    fresh = client.post("/v1/placements", json={"minCPU": 2}).json()
    # The older AWS row is stale; the imported GCP row is within the 24 h import allowance.
    assert fresh["provider"] == "gcp" and fresh["staleRowsExcluded"] == 1
    assert fresh["dataAgeSeconds"] >= 590
    only_aws = client.post("/v1/placements", json={"providers": ["aws"]})
    assert only_aws.status_code == 404 and "stale" in only_aws.json()["detail"]
    allowed = client.post("/v1/placements", json={"providers": ["aws"], "allowStale": True})
    assert allowed.status_code == 200 and allowed.json()["pricePerHour"] == 0.01
    options = client.get("/v1/best-options", params={"shape": "cpu:2"}).json()
    assert options["options"][0]["perProvider"]["aws"] is None
    assert options["options"][0]["perProvider"]["gcp"]["instanceType"] == "n2-standard-2"


def test_best_options_and_arbitrage(seeded: tuple[Service, Client]) -> None:
    service, client = seeded
    everything = client.get("/v1/best-options").json()
    names = [o["shape"]["name"] for o in everything["options"]]
    assert names[:6] == ["cpu:2:8", "cpu:4:16", "cpu:8:32", "cpu:16:64", "cpu:32:128", "cpu:64:256"]
    assert "gpu:nvidia-a100:8" in names and "gpu:nvidia-h100:1" in names
    a100x1 = client.get("/v1/best-options", params={"shape": "gpu:a100:1"}).json()["options"][0]
    assert a100x1["perProvider"]["azure"]["instanceType"] == "Standard_NC24ads_A100_v4"
    # Like for like: AWS's p4d.24xlarge has 8 A100s, so it is no 1 × A100 offer.
    assert a100x1["perProvider"]["aws"] is None
    assert a100x1["perProvider"]["gcp"] is None
    # An alias and the canonical name answer alike (the same per-state bytes).
    alias = client.get("/v1/best-options?shape=gpu:a100:1")
    canonical = client.get("/v1/best-options?shape=gpu%3Anvidia-a100%3A1")
    assert alias.content == canonical.content
    assert alias.headers["content-type"] == "application/json"
    assert 'route="/v1/best-options"' in client.get("/metrics").text
    cpu2 = client.get("/v1/best-options", params={"shape": "cpu:2"}).json()["options"][0]
    assert cpu2["perProvider"]["aws"]["instanceType"] == "m5.large"
    assert client.get("/v1/best-options", params={"shape": "cpu:3"}).status_code == 404
    assert client.get("/v1/best-options", params={"shape": "tpu:9"}).status_code == 422

    classes = {c["capacityClass"]: c for c in client.get("/v1/arbitrage").json()["classes"]}
    a100 = classes["gpu:nvidia-a100"]
    # AWS: 9.60 / 8 = 1.20 $/GPU-h; Azure: 1.00 $/GPU-h → Azure cheapest, spread 20 %.
    assert a100["cheapestProvider"] == "azure" and a100["nextProvider"] == "aws"
    assert a100["perCloud"]["aws"]["pricePerGpuHour"] == pytest.approx(1.2)
    assert a100["spreadPct"] == pytest.approx(20.0)
    cpu = classes["cpu:2:8"]
    assert cpu["cheapestProvider"] == "aws" and cpu["spreadPct"] == pytest.approx(25.0)
    assert cpu["perCloud"]["azure"]["pricePerVcpuHour"] == pytest.approx(0.025)

    # Recomputed after a write.
    write(
        service,
        "aws",
        [
            row(
                instance_type="p4d.24xlarge",
                vcpu=96.0,
                memory_gb=1152.0,
                gpu_type="nvidia-a100",
                gpu_count=8,
                price_per_hour=4.0,
            )
        ],
    )
    a100 = {c["capacityClass"]: c for c in client.get("/v1/arbitrage").json()["classes"]}[
        "gpu:nvidia-a100"
    ]
    assert a100["cheapestProvider"] == "aws" and a100["spreadPct"] == pytest.approx(100.0)


def test_admin_trigger_auth(
    make_service: Callable[..., Service], make_client: Callable[..., Client], local_feeds: None
) -> None:
    closed = make_client(make_service(db=":memory:"))
    assert closed.post("/v1/feeds/aws/collect").status_code == 403
    service = make_service(admin_token="tok-123456")
    # Collecting (a --no-collect server refuses the trigger with 409): let the first
    # scheduled round finish so the trigger finds the feed idle.
    client = make_client(service, collect=True)
    deadline = time.monotonic() + 10
    while not all(f.runs for f in service.scheduler.status()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert service.scheduler.wait_idle(10)
    assert client.post("/v1/feeds/aws/collect").status_code == 401
    wrong = client.post("/v1/feeds/aws/collect", headers={"Authorization": "Bearer tok-12345"})
    assert wrong.status_code == 401 and "tok-123456" not in wrong.text
    good = client.post("/v1/feeds/aws/collect", headers={"Authorization": "Bearer tok-123456"})
    assert good.status_code == 202
    assert service.scheduler.wait_idle(10)
    feeds = {f["name"]: f for f in client.get("/v1/feeds").json()["feeds"]}
    # The test feed refuses the public default URL: the run is "skipped" with the reason.
    assert feeds["aws"]["lastStatus"] == "skipped" and "local URL" in feeds["aws"]["reason"]
    missing = client.post("/v1/feeds/nope/collect", headers={"Authorization": "Bearer tok-123456"})
    assert missing.status_code == 404


def test_health_ready_metrics_cors_and_no_secrets(
    seeded: tuple[Service, Client],
    make_service: Callable[..., Service],
    make_client: Callable[..., Client],
) -> None:
    _, client = seeded
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["rows"] == 6
    client.post("/v1/placements", json={"minCPU": 1})
    metrics = client.get("/metrics").text
    for name in (
        "spotarb_http_request_duration_seconds_bucket",
        'route="/v1/placements"',
        "spotarb_cache_misses_total",
        'spotarb_data_age_seconds{provider="aws",which="newest"}',
        'spotarb_current_rows{provider="azure"} 2.0',
    ):
        assert name in metrics, name
    assert (
        "access-control-allow-origin"
        not in client.get("/v1/prices", headers={"Origin": "https://evil.example"}).headers
    )
    seen = "".join(
        client.get(p).text for p in ("/v1/feeds", "/v1/prices", "/metrics", "/openapi.json")
    )
    assert "s3cret-admin-token" not in seen and "AIzaSECRETKEY123" not in seen

    empty = make_client(make_service(db=":memory:", cors_origins="https://dash.example"))
    assert empty.get("/readyz").status_code == 503
    cors = empty.get("/healthz", headers={"Origin": "https://dash.example"})
    assert cors.headers["access-control-allow-origin"] == "https://dash.example"
    docs = empty.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "<html" in empty.get("/").text  # the dashboard (spotarb.web) is mounted at /


def test_prices_age_out_without_a_write_even_with_no_collect(
    make_service: Callable[..., Service], make_client: Callable[..., Client]
) -> None:
    service = make_service(aws_max_age=0.6, tick_seconds=0.1)
    write(service, "aws", [row()])
    client = make_client(service, collect=False)
    assert client.post("/v1/placements", json={}).status_code == 200
    assert client.get("/v1/best-options?shape=cpu:2").json()["options"][0]["best"] is not None
    deadline = time.monotonic() + 10
    while client.post("/v1/placements", json={}).status_code == 200:
        assert time.monotonic() < deadline, "the row never aged out"
        time.sleep(0.05)
    stale = client.post("/v1/placements", json={})
    assert stale.status_code == 404 and stale.json()["staleRowsExcluded"] == 1
    assert client.get("/v1/best-options?shape=cpu:2").json()["options"][0]["best"] is None
    assert client.post("/v1/placements", json={"allowStale": True}).status_code == 200
    assert client.get("/v1/feeds").json()["feeds"][0]["scheduled"] is False
    assert service.store.runs() and all(r.source == "aws" for r in service.store.runs())


def test_openapi_documents_every_route_with_its_tag_and_body(
    seeded: tuple[Service, Client],
) -> None:
    """The routers' routes sit in the app's own route list; the schema still has them all."""
    _, client = seeded
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        ("/v1/placements", "post"): "placement",
        ("/v1/fleets", "post"): "fleet",
        ("/v1/prices", "get"): "prices",
        ("/v1/prices/history", "get"): "prices",
        ("/v1/best-options", "get"): "insights",
        ("/v1/arbitrage", "get"): "insights",
        ("/v1/feeds", "get"): "feeds",
        ("/v1/feeds/{name}/collect", "post"): "feeds",
        ("/healthz", "get"): "health",
        ("/readyz", "get"): "health",
        ("/metrics", "get"): "health",
        ("/v1/cluster", "get"): "health",
    }
    documented = {
        (path, method): op["tags"][0] for path, ops in paths.items() for method, op in ops.items()
    }
    assert documented == expected  # the dashboard pages and /docs stay out of the schema
    for path, model in (("/v1/placements", "PlacementRequest"), ("/v1/fleets", "FleetRequest")):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{model}"}
    # Every documented route answers (none is shadowed by the dashboard's routes).
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/v1/cluster").status_code == 200
