"""Size-name specs (no credentials) and eviction bands."""

from __future__ import annotations

import pytest

from spotarb.feeds.azure.eviction import band_rate, eviction_query
from spotarb.feeds.azure.sizes import SizeSpec, spec_from_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Standard_D2s_v3", SizeSpec(2, 8)),
        ("Standard_D64_v3", SizeSpec(64, 256)),
        # Intel Ev4 tops out at 504 GiB (Microsoft Learn; the issue text says 512, which
        # is the AMD sibling Standard_E64a_v4).
        ("Standard_E64_v4", SizeSpec(64, 504)),
        ("Standard_E64as_v4", SizeSpec(64, 512)),
        ("Standard_E64_v3", SizeSpec(64, 432)),
        ("Standard_E8ds_v5", SizeSpec(8, 64)),
        ("Standard_E96as_v5", SizeSpec(96, 672)),
        ("Standard_F16s_v2", SizeSpec(16, 32)),
        ("Standard_F4", SizeSpec(4, 8)),
        ("Standard_FX12mds", SizeSpec(12, 252)),
        ("Standard_L8s_v3", SizeSpec(8, 64)),
        ("Standard_A4m_v2", SizeSpec(4, 32)),
        ("Standard_B2s", SizeSpec(2, 4)),
        ("Standard_B1ls", SizeSpec(1, 0.5)),
        ("Standard_D2ls_v5", SizeSpec(2, 4)),
        ("Standard_D3_v2", SizeSpec(4, 14)),
        ("Standard_DS15_v2", SizeSpec(20, 140)),
        ("Standard_A7", SizeSpec(8, 56)),
        ("Standard_D16as_v5_Promo", SizeSpec(16, 64)),
        # constrained cores: active vCPUs, the parent's memory
        ("Standard_E16-4ads_v5", SizeSpec(4, 128)),
        ("Standard_HB120-96rs_v3", SizeSpec(96, 448)),
        # Arm sizes
        ("Standard_D4ps_v5", SizeSpec(4, 16, arch="arm64")),
        ("Standard_D8plds_v5", SizeSpec(8, 16, arch="arm64")),
        # GPU sizes: model and count from the name, through the GPU vocabulary
        ("Standard_NC24ads_A100_v4", SizeSpec(24, 220, 1, "nvidia-a100", 80)),
        ("Standard_NC6s_v3", SizeSpec(6, 112, 1, "nvidia-v100", 16)),
        ("Standard_NC64as_T4_v3", SizeSpec(64, 440, 4, "nvidia-t4", 16)),
        ("Standard_ND96asr_v4", SizeSpec(96, 900, 8, "nvidia-a100", 40)),
        ("Standard_ND96isr_H100_v5", SizeSpec(96, 1900, 8, "nvidia-h100", 80)),
        ("Standard_ND6s", SizeSpec(6, 112, 1, "nvidia-p40", 24)),
        ("Standard_NV36ads_A10_v5", SizeSpec(36, 440, 1, "nvidia-a10", 24)),
    ],
)
def test_size_names_derive_the_documented_specs(name: str, expected: SizeSpec) -> None:
    assert spec_from_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "Standard_M128s",  # M-series memory is irregular: not in the table
        "Standard_NV6ads_A10_v5",  # a sixth of a GPU: not representable as a count
        "Standard_D3_v3",  # no such size
        "Standard_E64i_v4_SPECIAL",
        "Standard_E16-16s_v4",  # "constraint" not below the parent
        "Basic_A1",
        "Standard_DC99s_v9",
        "",
    ],
)
def test_sizes_that_cannot_be_derived_are_not_guessed(name: str) -> None:
    assert spec_from_name(name) is None


@pytest.mark.parametrize(
    ("band", "rate"),
    [("0-5", 0.05), ("5-10", 0.10), ("10-15", 0.15), ("15-20", 0.20), ("20+", 0.25),
     (" 5 - 10 ", 0.10), ("0-5%", 0.05), ("unknown", 0.25), (None, 0.25)],
)  # fmt: skip
def test_eviction_bands_are_stored_as_their_upper_bound(band: object, rate: float) -> None:
    assert band_rate(band) == rate


def test_eviction_query_targets_the_spot_eviction_table_and_regions() -> None:
    query = eviction_query(["eastus", "westeurope"])
    assert query.startswith(
        "SpotResources | where type =~ 'microsoft.compute/skuspotevictionrate/location'"
    )
    assert "location in~ ('eastus', 'westeurope')" in query
    assert "evictionRate=tostring(properties.evictionRate)" in query
