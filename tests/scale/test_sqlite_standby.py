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


def test_the_admin_trigger_is_refused_where_another_process_collects(tmp_path: Path) -> None:
    import warnings

    from spotarb.api import create_app
    from spotarb.core.config import load_settings
    from spotarb.serving.service import Service
    from spotarb.store.sqlite import SqliteStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from tests.scale.redisproc import free_port

    db = str(tmp_path / "prices.db")
    # Every outbound call goes to a proxy that is not there: nothing leaves the machine.
    offline = {"feeds": "aws", "admin_token": "tok-123456", "max_retries": 0,
               "proxy_url": f"http://127.0.0.1:{free_port()}"}  # fmt: skip
    settings = load_settings(db=db, instance_id="a", **offline)
    standby_settings = load_settings(db=db, instance_id="b", **offline)
    auth = {"Authorization": "Bearer tok-123456"}
    collector = TestClient(create_app(settings, service=Service(settings, SqliteStore(db))))
    with collector:
        standby_app = create_app(
            standby_settings, service=Service(standby_settings, SqliteStore(db))
        )
        with TestClient(standby_app) as standby:
            refused = standby.post("/v1/feeds/aws/collect", headers=auth)
            assert refused.status_code == 409
            assert refused.json()["detail"] == (
                "this replica does not collect: a is the collector; run feeds there"
            )
        # The collector itself may run it (unless its scheduled run is still going).
        allowed = collector.post("/v1/feeds/aws/collect", headers=auth)
        assert allowed.status_code == 202 or allowed.json()["detail"] == (
            "feed aws is already running"
        )
