"""Server-side time to render each dashboard page over a large synthetic catalog.

    uv run python benchmarks/dashboard_pages.py --rows 100000

Builds a store with the service benchmark's synthetic rows, then requests each page
in-process (Starlette TestClient, so no network) and reports the median and p95.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from service_load import build_store
from spotarb.api import create_app
from spotarb.core.config import load_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build_store(db, args.rows)
        app = create_app(load_settings(db=str(db)), collect=False)
        with TestClient(app) as client:
            one = client.get("/v1/prices?provider=aws&region=us-east-1&limit=1").json()
            itype = one["prices"][0]["instanceType"]
            pages = {
                "overview": "/",
                "place (form only)": "/place",
                "place (8 vCPU, balanced)": "/place?minCPU=8&minMemoryGB=32",
                "history (picker)": "/history?provider=aws&region=us-east-1",
                "history (one type, 30d)": "/history?provider=aws&region=us-east-1"
                f"&instanceType={itype}&range=30d",
                "compare cpu:8": "/compare?class=cpu:8",
                "compare gpu:nvidia-a100": "/compare?class=gpu:nvidia-a100",
            }
            print(f"{'page':28} {'median ms':>10} {'p95 ms':>8} {'KiB':>7}")
            for name, path in pages.items():
                times: list[float] = []
                size = 0
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    response = client.get(path)
                    times.append(1000 * (time.perf_counter() - began))
                    assert response.status_code == 200, (path, response.status_code)
                    assert b'role="alert"' not in response.content, path
                    size = len(response.content)
                times.sort()
                p95 = times[int(0.95 * (len(times) - 1))]
                print(f"{name:28} {statistics.median(times):10.1f} {p95:8.1f} {size / 1024:7.1f}")


if __name__ == "__main__":
    main()
