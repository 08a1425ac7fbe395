"""Load benchmark of ``spotarb serve``: placements and best-options lookups at 32 clients.

Builds a store with 100k current rows, starts ``spotarb serve --no-collect`` as a
real process on a free loopback port, then drives it with a small asyncio HTTP/1.1
client (32 concurrent keep-alive connections) for a fixed time per scenario:

- ``placements (cached)``: 64 distinct requirement bodies, repeated (the result
  cache answers after the first of each);
- ``placements (uncached)``: the same bodies against a second server started with
  ``SPOTARB_PLACEMENT_CACHE_SIZE=0`` (every request runs the engine on 100k rows);
- ``best-options``: ``GET /v1/best-options?shape=...`` over the default shapes.

``--client wrk`` drives the same requests with wrk (a C load generator, from Debian's
``wrk`` package) instead: on a 2-core machine the Python client above needs most of a
core for itself at several thousand requests/s, so wrk shows more of what the server
does. ``--client both`` runs each scenario with both clients, one after the other.

``--floor`` also serves ``benchmarks/framework_floor.py`` (FastAPI, one constant route,
no middleware) with the same uvicorn and drives its ``/healthz``: the most requests/s
any FastAPI route can give on the machine at hand.

``--in-process`` also times the same requests through the ASGI app itself (no server,
no client, no sockets: one request at a time on this process's event loop), which
shows the app's own cost per request when the shared machine makes the load figures
noisy.

Run: ``uv run python benchmarks/service_load.py [--rows 100000] [--seconds 10] [--in-process]
[--client python|wrk|both]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from spotarb.core.models import SpotPrice
from spotarb.feeds.base import FeedResult
from spotarb.ingest.aggregator import Aggregator
from spotarb.store.sqlite import SqliteStore

GPUS = ["nvidia-t4", "nvidia-a10g", "nvidia-a100", "nvidia-h100", "nvidia-l4", "nvidia-v100"]
REGIONS = {
    "aws": [f"{a}-{b}-{n}" for a in ("us", "eu", "ap") for b in ("east", "west") for n in (1, 2)],
    "azure": [f"{a}{b}" for a in ("east", "west", "north", "south") for b in ("us", "europe")],
    "gcp": [f"{a}-{b}{n}" for a in ("us", "europe") for b in ("central", "west") for n in (1, 2)],
}


def make_rows(n: int, seed: int = 7) -> dict[str, list[SpotPrice]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out: dict[str, list[SpotPrice]] = {"aws": [], "azure": [], "gcp": []}
    i = 0
    while i < n:
        provider = ("aws", "azure", "gcp")[i % 3]
        region = rng.choice(REGIONS[provider])
        vcpu = float(rng.choice((1, 2, 4, 8, 16, 32, 48, 64, 96)))
        memory = vcpu * rng.choice((2.0, 4.0, 8.0))
        gpu_count = 0
        gpu_type = None
        if rng.random() < 0.1:
            gpu_count = rng.choice((1, 2, 4, 8))
            gpu_type = rng.choice(GPUS)
        price = round(vcpu * rng.uniform(0.008, 0.03) + gpu_count * rng.uniform(0.2, 2.5), 6)
        out[provider].append(
            SpotPrice(
                provider,
                region,
                f"{provider[:2]}{i}.{int(vcpu)}x",
                vcpu,
                memory,
                price,
                availability_zone=f"{region}-z{i % 3}",
                gpu_count=gpu_count,
                gpu_type=gpu_type,
                interruption_rate=rng.choice((None, 0.03, 0.07, 0.12, 0.18, 0.25)),
                on_demand_price_per_hour=round(price * rng.uniform(2, 4), 6),
                source=f"{provider}-bench",
                observed_at=now,
                collected_at=now,
            )
        )
        i += 1
    return out


def build_store(path: Path, rows: int) -> None:
    began = time.perf_counter()
    store = SqliteStore(path)
    aggregator = Aggregator(store)
    for feed, batch in make_rows(rows).items():
        aggregator.apply(FeedResult(feed=feed, prices=batch))
    store.close()
    print(f"store: {rows} rows written in {time.perf_counter() - began:.1f}s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(db: Path | None, extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``spotarb serve`` on ``db``; with no ``db``, the framework floor app."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTARB_")}
    env.update(extra_env)
    began = time.perf_counter()
    command = (
        ["-m", "spotarb", "serve", "--no-collect", "--db", str(db), "--port", str(port),
         "--log-level", "warning"]
        if db is not None
        else ["-m", "uvicorn", "framework_floor:app", "--app-dir", str(Path(__file__).parent),
              "--port", str(port), "--log-level", "warning", "--no-access-log"]
    )  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            probe = "/readyz" if db is not None else "/healthz"
            if httpx.get(url + probe, timeout=2).status_code == 200:
                print(f"server ready in {time.perf_counter() - began:.1f}s ({url})")
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not become ready")


def bodies() -> list[dict[str, Any]]:
    rng = random.Random(11)
    out: list[dict[str, Any]] = []
    strategies = ["balanced", "lowest-price", "capacity-optimized", "price-capacity-optimized"]
    for i in range(64):
        body: dict[str, Any] = {
            "minCPU": rng.choice((2, 4, 8, 16, 32)),
            "minMemoryGB": rng.choice((4, 8, 16, 64)),
            "strategy": strategies[i % 4],
            "alternatives": 3,
        }
        if i % 5 == 0:
            body["gpuType"] = rng.choice(GPUS)
            body["gpuCount"] = rng.choice((1, 4))
        if i % 3 == 0:
            body["preferredRegions"] = [rng.choice(REGIONS["aws"])]
        if i % 7 == 0:
            body["maxInterruptionRate"] = 0.15
        out.append(body)
    return out


def _request(method: str, path: str, body: Any) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\n"
    if body is None:
        return (head + "\r\n").encode()
    data = json.dumps(body).encode()
    return (
        head + f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data


async def drive(
    url: str, name: str, make: Any, seconds: float, concurrency: int = 32
) -> dict[str, Any]:
    """``concurrency`` keep-alive connections, each sending its next request on reply.

    A minimal HTTP/1.1 client on asyncio streams: httpx's AsyncClient tops out near
    500 requests/s on this machine, which would measure the client, not the server.
    """
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    requests = [_request(*make(i)) for i in range(max(concurrency * 8, 512))]

    async def worker(k: int, stop: float, record: bool) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        i = k
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                writer.write(requests[i % len(requests)])
                i += concurrency
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                if record:
                    latencies.append(time.perf_counter() - began)
                    status = int(head.split(b" ", 2)[1])
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    # Warm-up: one second (fills the result cache, opens connections).
    await asyncio.gather(*(worker(k, time.perf_counter() + 1, False) for k in range(concurrency)))
    began = time.perf_counter()
    stop = began + seconds
    await asyncio.gather(*(worker(k, stop, True) for k in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    errors = sum(n for code, n in statuses.items() if code not in (200, 404))
    result = {
        "scenario": name,
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "errors": errors,
    }
    print(
        f"{name:<24} {result['requests']:>7} req  {result['rps']:>7.0f}/s  "
        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    return result


def _lua_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def drive_wrk(
    url: str, name: str, make: Any, seconds: float, concurrency: int = 32
) -> dict[str, Any]:
    """The same requests from wrk: one thread, ``concurrency`` keep-alive connections."""
    calls = [make(i) for i in range(max(concurrency * 8, 512))]
    entries = []
    for method, path, body in calls:
        data = "nil" if body is None else _lua_string(json.dumps(body))
        entries.append(f"{{{_lua_string(method)}, {_lua_string(path)}, {data}}}")
    script = (
        "local calls = {" + ",\n".join(entries) + "}\n"
        "local i = 0\n"
        "local json = {['Content-Type'] = 'application/json'}\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  local c = calls[(i % #calls) + 1]\n"
        "  if c[3] == nil then return wrk.format(c[1], c[2]) end\n"
        "  return wrk.format(c[1], c[2], json, c[3])\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('RESULT %d %f %f %f %d %d\\n', summary.requests,\n"
        "    summary.duration, latency:percentile(50), latency:percentile(99),\n"
        "    summary.errors.status, summary.errors.connect + summary.errors.read +\n"
        "    summary.errors.write + summary.errors.timeout))\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        base = ["wrk", "-t1", f"-c{concurrency}", "-s", handle.name, url]
        subprocess.run([*base[:1], "-d1s", *base[1:]], capture_output=True, check=True)  # warm-up
        out = subprocess.run(
            [*base[:1], f"-d{max(1, round(seconds))}s", *base[1:]],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    count, duration_us, p50_us, p99_us, non_2xx, socket_errors = line.split()[1:]
    # 404 is an answer (nothing matches), not an error: wrk counts it as a non-2xx status.
    result = {
        "scenario": name + " [wrk]",
        "requests": int(count),
        "rps": int(count) / (float(duration_us) / 1e6),
        "p50_ms": float(p50_us) / 1000,
        "p99_ms": float(p99_us) / 1000,
        "non_2xx": int(non_2xx),
        "errors": int(socket_errors),
    }
    print(
        f"{result['scenario']:<24} {result['requests']:>7} req  {result['rps']:>7.0f}/s  "
        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
        f"non-2xx {result['non_2xx']}  socket errors {result['errors']}"
    )
    return result


def in_process(db: Path, reqs: list[dict[str, Any]], shapes: list[str], count: int) -> None:
    """Median µs per request of the ASGI app called directly (best of 3 passes)."""
    from spotarb.api import create_app
    from spotarb.core.config import load_settings

    def app_for(cache_size: int) -> Any:
        return create_app(load_settings(db=str(db), placement_cache_size=cache_size), collect=False)

    async def call(app: Any, method: str, path: str, body: bytes) -> int:
        path, _, query = path.partition("?")
        scope = {
            "type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": query.encode(), "http_version": "1.1", "scheme": "http",
            "server": ("bench", 80), "client": ("bench", 1), "root_path": "",
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", b"%d" % len(body))],
        }  # fmt: skip
        sent = False
        status = [0]

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]

        await app(scope, receive, send)
        return status[0]

    async def scenario(app: Any, name: str, make: Any) -> None:
        requests = [make(i) for i in range(512)]
        for method, path, body in requests[:128]:  # warm-up (fills the cache)
            await call(app, method, path, body)
        passes = []
        for _ in range(3):
            began = time.perf_counter()
            for i in range(count):
                status = await call(app, *requests[i % len(requests)])
                assert status in (200, 404), (name, status)
            passes.append((time.perf_counter() - began) / count)
        print(f"in-process {name:<24} {min(passes) * 1e6:7.0f} µs/request")

    bodies_json = [json.dumps(b).encode() for b in reqs]
    cached, uncached = app_for(10000), app_for(0)
    asyncio.run(
        scenario(
            cached,
            "placements (cached)",
            lambda i: ("POST", "/v1/placements", bodies_json[i % len(reqs)]),
        )
    )
    asyncio.run(
        scenario(
            uncached,
            "placements (uncached)",
            lambda i: ("POST", "/v1/placements", bodies_json[i % len(reqs)]),
        )
    )
    asyncio.run(
        scenario(
            cached,
            "best-options",
            lambda i: ("GET", f"/v1/best-options?shape={shapes[i % len(shapes)]}", b""),
        )
    )
    asyncio.run(scenario(cached, "healthz", lambda i: ("GET", "/healthz", b"")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--in-process", action="store_true", help="also time the ASGI app")
    parser.add_argument("--client", choices=("python", "wrk", "both"), default="python")
    parser.add_argument("--floor", action="store_true", help="also drive a bare FastAPI app")
    parser.add_argument("--only-in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    clients = ["python", "wrk"] if args.client == "both" else [args.client]

    def run(url: str, name: str, make: Any, seconds: float) -> None:
        for client in clients:
            if client == "wrk":
                drive_wrk(url, name, make, seconds, args.concurrency)
            else:
                asyncio.run(drive(url, name, make, seconds, args.concurrency))

    reqs = bodies()
    shapes = ["cpu:2", "cpu:4", "cpu:8", "cpu:16", "cpu:32", "cpu:64", "gpu:a100:8", "gpu:t4:1"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build_store(db, args.rows)
        if args.in_process or args.only_in_process:
            in_process(db, reqs, shapes, 2000)
        if args.only_in_process:
            return
        proc, url = start_server(db, {})
        try:
            run(
                url,
                "placements (cached)",
                lambda i: ("POST", "/v1/placements", reqs[i % len(reqs)]),
                args.seconds,
            )
            run(
                url,
                "best-options",
                lambda i: ("GET", f"/v1/best-options?shape={shapes[i % len(shapes)]}", None),
                args.seconds,
            )
            run(url, "healthz", lambda i: ("GET", "/healthz", None), args.seconds / 2)
        finally:
            proc.terminate()
            proc.wait(20)
        if args.floor:
            proc, url = start_server(None, {})
            try:
                run(url, "floor: healthz", lambda i: ("GET", "/healthz", None), args.seconds / 2)
                run(
                    url,
                    "floor: placement body",
                    lambda i: ("POST", "/v1/placements", reqs[i % len(reqs)]),
                    args.seconds / 2,
                )
            finally:
                proc.terminate()
                proc.wait(20)
        proc, url = start_server(db, {"SPOTARB_PLACEMENT_CACHE_SIZE": "0"})
        try:
            run(
                url,
                "placements (uncached)",
                lambda i: ("POST", "/v1/placements", reqs[i % len(reqs)]),
                args.seconds,
            )
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
