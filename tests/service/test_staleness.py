"""One staleness policy: library, CLI, API and dashboard give the same answer on stale data."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spotarb.cli import app as cli_app
from spotarb.core.config import load_settings
from spotarb.core.models import SpotPrice
from spotarb.core.rows import to_rows
from spotarb.placement import WorkloadRequirements
from spotarb.serving.placing import NoCurrentMatch, decide
from spotarb.serving.service import Service
from spotarb.serving.snapshot_builder import build_snapshots, load_snapshots
from spotarb.serving.staleness import StalenessPolicy
from spotarb.store import open_store
from tests.service.conftest import row, write

Client = Any
OLD = datetime.now(UTC) - timedelta(minutes=10)


@pytest.fixture
def stale_service(make_service: Callable[..., Service], monkeypatch: pytest.MonkeyPatch) -> Service:
    """AWS (max age 3 min): one 10-minute-old row, the cheapest; Azure: one fresh row."""
    monkeypatch.setenv("SPOTARB_AWS_MAX_AGE", "180")
    monkeypatch.setenv("SPOTARB_AZURE_MAX_AGE", "1800")
    service = make_service()
    write(service, "aws", [row(price_per_hour=0.01, collected_at=OLD, observed_at=OLD)])
    write(
        service,
        "azure",
        [
            row(
                provider="azure",
                region="eastus",
                availability_zone="",
                instance_type="Standard_D2s_v5",
                price_per_hour=0.05,
                source="azure-retail",
            )
        ],
    )
    return service


def _library(db: str, req: WorkloadRequirements, allow_stale: bool) -> tuple[str, str] | str:
    settings = load_settings(db=db)
    store = open_store(db)
    snapshots = load_snapshots(store, StalenessPolicy.from_settings(settings))
    store.close()
    try:
        decision = decide(snapshots, req, allow_stale=allow_stale).decision
    except NoCurrentMatch as exc:
        assert exc.stale_could_help == (not allow_stale)
        return "no match" + (" (stale)" if exc.stale_could_help else "")
    return decision.provider, decision.instance_type


def _cli(db: str, args: list[str]) -> tuple[str, str] | str:
    result = CliRunner().invoke(cli_app, ["place", "--cpu", "2", *args, "--json", "--db", db])
    if result.exit_code == 1:
        assert "No suitable instances" in result.stderr
        return "no match" + (" (stale)" if "--allow-stale" in result.stderr else "")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["provider"], data["instanceType"]


def _api(client: Client, body: dict[str, Any]) -> tuple[str, str] | str:
    response = client.post("/v1/placements", json={"minCPU": 2, **body})
    if response.status_code == 404:
        detail = response.json()["detail"]
        return "no match" + (" (stale)" if "allowStale=true" in detail else "")
    assert response.status_code == 200, response.text
    return response.json()["provider"], response.json()["instanceType"]


def _web(client: Client, query: str) -> tuple[str, str] | str:
    html = client.get(f"/place?minCPU=2{query}").text
    status = re.search(r'id="result"[^>]*data-status="(\d+)"', html)
    assert status, html
    if status.group(1) == "404":
        return "no match" + (" (stale)" if "older prices were excluded as stale" in html else "")
    found = re.search(r'cloud-(\w+)">\w+</span> <span id="winner">([\w.]+)</span>', html)
    assert found, html
    return found.group(1), found.group(2)


def test_same_answer_everywhere_on_stale_data(
    stale_service: Service, make_client: Callable[..., Client]
) -> None:
    db = stale_service.settings.db
    client = make_client(stale_service)
    cases: list[tuple[WorkloadRequirements, list[str], dict[str, Any], str, Any]] = [
        # Default: the stale AWS row is skipped, so the fresh Azure row wins everywhere.
        (WorkloadRequirements(min_cpu=2), [], {}, "", ("azure", "Standard_D2s_v5")),
        # allowStale: the cheaper, stale AWS row wins everywhere.
        (
            WorkloadRequirements(min_cpu=2),
            ["--allow-stale"],
            {"allowStale": True},
            "&allowStale=1",
            ("aws", "m5.large"),
        ),
        # Only AWS, without allowStale: "no match because stale" everywhere.
        (
            WorkloadRequirements(min_cpu=2, providers=("aws",)),
            ["--providers", "aws"],
            {"providers": ["aws"]},
            "&providers=aws",
            "no match (stale)",
        ),
        (
            WorkloadRequirements(min_cpu=2, providers=("aws",)),
            ["--providers", "aws", "--allow-stale"],
            {"providers": ["aws"], "allowStale": True},
            "&providers=aws&allowStale=1",
            ("aws", "m5.large"),
        ),
    ]
    for req, flags, body, query, expected in cases:
        allow = "--allow-stale" in flags
        answers = {
            "library": _library(db, req, allow),
            "cli": _cli(db, flags),
            "api": _api(client, body),
            "dashboard": _web(client, query),
        }
        assert set(answers.values()) == {expected}, (flags, answers)


def test_best_options_arbitrage_and_feed_cards_follow_the_policy(
    stale_service: Service, make_client: Callable[..., Client]
) -> None:
    client = make_client(stale_service)
    fresh = client.get("/v1/best-options", params={"shape": "cpu:2"}).json()
    assert fresh["staleRowsExcluded"] == 1
    assert fresh["options"][0]["perProvider"]["aws"] is None
    with_stale = client.get(
        "/v1/best-options", params={"shape": "cpu:2", "allowStale": "true"}
    ).json()
    assert with_stale["staleRowsExcluded"] == 0
    assert with_stale["options"][0]["perProvider"]["aws"]["instanceType"] == "m5.large"
    assert with_stale["options"][0]["best"]["provider"] == "aws"

    classes = client.get("/v1/arbitrage").json()["classes"]
    assert {c["capacityClass"]: set(c["perCloud"]) for c in classes}["cpu:2:8"] == {"azure"}
    stale_classes = client.get("/v1/arbitrage", params={"allowStale": "true"}).json()["classes"]
    cpu2 = {c["capacityClass"]: c for c in stale_classes}["cpu:2:8"]
    assert cpu2["cheapestProvider"] == "aws" and set(cpu2["perCloud"]) == {"aws", "azure"}

    # The dashboard: the AWS card is stale and the best-options table has no AWS offer;
    # with allowStale the table shows it, and the footer counts the stale price.
    html = client.get("/").text
    states = dict(re.findall(r'data-feed="(\w+)" data-state="([\w-]+)"', html))
    assert states["aws"] == "stale" and states["azure"] == "fresh"
    cpu2_row = re.search(r'data-shape="cpu:2:8".*?</tr>', html, re.S)
    assert cpu2_row and "m5.large" not in cpu2_row.group(0)
    assert "2 current prices (1 stale)" in html
    stale_html = client.get("/?allowStale=1").text
    cpu2_row = re.search(r'data-shape="cpu:2:8".*?</tr>', stale_html, re.S)
    assert cpu2_row and "m5.large" in cpu2_row.group(0)
    compare = client.get("/compare?class=cpu:2").text
    assert "m5.large" not in compare and 'id="stale-note"' in compare
    assert "m5.large" in client.get("/compare?class=cpu:2&allowStale=1").text


def test_everything_stale_says_so_instead_of_no_prices(
    make_service: Callable[..., Service], make_client: Callable[..., Client]
) -> None:
    service = make_service(aws_max_age=60)
    write(service, "aws", [row(collected_at=OLD, observed_at=OLD)])
    html = make_client(service).get("/").text
    assert "No current prices yet" not in html
    assert "All 1 current prices are older than their feed's max age" in html
    assert 'data-feed="aws" data-state="stale"' in html


def test_policy_max_ages_and_the_split() -> None:
    settings = load_settings(aws_interval=60, gcp_max_age=100, import_max_age=1000)
    policy = StalenessPolicy.from_settings(settings)
    assert policy.max_age_for_feed("aws") == 180 and policy.max_age_for_feed("gcp") == 100
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def at(age: float, **kw: Any) -> SpotPrice:
        when = now - timedelta(seconds=age)
        return row(collected_at=when, observed_at=when, **kw)

    rows = [
        at(179, instance_type="a"),  # fresh: AWS allows 180 s
        at(181, instance_type="b"),  # stale
        at(181, instance_type="c", source="import"),  # imported: 1000 s allowed
        at(1001, instance_type="d", source="import:prices.csv"),  # stale import
        at(10, instance_type="e", os="windows"),  # counted, but not in the snapshots
    ]
    ts = now.timestamp()
    assert [policy.is_stale(r, ts) for r in rows] == [False, True, False, True, False]
    snaps = build_snapshots(to_rows(rows), version=7, policy=policy, now=ts)
    assert [r.instance_type for r in snaps.fresh.rows] == ["a", "c"]
    assert len(snaps.full) == 4 and snaps.stale_rows == 2
    assert snaps.stale_excluded(False) == 2 and snaps.stale_excluded(True) == 0
    assert snaps.by_provider["aws"].rows == 5 and snaps.by_provider["aws"].fresh == 3
    assert snaps.next_stale_at == pytest.approx(ts + 1)  # row "a" turns stale in 1 s


def test_load_snapshots_reads_the_store_again_after_a_write(
    make_service: Callable[..., Service],
) -> None:
    service = make_service()
    write(service, "aws", [row(instance_type="m5.large", price_per_hour=0.10)])
    policy = StalenessPolicy.from_settings(service.settings)
    first = load_snapshots(service.store, policy)
    assert decide(first, WorkloadRequirements()).decision.instance_type == "m5.large"
    write(service, "aws", [row(instance_type="c5.large", price_per_hour=0.05)])
    second = load_snapshots(service.store, policy)
    assert second.version > first.version
    placement = decide(second, WorkloadRequirements())
    assert placement.decision.instance_type == "c5.large"
    assert placement.data_version == second.version
    assert decide(first, WorkloadRequirements()).decision.instance_type == "m5.large"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["aws", "azure", "gcp"]),
            st.sampled_from(["", "import", "import:prices.csv", "aws-spot-feed"]),
            st.sampled_from([0, 50, 99, 101, 179, 181, 999, 1001, 5000]),
            st.sampled_from(["linux", "windows"]),
        ),
        max_size=40,
    )
)
def test_the_columnar_split_matches_the_policy_row_by_row(
    specs: list[tuple[str, str, int, str]],
) -> None:
    """Staleness decided per (provider, source, collected_at, os) equals the per-row policy."""
    policy = StalenessPolicy.from_settings(
        load_settings(aws_interval=60, gcp_max_age=100, import_max_age=1000)
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        row(
            provider=provider,
            instance_type=f"t{i}",
            source=source,
            os=os_name,
            collected_at=now - timedelta(seconds=age),
            observed_at=now - timedelta(seconds=age),
        )
        for i, (provider, source, age, os_name) in enumerate(specs)
    ]
    ts = now.timestamp()
    snaps = build_snapshots(to_rows(rows), version=1, policy=policy, now=ts)
    fresh = [r for r in rows if not policy.is_stale(r, ts)]
    linux = [r for r in rows if r.os == "linux"]
    fresh_linux = [r for r in fresh if r.os == "linux"]
    assert snaps.rows == tuple(rows) and snaps.row_count == len(rows)
    assert len(snaps.full) == len(linux)
    assert sorted(r.instance_type for r in snaps.fresh.rows) == sorted(
        r.instance_type for r in fresh_linux
    )
    assert snaps.stale_rows == len(linux) - len(fresh_linux)
    assert snaps.next_stale_at == min(
        (policy.expires_at(r) for r in fresh_linux), default=float("inf")
    )
    for provider in {r.provider for r in rows}:
        mine = [r for r in rows if r.provider == provider]
        counts = snaps.by_provider[provider]
        assert counts.rows == len(mine)
        assert counts.fresh == sum(1 for r in mine if r in fresh)
        assert counts.newest == max(r.collected_at for r in mine)
        assert counts.oldest == min(r.collected_at for r in mine)
    assert set(snaps.by_provider) == {r.provider for r in rows}
