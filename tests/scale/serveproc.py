"""``spotarb serve`` processes with the local test feeds, on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.scale.redisproc import free_port

ROOT = Path(__file__).resolve().parents[2]


class Serve:
    def __init__(self, name: str, args: list[str], env: dict[str, str], tmp: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{name}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("SPOTARB_")}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/service/serve_local.py"), "serve",
             "--port", str(self.port), *args],
            cwd=ROOT,
            env={**base, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", "PYTHONFAULTHANDLER": "1",
                 "SPOTARB_INSTANCE_ID": name, **env},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=5)

    def post(self, path: str, body: Any) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=5)

    def wait_until(
        self, path: str, ok: Callable[[httpx.Response], bool], timeout: float = 45.0
    ) -> httpx.Response:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log.read_text()}"
            try:
                last = self.get(path)
                if ok(last):
                    return last
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.05)
        # A hung process writes every thread's stack to its log (PYTHONFAULTHANDLER) on SIGABRT.
        self.proc.send_signal(signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        raise AssertionError(f"{self.name} {path}: {last!r}\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, the way a lost node goes."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
