"""Offline: a DNS failure or a refused connection fails each feed once, not per region.

Connection attempts are counted with Python's audit hooks (``socket.connect`` and
``socket.getaddrinfo`` events), so the test sees every attempt the feeds make,
retries included, without replacing any part of the network stack.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.core.config import Settings
from spotarb.core.errors import FeedFetchError, ProxyUnavailableError
from spotarb.core.http import OutboundClients
from tests.proxy_server import free_port

runner = CliRunner()
UNRESOLVABLE = "nonexistent.invalid"

_lock = threading.Lock()
_events: list[tuple[str, tuple[Any, ...]]] | None = None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _events is not None and event in {"socket.connect", "socket.getaddrinfo"}:
        with _lock:
            _events.append((event, args))


sys.addaudithook(_hook)  # audit hooks cannot be removed; this one only records when asked


@pytest.fixture
def network_events() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    global _events
    recorded: list[tuple[str, tuple[Any, ...]]] = []
    _events = recorded
    try:
        yield recorded
    finally:
        _events = None


def _connects_to(events: list[tuple[str, tuple[Any, ...]]], port: int) -> int:
    return sum(
        1
        for event, args in events
        if event == "socket.connect" and isinstance(args[1], tuple) and args[1][1:2] == (port,)
    )


def _lookups_of(events: list[tuple[str, tuple[Any, ...]]], host: str) -> int:
    return sum(1 for event, args in events if event == "socket.getaddrinfo" and args[0] == host)


def _offline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, base: str) -> None:
    """Every feed configured (GCP by API key, AWS with credentials) and pointed at ``base``."""
    monkeypatch.setenv("SPOTARB_DB", str(tmp_path / "offline.db"))
    monkeypatch.setenv("SPOTARB_AWS_ADVISOR_URL", f"{base}/spot-advisor-data.json")
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", f"{base}/api/retail/prices")
    monkeypatch.setenv("SPOTARB_AZURE_USE_CREDENTIALS", "false")
    monkeypatch.setenv("SPOTARB_GCP_API_KEY", "test-key")
    monkeypatch.setenv("SPOTARB_GCP_BILLING_URL", base)


@pytest.mark.parametrize("where", ["refused", "unresolvable"])
def test_offline_collect_fails_each_feed_once(
    where: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    network_events: list[tuple[str, tuple[Any, ...]]],
) -> None:
    port = free_port()
    host = "127.0.0.1" if where == "refused" else UNRESOLVABLE
    _offline_env(monkeypatch, tmp_path, f"http://{host}:{port}")

    result = runner.invoke(app, ["collect", "--json"])

    assert result.exit_code == 1, result.output
    outcomes = json.loads(result.stdout)
    assert sorted(o["feed"] for o in outcomes) == ["aws", "azure", "gcp"]
    why = "connection refused" if where == "refused" else "DNS lookup failed"
    for outcome in outcomes:
        assert outcome["status"] == "failed"
        assert outcome["reason"].startswith(f"{outcome['feed']}: cannot reach {host}:{port} ({why}")
        assert outcome["reason"].endswith("); no request sent")
        assert outcome["regionErrors"] == []
    # One attempt per feed, no retries, no per-region walk; no progress line per region.
    if where == "refused":
        assert _connects_to(network_events, port) == 3
    else:
        assert _lookups_of(network_events, UNRESOLVABLE) == 3
    assert result.stderr.strip() == ""


def test_offline_collect_prints_one_line_per_feed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _offline_env(monkeypatch, tmp_path, f"http://127.0.0.1:{free_port()}")
    result = runner.invoke(app, ["collect", "--feed", "azure"])
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if "failed" in line]
    assert len(failed) == 1 and "cannot reach 127.0.0.1" in failed[0]
    assert result.stderr.strip() == ""


def test_aws_credentialed_mode_checks_the_ec2_endpoint(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    network_events: list[tuple[str, tuple[Any, ...]]],
) -> None:
    port = free_port()
    _offline_env(monkeypatch, tmp_path, "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("SPOTARB_AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SPOTARB_AWS_REGIONS", "us-east-1,us-west-2,eu-west-1")
    result = runner.invoke(app, ["collect", "--feed", "aws", "--json"])
    assert result.exit_code == 1
    [outcome] = json.loads(result.stdout)
    assert outcome["reason"] == (
        f"aws: cannot reach 127.0.0.1:{port} (connection refused); no request sent"
    )
    assert _connects_to(network_events, port) == 1


def test_check_reachable_names_a_dead_proxy_and_hides_its_password() -> None:
    dead = f"http://auditor:s3cret@127.0.0.1:{free_port()}"
    clients = OutboundClients(Settings(azure_proxy_url=dead))
    with pytest.raises(ProxyUnavailableError) as info:
        clients.check_reachable("azure", "https://prices.azure.com/api/retail/prices")
    message = str(info.value)
    assert "audit proxy http://auditor:***@127.0.0.1" in message
    assert "connection refused" in message and "s3cret" not in message


def test_check_reachable_passes_a_listening_server(httpserver: Any) -> None:
    clients = OutboundClients(Settings())
    clients.check_reachable("azure", httpserver.url_for("/x"))  # no error: it listens
    with pytest.raises(FeedFetchError, match="cannot reach"):
        clients.check_reachable("azure", f"http://127.0.0.1:{free_port()}/x")


def test_a_region_http_error_stays_a_partial_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: Any
) -> None:
    """The check only stops runs that cannot connect; HTTP errors of a region stay per region."""
    httpserver.expect_request("/api/retail/prices").respond_with_data("down", status=404)
    monkeypatch.setenv("SPOTARB_DB", str(tmp_path / "p.db"))
    monkeypatch.setenv("SPOTARB_AZURE_PRICES_URL", httpserver.url_for("/api/retail/prices"))
    monkeypatch.setenv("SPOTARB_AZURE_REGIONS", "eastus,westeurope")
    monkeypatch.setenv("SPOTARB_AZURE_USE_CREDENTIALS", "false")
    result = runner.invoke(app, ["collect", "--feed", "azure", "--json"])
    [outcome] = json.loads(result.stdout)
    assert outcome["status"] == "failed"
    assert [e.split(":", 1)[0] for e in outcome["regionErrors"]] == ["eastus", "westeurope"]
