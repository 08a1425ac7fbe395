"""``spotarb serve`` as a real process: the port is bound first; third-party logs stay quiet."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.cli.common import THIRD_PARTY_LOGGERS
from tests.proxy_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def serve(
    procs: list[subprocess.Popen[str]], port: int, env: dict[str, str], *args: str
) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SPOTARB_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotarb", *args, "serve", "--port", str(port)],
        cwd=ROOT,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs.append(proc)
    return proc


def azure_env(httpserver: HTTPServer, db: Path) -> dict[str, str]:
    httpserver.expect_request("/prices").respond_with_json({"Items": [], "NextPageLink": None})
    return {
        "SPOTARB_DB": str(db),
        "SPOTARB_FEEDS": "azure",
        "SPOTARB_AZURE_PRICES_URL": httpserver.url_for("/prices"),
        "SPOTARB_AZURE_REGIONS": "eastus",
        "SPOTARB_AZURE_USE_CREDENTIALS": "false",
        "SPOTARB_CONFIG": str(db.parent / "none.toml"),
        "NO_GCE_CHECK": "true",  # google-auth: no metadata-server probe (seconds offline)
    }


def test_a_busy_port_stops_serve_before_any_feed_runs(
    httpserver: HTTPServer, tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    db = tmp_path / "busy.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = serve(procs, port, azure_env(httpserver, db))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert f"port {port} on 127.0.0.1 is in use" in lines[0]
    assert httpserver.log == []  # no feed ran
    assert not db.exists()  # nothing opened either


def _serve_one_feed_run(
    httpserver: HTTPServer, tmp_path: Path, procs: list[subprocess.Popen[str]], *args: str
) -> str:
    port = free_port()
    proc = serve(procs, port, azure_env(httpserver, tmp_path / "q.db"), *args)
    deadline = time.monotonic() + 60
    status = None
    while status is None:
        assert time.monotonic() < deadline and proc.poll() is None, "no feed run recorded"
        try:
            feeds = httpx.get(f"http://127.0.0.1:{port}/v1/feeds", timeout=5).json()["feeds"]
            status = {f["name"]: f for f in feeds}["azure"]["lastStatus"]
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out + err


def test_serve_keeps_http_client_logs_quiet(
    httpserver: HTTPServer, tmp_path: Path, procs: list[subprocess.Popen[str]]
) -> None:
    log = _serve_one_feed_run(httpserver, tmp_path, procs)
    assert len(httpserver.log) == 1  # the feed did call out
    assert "INFO spotarb.serving.service: collecting azure on schedule" in log  # root is INFO
    assert "HTTP Request:" not in log  # httpx's INFO line per request


def test_third_party_loggers_are_warning_unless_verbose(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "x.db")
    runner.invoke(app, ["feeds", "--db", db])
    assert {logging.getLogger(n).level for n in THIRD_PARTY_LOGGERS} == {logging.WARNING}
    assert logging.getLogger("azure.identity").getEffectiveLevel() == logging.WARNING
    runner.invoke(app, ["-v", "feeds", "--db", db])
    assert {logging.getLogger(n).level for n in THIRD_PARTY_LOGGERS} == {logging.NOTSET}
