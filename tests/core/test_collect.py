"""`spotarb collect` and the feed contract, with test feeds that fetch over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.core.config import Settings
from spotarb.core.errors import FeedUnconfigured
from spotarb.core.http import OutboundClients, get_json
from spotarb.core.models import SpotPrice
from spotarb.feeds import base as feeds_base
from spotarb.feeds.base import Feed, FeedResult, ProgressCallback, ProgressEvent, RegionError
from spotarb.store import open_store

runner = CliRunner()


class ServerFeed(Feed):
    """Reads rows per region from ``$SPOTARB_AZURE_PRICES_URL/<region>`` (a local server)."""

    name: ClassVar[str] = "azure"
    regions: ClassVar[tuple[str, ...]] = ("eastus", "westeurope")

    def __init__(self, base_url: str, clients: OutboundClients) -> None:
        self.base_url = base_url
        self.clients = clients

    @classmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> Feed:
        url = settings.azure_prices_url
        if "127.0.0.1" not in url and "localhost" not in url:
            raise FeedUnconfigured("test feed needs a local URL")
        return cls(settings.azure_prices_url, clients)

    def collect(
        self, *, since: datetime | None = None, progress: ProgressCallback = lambda e: None
    ) -> FeedResult:
        result = FeedResult(feed="azure")
        with self.clients.http("azure") as client:
            for region in self.regions:
                try:
                    items = get_json(client, f"{self.base_url}/{region}", what=region)
                except Exception as exc:
                    result.errors.append(RegionError(region, str(exc)))
                    progress(ProgressEvent("azure", region, "error", message=str(exc)))
                    continue
                result.prices += [
                    SpotPrice("azure", region, i["sku"], 2, 8, i["price"]) for i in items
                ]
                result.regions_ok.append(region)
                progress(ProgressEvent("azure", region, "done", rows=len(items)))
        return result


class NeverConfigured(Feed):
    name: ClassVar[str] = "gcp"

    @classmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> Feed:
        raise FeedUnconfigured("no SPOTARB_GCP_API_KEY and no application-default credentials")

    def collect(self, **_: object) -> FeedResult:  # type: ignore[override]
        raise AssertionError("never constructed")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test feeds in place of azure and gcp, no aws; the registry restored in order after."""
    saved = dict(feeds_base.FEED_REGISTRY)
    feeds_base.FEED_REGISTRY.clear()
    feeds_base.FEED_REGISTRY.update(
        {"azure": f"{__name__}:ServerFeed", "gcp": f"{__name__}:NeverConfigured"}
    )
    monkeypatch.setenv("SPOTARB_MAX_RETRIES", "0")
    yield
    feeds_base.FEED_REGISTRY.clear()
    feeds_base.FEED_REGISTRY.update(saved)


def serve(httpserver: HTTPServer, region: str, items: list[dict[str, object]] | None) -> None:
    httpserver.clear()
    for r in ServerFeed.regions:
        handler = httpserver.expect_request(f"/prices/{r}")
        if r == region and items is None:
            handler.respond_with_data("boom", status=500)
        else:
            handler.respond_with_json(items if r == region else [{"sku": f"S_{r}", "price": 0.1}])


def collect(db: str, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["collect", "--db", db, *extra])
    return result.exit_code, result.stdout, result.stderr


def test_a_failing_region_keeps_its_old_rows_and_others_are_updated(
    registry: None, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "x.db")
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", httpserver.url_for("/prices"))
    serve(httpserver, "eastus", [{"sku": "Standard_D2s_v3", "price": 0.02}])
    code, out, err = collect(db)
    assert code == 0, err
    assert "eastus" in err and "1 rows" in err  # progress per region
    assert "azure" in out and "ok" in out and "skipped" in out  # gcp unconfigured
    store = open_store(db)
    assert {(p.region, p.price_per_hour) for p in store.current_prices()} == {
        ("eastus", 0.02), ("westeurope", 0.1)}  # fmt: skip

    serve(httpserver, "eastus", None)  # eastus now answers 500
    code, out, err = collect(db, "--json")
    assert code == 0
    [azure, gcp] = json.loads(out)
    assert azure["status"] == "partial" and "eastus" in azure["regionErrors"][0]
    assert "HTTP 500" in azure["regionErrors"][0]
    assert gcp["status"] == "skipped" and "SPOTARB_GCP_API_KEY" in gcp["reason"]
    assert {(p.region, p.price_per_hour) for p in store.current_prices()} == {
        ("eastus", 0.02), ("westeurope", 0.1)}  # fmt: skip
    assert store.runs()[0].status == "partial"


def test_a_feed_that_fails_entirely_erases_nothing(
    registry: None, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "x.db")
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", httpserver.url_for("/prices"))
    serve(httpserver, "eastus", [{"sku": "Standard_D2s_v3", "price": 0.02}])
    assert collect(db)[0] == 0
    before = open_store(db).current_prices()
    httpserver.clear()
    httpserver.expect_request("/prices/eastus").respond_with_data("down", status=503)
    httpserver.expect_request("/prices/westeurope").respond_with_data("down", status=503)
    code, out, _err = collect(db, "--feed", "azure")
    assert code == 1
    assert "failed" in out
    store = open_store(db)
    assert store.current_prices() == before
    run = store.runs(source="azure")[0]
    assert run.status == "failed" and "HTTP 503" in run.error


def test_an_explicitly_requested_unconfigured_feed_fails_the_command(
    registry: None, tmp_path: Path
) -> None:
    code, out, _ = collect(str(tmp_path / "x.db"), "--feed", "gcp")
    assert code == 1
    assert "SPOTARB_GCP_API_KEY" in out


def test_unknown_feed_name(tmp_path: Path) -> None:
    code, _, err = collect(str(tmp_path / "x.db"), "--feed", "oracle")
    assert code == 2 and "unknown feed 'oracle'" in err


def test_feed_takes_a_comma_list(
    registry: None, httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", httpserver.url_for("/prices"))
    serve(httpserver, "eastus", [{"sku": "Standard_D2s_v3", "price": 0.02}])
    code, out, err = collect(str(tmp_path / "x.db"), "--feed", "azure, gcp", "--json")
    assert code == 1, err  # gcp was asked for by name and is not configured
    assert [(o["feed"], o["status"]) for o in json.loads(out)] == [
        ("azure", "ok"),
        ("gcp", "skipped"),
    ]


def test_feed_list_with_an_unknown_name_is_refused_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, _, err = collect(str(db), "--feed", "aws,oracle")
    assert code == 2 and "unknown feed 'oracle'" in err
    assert not db.exists()  # refused before anything ran


def test_feeds_command_shows_configuration(registry: None, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", "http://127.0.0.1:9/prices")
    result = runner.invoke(app, ["feeds", "--db", str(tmp_path / "x.db"), "--json"])
    statuses = {s["name"]: s for s in json.loads(result.stdout)}
    assert statuses["azure"]["configured"] is True
    assert statuses["gcp"]["configured"] is False
    assert "SPOTARB_GCP_API_KEY" in statuses["gcp"]["reason"]


def test_the_registry_names_every_feed_module() -> None:
    assert set(feeds_base.FEED_REGISTRY) == {"aws", "azure", "gcp"}
    for name, target in feeds_base.FEED_REGISTRY.items():
        module, _, cls = target.partition(":")
        assert module == f"spotarb.feeds.{name}" and cls.endswith("Feed")
