"""One GPU vocabulary for every feed and for requirement parsing.

Canonical ids are lower-case ``vendor-model`` (``nvidia-a100``). Memory size is
not part of the id (A100 40 GB and 80 GB are both ``nvidia-a100``); the row's
``gpu_memory_gb`` carries it. AWS Trainium and Inferentia are accelerators, not
GPUs: they have their own ids in :data:`ACCELERATORS` and :func:`is_gpu` is
false for them, so a GPU requirement never matches them.

A name the vocabulary does not know is kept as ``unknown:<raw>`` and logged
once; it is never mapped to a GPU it might not be.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from typing import Final

from spotarb.core.errors import UnknownGpuError

logger = logging.getLogger(__name__)

UNKNOWN_PREFIX: Final = "unknown:"


@dataclass(frozen=True, slots=True)
class GpuModel:
    id: str
    vendor: str
    #: Memory per device in GiB for the common variant(s); informational.
    memory_gb: tuple[float, ...]
    aliases: tuple[str, ...] = ()


GPUS: Final[tuple[GpuModel, ...]] = (
    GpuModel("nvidia-t4", "nvidia", (16,), ("t4", "tesla-t4", "nvidia-tesla-t4", "tesla t4")),
    GpuModel("nvidia-t4g", "nvidia", (16,), ("t4g", "nvidia-t4g", "t4g-tensor-core")),
    GpuModel(
        "nvidia-a100",
        "nvidia",
        (40, 80),
        (
            "a100",
            "tesla-a100",
            "nvidia-tesla-a100",
            "nvidia-a100-80gb",
            "a100-80gb",
            "a100-40gb",
            "a100 80gb",
            "a100-sxm4-40gb",
            "a100-sxm4-80gb",
        ),
    ),
    GpuModel("nvidia-v100", "nvidia", (16, 32), ("v100", "tesla-v100", "nvidia-tesla-v100")),
    GpuModel(
        "nvidia-h100",
        "nvidia",
        (80, 94),
        ("h100", "nvidia-h100-80gb", "h100-80gb", "nvidia-h100-mega-80gb", "h100-mega", "h100 nvl"),
    ),
    GpuModel("nvidia-h200", "nvidia", (141,), ("h200", "nvidia-h200-141gb", "h200-141gb")),
    GpuModel("nvidia-b200", "nvidia", (180,), ("b200", "nvidia-b200")),
    GpuModel("nvidia-a10g", "nvidia", (24,), ("a10g",)),
    GpuModel("nvidia-a10", "nvidia", (24,), ("a10", "nvidia-a10-24gb")),
    GpuModel("nvidia-l4", "nvidia", (24,), ("l4", "nvidia-l4", "nvidia-l4-vws")),
    GpuModel("nvidia-l40s", "nvidia", (48,), ("l40s",)),
    GpuModel("nvidia-k80", "nvidia", (12,), ("k80", "tesla-k80", "nvidia-tesla-k80")),
    GpuModel("nvidia-p100", "nvidia", (16,), ("p100", "tesla-p100", "nvidia-tesla-p100")),
    GpuModel("nvidia-p4", "nvidia", (8,), ("p4", "tesla-p4", "nvidia-tesla-p4")),
    GpuModel("nvidia-p40", "nvidia", (24,), ("p40", "tesla-p40", "nvidia-tesla-p40")),
    GpuModel("nvidia-m60", "nvidia", (8,), ("m60", "tesla-m60")),
    GpuModel("amd-mi300x", "amd", (192,), ("mi300x", "instinct-mi300x", "amd-instinct-mi300x")),
    GpuModel("amd-radeon-pro-v520", "amd", (8,), ("radeon-pro-v520", "radeon pro v520", "v520")),
    GpuModel("amd-radeon-pro-v710", "amd", (28,), ("radeon-pro-v710", "v710")),
    GpuModel("nvidia-l40", "nvidia", (48,), ("l40",)),
)

#: Accelerators that are not GPUs: kept apart so a GPU requirement never matches them.
ACCELERATORS: Final[tuple[GpuModel, ...]] = (
    GpuModel("aws-trainium", "aws", (32,), ("trainium", "aws-trainium")),
    GpuModel("aws-trainium2", "aws", (96,), ("trainium2", "aws-trainium2")),
    GpuModel("aws-inferentia", "aws", (8,), ("inferentia", "aws-inferentia")),
    GpuModel("aws-inferentia2", "aws", (32,), ("inferentia2", "aws-inferentia2")),
)

_BY_ID: Final[dict[str, GpuModel]] = {m.id: m for m in (*GPUS, *ACCELERATORS)}
GPU_IDS: Final[tuple[str, ...]] = tuple(m.id for m in GPUS)


def _fold(name: str) -> str:
    """Fold case, spaces and underscores so ``Tesla V100`` and ``tesla_v100`` meet."""
    return re.sub(r"[\s_]+", "-", name.strip().lower())


_ALIASES: Final[dict[str, str]] = {}
for _model in (*GPUS, *ACCELERATORS):
    _ALIASES[_fold(_model.id)] = _model.id
    for _alias in _model.aliases:
        _ALIASES[_fold(_alias)] = _model.id
    # "nvidia a100" style: the id with its vendor prefix spelled with a space.
    _ALIASES[_fold(_model.id.replace("-", " ", 1))] = _model.id

_logged_unknown: set[str] = set()


def lookup_gpu(name: str) -> str | None:
    """The canonical id for a GPU or accelerator name, or None when unknown."""
    folded = _fold(name)
    if folded in _ALIASES:
        return _ALIASES[folded]
    if folded.startswith("nvidia-") and folded[len("nvidia-") :] in _ALIASES:
        return _ALIASES[folded[len("nvidia-") :]]
    return None


def canonical_gpu(name: str, *, log: bool = True) -> str:
    """Map a provider's GPU spelling to the canonical id.

    Unknown names come back as ``unknown:<raw>`` and are logged once per name
    (unless ``log`` is false: the caller reports them itself), so a new GPU shows
    up in the data instead of being mapped to a wrong one.
    """
    if name.startswith(UNKNOWN_PREFIX):
        return name
    found = lookup_gpu(name)
    if found is not None:
        return found
    if log and name not in _logged_unknown:
        _logged_unknown.add(name)
        logger.warning("unknown GPU name %r kept as %s%s", name, UNKNOWN_PREFIX, name)
    return UNKNOWN_PREFIX + name


def require_gpu(name: str, field: str = "gpu_type") -> str:
    """Canonical id for a name a *user* typed; unknown → :class:`UnknownGpuError` with hints."""
    found = lookup_gpu(name)
    if found is not None:
        return found
    matches = difflib.get_close_matches(_fold(name), list(_ALIASES), n=5, cutoff=0.5)
    suggestions = sorted({_ALIASES[m] for m in matches})
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    raise UnknownGpuError(field, name, f"unknown GPU type{hint} (known: {', '.join(GPU_IDS)})")


def is_gpu(canonical_id: str | None) -> bool:
    """True for a GPU id (known or unknown), false for Trainium/Inferentia and for None."""
    if not canonical_id:
        return False
    model = _BY_ID.get(canonical_id)
    if model is None:
        return canonical_id.startswith(UNKNOWN_PREFIX)
    return model not in ACCELERATORS


def gpu_model(canonical_id: str) -> GpuModel | None:
    return _BY_ID.get(canonical_id)


# Azure N-series size names carry the GPU model: Standard_NC24ads_A100_v4,
# Standard_ND96isr_H100_v5, Standard_NC4as_T4_v3, Standard_NV36ads_A10_v5.
_AZURE_MODEL_TOKEN: Final = re.compile(
    r"_(A100|H100|H200|B200|T4|A10|V100|L4|L40S|MI300X|K80|P100|P40|M60|V620|V710)(?:_|$)",
    re.IGNORECASE,
)
# Older N-series sizes without a model token, by family prefix and version.
_AZURE_LEGACY: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"^NC\d+r?s?_v3$", re.IGNORECASE), "nvidia-v100"),
    (re.compile(r"^NC\d+r?s?_v2$", re.IGNORECASE), "nvidia-p100"),
    (re.compile(r"^NC\d+r?$", re.IGNORECASE), "nvidia-k80"),
    (re.compile(r"^ND\d+r?s?$", re.IGNORECASE), "nvidia-p40"),
    (re.compile(r"^ND\d+r?s_v2$", re.IGNORECASE), "nvidia-v100"),
    (re.compile(r"^ND40rs_v2$", re.IGNORECASE), "nvidia-v100"),
    # NDasrA100_v4 (8 x A100 40 GB) carries no model token; its 80 GB sibling does.
    (re.compile(r"^ND\d+asr_v4$", re.IGNORECASE), "nvidia-a100"),
    (re.compile(r"^NV\d+s?_v3$", re.IGNORECASE), "nvidia-m60"),
    (re.compile(r"^NV\d+s?$", re.IGNORECASE), "nvidia-m60"),
    (re.compile(r"^NV\d+as_v4$", re.IGNORECASE), "unknown:Radeon Instinct MI25"),
)


def gpu_from_azure_size(size_name: str) -> str | None:
    """The GPU id an Azure size name implies (``Standard_NC24ads_A100_v4`` → nvidia-a100).

    None for sizes outside the N-series (no GPU).
    """
    name = size_name.removeprefix("Standard_").removeprefix("standard_")
    if not re.match(r"^N[A-Z]*\d", name, re.IGNORECASE):
        return None
    token = _AZURE_MODEL_TOKEN.search(name)
    if token:
        return canonical_gpu(token.group(1))
    for pattern, gpu in _AZURE_LEGACY:
        if pattern.match(name):
            return gpu if gpu.startswith(UNKNOWN_PREFIX) else canonical_gpu(gpu)
    return canonical_gpu(f"azure:{size_name}")
