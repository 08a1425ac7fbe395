"""GPUs of AWS GPU instance types, for credential-free mode.

The Spot Advisor's ``instance_types`` gives vCPU and RAM but no GPU data, so
without ``DescribeInstanceTypes`` this table fills the gap. Values follow
``DescribeInstanceTypes`` (per-GPU memory in GiB, rounded to the marketed size).
Trainium (trn*) and Inferentia (inf*) are accelerators, not GPUs: absent here.
"""

from __future__ import annotations

from typing import Final

# family → (canonical GPU id, GiB per GPU, {size: count})
_FAMILIES: Final[dict[str, tuple[str, float, dict[str, int]]]] = {
    "p2": ("nvidia-k80", 12, {"xlarge": 1, "8xlarge": 8, "16xlarge": 16}),
    "p3": ("nvidia-v100", 16, {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}),
    "p3dn": ("nvidia-v100", 32, {"24xlarge": 8}),
    "p4d": ("nvidia-a100", 40, {"24xlarge": 8}),
    "p4de": ("nvidia-a100", 80, {"24xlarge": 8}),
    "p5": ("nvidia-h100", 80, {"4xlarge": 1, "48xlarge": 8}),
    "p5e": ("nvidia-h200", 141, {"48xlarge": 8}),
    "p5en": ("nvidia-h200", 141, {"48xlarge": 8}),
    "p6-b200": ("nvidia-b200", 179, {"48xlarge": 8}),
    "g3": ("nvidia-m60", 8, {"4xlarge": 1, "8xlarge": 2, "16xlarge": 4}),
    "g3s": ("nvidia-m60", 8, {"xlarge": 1}),
    "g4dn": (
        "nvidia-t4",
        16,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "16xlarge": 1,
            "12xlarge": 4,
            "metal": 8,
        },
    ),
    "g4ad": (
        "amd-radeon-pro-v520",
        8,
        {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 2, "16xlarge": 4},
    ),
    "g5": (
        "nvidia-a10g",
        24,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "16xlarge": 1,
            "12xlarge": 4,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
    "g5g": (
        "nvidia-t4g",
        16,
        {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 2, "metal": 2},
    ),
    "g6": (
        "nvidia-l4",
        24,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "16xlarge": 1,
            "12xlarge": 4,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
    "gr6": ("nvidia-l4", 24, {"4xlarge": 1, "8xlarge": 1}),
    "g6e": (
        "nvidia-l40s",
        48,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "16xlarge": 1,
            "12xlarge": 4,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
}


def gpus_for(instance_type: str) -> tuple[int, str | None, float | None]:
    """(count, canonical id, GiB per GPU) of a type; (0, None, None) when not a GPU type."""
    family, _, size = instance_type.partition(".")
    entry = _FAMILIES.get(family)
    if entry is None:
        return 0, None, None
    gpu, memory, sizes = entry
    count = sizes.get(size, 0)
    if count == 0:
        return 0, None, None
    return count, gpu, float(memory)


def is_known_gpu_family(instance_type: str) -> bool:
    return instance_type.partition(".")[0] in _FAMILIES
