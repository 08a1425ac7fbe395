"""Fixtures for the dashboard tests: known prices, a real `spotarb serve`, one Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.data import write_csv

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SPOTARB = (sys.executable, "-m", "spotarb")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _env() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SPOTARB_")}
    return {**base, "PYTHONPATH": f"{ROOT / 'src'}", "SPOTARB_FEEDS": "aws,azure,gcp"}


def import_prices(db: Path, csv_path: Path) -> None:
    """`spotarb import` as a user runs it."""
    done = subprocess.run(
        [*SPOTARB, "import", str(csv_path), "--db", str(db)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "repeated a key (the newest observation of each key is current" in done.stdout


@pytest.fixture(scope="session")
def price_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("prices")
    db = tmp / "spotarb.db"
    import_prices(db, write_csv(tmp / "prices.csv"))
    return db


@pytest.fixture
def client(price_db: Path) -> Iterator[TestClient]:
    """The real app in-process (no browser): for fast page checks."""
    from spotarb.api import create_app
    from spotarb.core.config import load_settings

    app = create_app(load_settings(db=str(price_db), feeds=["aws", "azure", "gcp"]), collect=False)
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(price_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`spotarb serve --no-collect` on a free loopback port over the imported prices."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    args = ["serve", "--db", str(price_db), "--no-collect", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*SPOTARB, *args, "--port", str(port)],
            cwd=ROOT,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    yield Server(url, proc, log)
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (.ci/run installs it with apt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """One page plus what the browser reported: console errors and off-host requests."""

    page: Any
    base: str
    shots: Path
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, (path, response)
        return response

    def shoot(self, name: str) -> list[Path]:
        """Screenshots at laptop and phone width (full page)."""
        out: list[Path] = []
        for label, size in (("laptop", LAPTOP), ("phone", PHONE)):
            self.page.set_viewport_size(size)
            self.page.wait_for_timeout(150)  # charts resize on the next frame
            path = self.shots / f"{name}-{label}.png"
            self.page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 5000
            out.append(path)
        self.page.set_viewport_size(LAPTOP)
        return out

    def chart(self, canvas_id: str) -> dict[str, Any]:
        """What Chart.js drew on a canvas: dataset labels and their point counts."""
        info: dict[str, Any] = self.page.evaluate(
            """(id) => {
                const chart = window.Chart && window.Chart.getChart(document.getElementById(id));
                if (!chart) return null;
                return {
                    width: chart.width, height: chart.height,
                    datasets: chart.data.datasets.map((d, i) => ({
                        label: d.label,
                        observed: d.data.filter(p => p !== null && !(p && p.edge)).length,
                        drawn: chart.getDatasetMeta(i).data.length,
                        reference: !!d.reference,
                        values: d.data.filter(p => p !== null && !(p && p.edge))
                                      .map(p => typeof p === 'number' ? p : p.y),
                    })),
                };
            }""",
            canvas_id,
        )
        assert info is not None, f"no chart on #{canvas_id}"
        return info


@pytest.fixture
def tab(browser: Any, server: Server, tmp_path: Path) -> Iterator[Tab]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(5000)
    page = context.new_page()
    tab = Tab(page, server.url, tmp_path)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: tab.errors.append(f"page error: {exc}"))

    def guard(route: Any) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:  # the dashboard must work offline: nothing leaves this server
            tab.foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    yield tab
    context.close()
    assert tab.errors == [], f"browser console errors: {tab.errors}"
    assert tab.foreign == [], f"requests outside the server: {tab.foreign}"
