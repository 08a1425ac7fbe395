"""The place form carries every requirement, shows the architecture and the strategy's own
score (the real app in-process, no browser)."""

from __future__ import annotations

import re
import warnings

import pytest

from spotarb.web.placeform import read_form

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def card(html: str) -> str:
    found = re.search(r'<div class="card" id="strategy-score">(.*?)</div>', html, re.S)
    assert found, "no strategy score card"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def test_every_requirement_is_a_form_field_and_round_trips() -> None:
    query = {
        "minCPU": ["8"],
        "arch": ["any"],
        "networkBandwidthGbps": ["25"],
        "checkpointHours": ["0.5"],
        "restartOverheadHours": ["0.2"],
        "regions": ["geo:eu, us-*"],
        "excludeRegions": ["eu-north-1"],
        "gpuTypes": ["a100,h100"],
        "minGPUMemoryGB": ["40"],
        "includeFamilies": ["p4d, a2*"],
        "excludeFamilies": ["*.metal"],
        "excludeBurstable": ["1"],
        "jobHours": ["3"],
    }
    form = read_form(query)
    assert form.errors == {}
    req = form.requirements
    assert req is not None
    assert req.arch == "any" and req.network_bandwidth_gbps == 25
    assert req.checkpoint_hours == 0.5 and req.restart_overhead_hours == 0.2
    assert req.regions == ("geo:eu", "us-*") and req.exclude_regions == ("eu-north-1",)
    assert req.gpu_types == ("nvidia-a100", "nvidia-h100") and req.min_gpu_memory_gb == 40
    assert req.include_families == ("p4d", "a2*") and req.exclude_families == ("*.metal",)
    assert req.exclude_burstable is True
    assert read_form({"minCPU": ["8"]}).requirements.arch == "x86_64"  # type: ignore[union-attr]


def test_new_fields_show_what_was_asked(client: TestClient) -> None:
    html = client.get(
        "/place",
        params={"minCPU": "8", "arch": "any", "regions": "geo:eu", "excludeBurstable": "1",
                "checkpointHours": "2", "strategy": "lowest-price"},
    ).text  # fmt: skip
    assert '<option value="any" selected>' in html
    assert 'id="f-regions" name="regions" type="text" value="geo:eu"' in html
    assert re.search(r'id="f-excludeBurstable" name="excludeBurstable" value="1" checked', html)
    assert (
        'id="f-checkpointHours" name="checkpointHours" type="text" inputmode="decimal" value="2"'
        in html
    )
    # geo:eu is a hard limit: Azure's westeurope wins over every US price.
    assert '<span id="winner">Standard_D8s_v3</span> in westeurope' in html


@pytest.mark.parametrize(
    ("strategy", "label", "value"),
    [
        ("lowest-price", "Price (lowest-price)", "$0.0770/h"),
        ("capacity-optimized", "Interruption rate (capacity-optimized)", "5%"),
        ("price-capacity-optimized", "Interruption band (price-capacity-optimized)", "≤ 5%"),
        ("expected-cost", "Expected cost (expected-cost)", "$"),
        ("balanced", "Score (balanced)", ""),
    ],
)
def test_the_card_shows_the_strategy_s_own_score(
    client: TestClient, strategy: str, label: str, value: str
) -> None:
    params = {"minCPU": "8", "minMemoryGB": "32", "strategy": strategy, "jobHours": "10"}
    html = client.get("/place", params=params).text
    text = " ".join(card(html).split())
    assert text.startswith(label), text
    assert value in text
    assert '<span id="arch">x86_64</span>' in html
    if strategy == "balanced":
        assert re.fullmatch(r"Score \(balanced\) \d+\.\d+", text)


def test_checkpoint_hours_change_the_expected_cost(client: TestClient) -> None:
    base = {"minCPU": "8", "minMemoryGB": "32", "strategy": "expected-cost", "jobHours": "1000"}

    def cost(extra: dict[str, str]) -> str:
        return " ".join(card(client.get("/place", params=base | extra).text).split())

    costs = {
        cost({}),
        cost({"checkpointHours": "200"}),
        cost({"checkpointHours": "200", "restartOverheadHours": "100"}),
    }
    assert len(costs) == 3, costs


def test_bad_new_fields_are_named(client: TestClient) -> None:
    html = client.get("/place", params={"regions": "geo:atlantis", "arch": "sparc"}).text
    assert re.search(r'<p class="error" id="e-regions">[^<]*unknown region group', html)
    assert re.search(r'<p class="error" id="e-arch">', html) or "Architecture" in html
