"""Three ``serve`` processes on one PostgreSQL store and one Redis: the scale-out as deployed.

Two collector candidates and one API replica, a local AWS test feed. The elected
collector is killed with SIGKILL; the standby must lead within 15 s and the runs
in ``collection_runs`` must show one collector at a time. A CLI import must reach
every live replica within 2 s, and stopping Redis must not change any answer.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_httpserver import HTTPServer

from tests.scale.redisproc import RedisProcess
from tests.scale.serveproc import ROOT, Serve

pytestmark = pytest.mark.postgres

FEED = {
    "regions": {
        "us-east-1": [
            {"instanceType": "c5.xlarge", "vcpu": 4, "memoryGB": 8, "price": 0.07,
             "zone": "us-east-1b"},
            {"instanceType": "m5.2xlarge", "vcpu": 8, "memoryGB": 32, "price": 0.12,
             "zone": "us-east-1a"},
        ]
    }
}  # fmt: skip

IMPORT = (
    "provider,region,availability_zone,instance_type,vcpu,memory_gb,price_per_hour,source\n"
    "gcp,us-central1,,n2-imported-8,8,32,0.05,import\n"
)


@pytest.fixture
def replicas(
    pg_url: str, redis_server: RedisProcess, httpserver: HTTPServer, tmp_path: Path
) -> Iterator[dict[str, Serve]]:
    httpserver.expect_request("/aws").respond_with_json(FEED)
    env = {
        "SPOTARB_DB": pg_url,
        "SPOTARB_REDIS_URL": redis_server.url,
        "SPOTARB_FEEDS": "aws",
        "SPOTARB_AWS_SPOT_FEED_URL": httpserver.url_for("/aws"),
        "SPOTARB_AWS_INTERVAL": "0.5",
        "SPOTARB_SCHEDULE_JITTER": "0",
        "SPOTARB_MAX_RETRIES": "0",
    }
    started = {
        "col-a": Serve("col-a", ["--role", "collector", "--tick", "0.2"], env, tmp_path),
        "col-b": Serve("col-b", ["--role", "collector", "--tick", "0.2"], env, tmp_path),
        "api": Serve("api", ["--role", "api", "--tick", "0.2"], env, tmp_path),
    }
    yield started
    for serve in started.values():
        serve.kill()  # only the processes this test started


def runs(pg_url: str) -> list[tuple[int, str, int | None, object, object]]:
    with psycopg.connect(pg_url) as conn:
        return conn.execute(  # type: ignore[return-value]
            "SELECT id, source, lease_epoch, started_at, finished_at FROM collection_runs "
            "ORDER BY id"
        ).fetchall()


def test_failover_fresh_data_everywhere_and_redis_loss(
    replicas: dict[str, Serve], pg_url: str, redis_server: RedisProcess, tmp_path: Path
) -> None:
    for serve in replicas.values():
        serve.wait_until("/readyz", lambda r: r.status_code == 200)
    views = {name: s.get("/v1/cluster").json() for name, s in replicas.items()}
    leaders = [name for name, v in views.items() if v["isLeader"]]
    assert len(leaders) == 1 and leaders[0] in ("col-a", "col-b"), views
    leader_name = leaders[0]
    standby_name = "col-b" if leader_name == "col-a" else "col-a"
    for name, view in views.items():
        assert view["leaderId"] == leader_name and view["instanceId"] == name
        assert (view["store"], view["cache"]) == ("postgresql", "redis")
    assert views["api"]["role"] == "api" and views[standby_name]["role"] == "collector"

    # The shared cache: one replica's answer is stored in Redis under the data version.
    body = {"minCPU": 4}
    first = replicas["api"].post("/v1/placements", body)
    assert first.status_code == 200 and first.json()["instanceType"] == "c5.xlarge"
    assert any(k.startswith(b"spotarb:place:") for k in redis_server.client().keys("*"))

    # Kill the collector; the standby must lead within 15 s.
    leader, standby = replicas[leader_name], replicas[standby_name]
    killed_at = time.monotonic()
    leader.kill()
    standby.wait_until("/v1/cluster", lambda r: r.json()["isLeader"], timeout=15)
    assert time.monotonic() - killed_at < 15
    replicas["api"].wait_until("/v1/cluster", lambda r: r.json()["leaderId"] == standby_name)
    # The new collector writes under a new lease epoch.
    deadline = time.monotonic() + 10
    while len({r[2] for r in runs(pg_url)}) < 2:
        assert time.monotonic() < deadline, runs(pg_url)
        time.sleep(0.1)

    # No batch written twice: one collector at a time, every run under a lease, epochs only
    # move forward (a deposed collector never wrote after its successor), and the runs of
    # the feed never overlap in time.
    recorded = runs(pg_url)
    epochs = [r[2] for r in recorded]
    assert None not in epochs and epochs == sorted(epochs), recorded
    assert len(set(epochs)) == 2
    for before, after in itertools.pairwise(recorded):
        assert after[3] >= before[4], f"overlapping runs {before} {after}"

    # A CLI import is served by every live replica within 2 s.
    csv_file = tmp_path / "import.csv"
    csv_file.write_text(IMPORT)
    imported = subprocess.run(
        [sys.executable, "-m", "spotarb", "import", str(csv_file), "--db", pg_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    done = time.monotonic()
    for serve in (standby, replicas["api"]):
        serve.wait_until(
            "/v1/prices?provider=gcp",
            lambda r: [p["instanceType"] for p in r.json()["prices"]] == ["n2-imported-8"],
            timeout=2.0,
        )
    assert time.monotonic() - done < 2.0

    # Redis goes away mid-run: the same answers, no errors, a metric says so.
    cheap = {"minCPU": 8, "minMemoryGB": 32}
    with_cache = {n: s.post("/v1/placements", cheap).json() for n, s in _live(replicas)}
    redis_server.stop()
    for name, serve in _live(replicas):
        for _ in range(3):
            response = serve.post("/v1/placements", cheap)
            assert response.status_code == 200
            assert response.json()["instanceType"] == with_cache[name]["instanceType"]
        assert serve.get("/v1/prices?provider=gcp").status_code == 200
        assert serve.get("/readyz").status_code == 200
        metrics = serve.get("/metrics").text
        errors = [line for line in metrics.splitlines() if line.startswith("spotarb_cache_errors")]
        assert errors and float(errors[0].split()[-1]) >= 1, errors
        assert "Redis cache unavailable" in serve.log.read_text()


def _live(replicas: dict[str, Serve]) -> list[tuple[str, Serve]]:
    return [(n, s) for n, s in replicas.items() if s.proc.poll() is None]
