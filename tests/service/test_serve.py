"""``spotarb serve`` as a real process on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from spotarb.feeds.base import FeedResult
from spotarb.ingest.aggregator import Aggregator
from spotarb.store.sqlite import SqliteStore
from tests.service.conftest import row

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5, **kw)

    def wait_until(self, path: str, ok: Any, timeout: float = 60.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                last = self.get(path)
                if ok(last):
                    return last
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"{path} never became ready: {last!r}\n{self.log.read_text()}")


def start(args: list[str], env: dict[str, str], tmp: Path, *, local_feeds: bool) -> Served:
    port = free_port()
    log = tmp / f"serve-{port}.log"
    entry = (
        [sys.executable, str(ROOT / "tests/service/serve_local.py")]
        if local_feeds
        else [sys.executable, "-m", "spotarb"]
    )
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTARB_")}
    proc = subprocess.Popen(
        [*entry, "serve", "--port", str(port), *args],
        cwd=ROOT,
        env={**base_env, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    return Served(proc, port, log)


@pytest.fixture
def processes() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait(10)


def test_serve_collects_on_schedule_and_stops_cleanly(
    httpserver: HTTPServer, tmp_path: Path, processes: list[Served]
) -> None:
    httpserver.expect_request("/aws").respond_with_json(
        {
            "regions": {
                "us-east-1": [
                    {
                        "instanceType": "c5.xlarge",
                        "vcpu": 4,
                        "memoryGB": 8,
                        "price": 0.07,
                        "zone": "us-east-1b",
                    }
                ]
            }
        }
    )
    httpserver.expect_request("/azure").respond_with_data("no", status=500)
    env = {
        "SPOTARB_FEEDS": "aws,azure,gcp",
        "SPOTARB_AWS_SPOT_FEED_URL": httpserver.url_for("/aws"),
        "SPOTARB_AZURE_PRICES_URL": httpserver.url_for("/azure"),
        "SPOTARB_MAX_RETRIES": "0",
        "SPOTARB_ADMIN_TOKEN": "e2e-admin-token-xyz",
        "SPOTARB_GCP_API_KEY": "AIzaE2ESECRET",
    }
    served = start(
        ["--db", str(tmp_path / "e2e.db"), "--tick", "0.2"], env, tmp_path, local_feeds=True
    )
    processes.append(served)
    ready = served.wait_until("/readyz", lambda r: r.status_code == 200)
    assert ready.json()["rows"] == 1
    prices = served.get("/v1/prices").json()["prices"]
    assert [(p["instanceType"], p["pricePerHour"]) for p in prices] == [("c5.xlarge", 0.07)]
    placed = httpx.post(served.url + "/v1/placements", json={"minCPU": 4}, timeout=5)
    assert placed.status_code == 200 and placed.json()["instanceType"] == "c5.xlarge"
    listing = served.wait_until(
        "/v1/feeds", lambda r: r.json()["feeds"][1]["lastStatus"] == "failed"
    ).json()
    feeds = {f["name"]: f for f in listing["feeds"]}
    assert "500" in feeds["azure"]["lastError"]
    assert feeds["gcp"]["configured"] is False and "local URL" in feeds["gcp"]["reason"]
    trigger = httpx.post(
        served.url + "/v1/feeds/aws/collect",
        headers={"Authorization": "Bearer e2e-admin-token-xyz"},
        timeout=5,
    )
    assert trigger.status_code in (202, 409)
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(15) == 0
    log = served.log.read_text()
    assert "e2e-admin-token-xyz" not in log and "AIzaE2ESECRET" not in log
    assert "azure failed" in log  # the failure reason is in the log
    store = SqliteStore(tmp_path / "e2e.db")
    assert {r.status for r in store.runs(source="aws")} == {"ok"}
    store.close()


def test_serve_without_network_or_credentials_serves_the_store(
    tmp_path: Path, processes: list[Served]
) -> None:
    db = tmp_path / "offline.db"
    store = SqliteStore(db)
    Aggregator(store).apply(FeedResult(feed="import", prices=[row(source="import")]))
    store.close()
    dead = free_port()  # nothing listens here: every outbound call fails at once
    env = {
        "SPOTARB_PROXY_URL": f"http://127.0.0.1:{dead}",
        "SPOTARB_MAX_RETRIES": "0",
        "HTTPS_PROXY": f"http://127.0.0.1:{dead}",
        "HTTP_PROXY": f"http://127.0.0.1:{dead}",
    }
    served = start(["--db", str(db)], env, tmp_path, local_feeds=False)
    processes.append(served)
    served.wait_until("/readyz", lambda r: r.status_code == 200)
    assert served.get("/v1/prices").json()["prices"][0]["instanceType"] == "m5.large"
    assert httpx.post(served.url + "/v1/placements", json={}, timeout=5).status_code == 200
    feeds = served.get("/v1/feeds").json()["feeds"]
    assert [f["name"] for f in feeds] == ["aws", "azure", "gcp"]
    for feed in feeds:  # each feed says why it has no data (unconfigured or failing)
        assert feed["rows"] == (1 if feed["name"] == "aws" else 0)
        assert feed["reason"] or feed["lastError"] or feed["running"], feed
    served.proc.send_signal(signal.SIGINT)
    assert served.proc.wait(15) == 0
