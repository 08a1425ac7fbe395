from __future__ import annotations

import logging

import pytest

from spotarb.core.errors import UnknownGpuError
from spotarb.core.gpus import (
    GPU_IDS,
    canonical_gpu,
    gpu_from_azure_size,
    is_gpu,
    require_gpu,
)

REQUIRED_IDS = [
    "nvidia-t4", "nvidia-a100", "nvidia-v100", "nvidia-h100", "nvidia-h200", "nvidia-b200",
    "nvidia-a10g", "nvidia-a10", "nvidia-l4", "nvidia-l40s", "nvidia-k80", "nvidia-p100",
    "nvidia-p4", "nvidia-m60", "nvidia-t4g", "amd-mi300x",
]  # fmt: skip


@pytest.mark.parametrize("gpu_id", REQUIRED_IDS)
def test_required_ids_exist_and_map_to_themselves(gpu_id: str) -> None:
    assert gpu_id in GPU_IDS
    assert canonical_gpu(gpu_id) == gpu_id
    assert is_gpu(gpu_id)


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        # AWS GpuInfo names
        ("A100", "nvidia-a100"),
        ("T4", "nvidia-t4"),
        ("A10G", "nvidia-a10g"),
        ("V100", "nvidia-v100"),
        ("H100", "nvidia-h100"),
        ("H200", "nvidia-h200"),
        ("L4", "nvidia-l4"),
        ("L40S", "nvidia-l40s"),
        ("K80", "nvidia-k80"),
        ("M60", "nvidia-m60"),
        ("T4g", "nvidia-t4g"),
        ("B200", "nvidia-b200"),
        # GCP accelerator names
        ("nvidia-tesla-a100", "nvidia-a100"),
        ("nvidia-a100-80gb", "nvidia-a100"),
        ("nvidia-h100-80gb", "nvidia-h100"),
        ("nvidia-h100-mega-80gb", "nvidia-h100"),
        ("nvidia-l4", "nvidia-l4"),
        ("nvidia-tesla-t4", "nvidia-t4"),
        ("nvidia-tesla-v100", "nvidia-v100"),
        ("nvidia-tesla-p100", "nvidia-p100"),
        ("nvidia-tesla-p4", "nvidia-p4"),
        ("nvidia-tesla-k80", "nvidia-k80"),
        ("nvidia-h200-141gb", "nvidia-h200"),
        ("nvidia-b200", "nvidia-b200"),
        # what people type
        ("a100", "nvidia-a100"),
        ("tesla-v100", "nvidia-v100"),
        ("Tesla V100", "nvidia-v100"),
        ("tesla_t4", "nvidia-t4"),
        ("MI300X", "amd-mi300x"),
        ("NVIDIA A100", "nvidia-a100"),
    ],
)
def test_alias(alias: str, expected: str) -> None:
    assert canonical_gpu(alias) == expected
    assert require_gpu(alias) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("Standard_NC24ads_A100_v4", "nvidia-a100"),
        ("Standard_ND96isr_H100_v5", "nvidia-h100"),
        ("Standard_NC4as_T4_v3", "nvidia-t4"),
        ("Standard_NV36ads_A10_v5", "nvidia-a10"),
        ("Standard_NC6s_v3", "nvidia-v100"),
        ("Standard_NC6", "nvidia-k80"),
        ("Standard_NV12s_v3", "nvidia-m60"),
        ("Standard_D2s_v3", None),
        ("Standard_E64_v4", None),
    ],
)
def test_azure_size_names(size: str, expected: str | None) -> None:
    assert gpu_from_azure_size(size) == expected


def test_trainium_and_inferentia_are_kept_apart_from_gpus() -> None:
    for name, expected in [
        ("Inferentia", "aws-inferentia"),
        ("Trainium", "aws-trainium"),
        ("Inferentia2", "aws-inferentia2"),
        ("Trainium2", "aws-trainium2"),
    ]:
        assert canonical_gpu(name) == expected
        assert not is_gpu(expected)
    assert not is_gpu(None)


def test_unknown_names_are_kept_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="spotarb.core.gpus"):
        assert canonical_gpu("Gaudi3-Test") == "unknown:Gaudi3-Test"
        assert canonical_gpu("Gaudi3-Test") == "unknown:Gaudi3-Test"
    assert sum("Gaudi3-Test" in r.getMessage() for r in caplog.records) == 1
    assert is_gpu("unknown:Gaudi3-Test")


def test_a_user_typo_gets_close_matches() -> None:
    with pytest.raises(UnknownGpuError) as info:
        require_gpu("a1000")
    assert info.value.field == "gpu_type"
    assert "nvidia-a100" in str(info.value)
