"""Two ``spotarb serve`` processes on one SQLite file: one collects, the other says it won't."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.scale.serveproc import Serve

FEED = {"regions": {"us-east-1": [{"instanceType": "c5.xlarge", "vcpu": 4, "memoryGB": 8,
                                   "price": 0.07}]}}  # fmt: skip


def test_a_second_serve_on_one_sqlite_file_serves_the_api_only(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/aws").respond_with_json(FEED)
    db = str(tmp_path / "prices.db")
    env = {
        "SPOTARB_FEEDS": "aws",
        "SPOTARB_AWS_SPOT_FEED_URL": httpserver.url_for("/aws"),
        "SPOTARB_MAX_RETRIES": "0",
    }
    first = Serve("first", ["--db", db, "--tick", "0.2"], env, tmp_path)
    try:
        first.wait_until("/readyz", lambda r: r.status_code == 200)
        second = Serve("second", ["--db", db, "--tick", "0.2"], env, tmp_path)
        try:
            view = second.wait_until("/v1/cluster", lambda r: r.status_code == 200).json()
            assert (view["isLeader"], view["leaderId"], view["store"]) == (
                False, "first", "sqlite",
            )  # fmt: skip
            assert first.get("/v1/cluster").json()["isLeader"] is True
            assert "second is a standby: first collects into sqlite:///" in second.log.read_text()
            first.kill()
            second.wait_until("/v1/cluster", lambda r: r.json()["isLeader"], timeout=10)
        finally:
            second.kill()
    finally:
        first.kill()
