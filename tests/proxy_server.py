"""A real forward proxy (proxy.py) in a child process, standing in for the audit proxy.

Tests assert from its access log that a feed's requests went through it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ProxyProcess:
    url: str
    port: int
    log_file: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def wait_for_log(self, needle: str, timeout: float = 10.0) -> str:
        """Poll the access log until ``needle`` shows up (acceptors write it a bit later)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            if needle in text:
                return text
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not in proxy log:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_proxy(workdir: Path) -> ProxyProcess:
    port_file = workdir / "proxy.port"
    log_file = workdir / "proxy.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-workers",
            "1",
            "--num-acceptors",
            "1",
            "--log-file",
            str(log_file),
            "--log-level",
            "INFO",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text().strip())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return ProxyProcess(f"http://127.0.0.1:{port}", port, log_file, process)
            except OSError:
                pass
        if process.poll() is not None:
            raise RuntimeError(f"proxy.py exited with {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("proxy.py did not start within 20 s")
