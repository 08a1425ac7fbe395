"""Cloud Billing Catalog SKUs → component rates (per vCPU-hour, GiB-hour, GPU-hour, …).

GCP prices VMs by component. Each Compute Engine SKU is classified from its
description into ``(resource, key, spot)``:

* ``core`` / ``ram`` with a machine family key (``n2``, ``c2``, ``n1``, ``m1``, …),
* ``gpu`` with a GPU key (``t4``, ``a100-80gb``, ``h100-mega-80gb``, …),
* ``slice`` for the A4/B200 "(1 gpu slice)" SKUs that bill a whole VM share,
* ``instance`` for the f1-micro / g1-small shared-core SKUs,
* ``ssd`` for bundled local SSD (per GiB-month, converted to per GiB-hour).

Regions always come from ``serviceRegions``, never from the description.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from spotarb.core.errors import FeedParseError

logger = logging.getLogger(__name__)

#: Compute Engine's service id in the Cloud Billing Catalog.
COMPUTE_SERVICE: Final = "services/6F81-5844-456A"

#: GCP bills local SSD per GiB-month; Google's month is 730 hours.
HOURS_PER_MONTH: Final = Decimal(730)

_NANO: Final = Decimal("1e-9")

#: Words that mark SKUs outside plain predefined on-demand/spot VMs.
_EXCLUDED_WORDS: Final = (
    "custom",
    "extended",
    "sole tenancy",
    "commitment",
    "reserved",
    "premium",
    "dws ",
    "calendar mode",
    "suspended",
    "virtual workstation",
)

_REGION_TAIL: Final = re.compile(r" (?:running )?in [^()]+$", re.IGNORECASE)
_SPOT_PREFIX: Final = re.compile(r"^(?:spot )?preemptible ", re.IGNORECASE)
_ATTACHED: Final = re.compile(r" attached to (?:spot )?(?:preemptible )?vms$", re.IGNORECASE)
_CORE_RAM: Final = re.compile(r"^(.+?) (core|ram)$", re.IGNORECASE)
_GPU: Final = re.compile(r"^(.+?) gpu$", re.IGNORECASE)
_SLICE: Final = re.compile(r"([a-z0-9]+(?: \d+gb)?) \(1 gpu slice\)$", re.IGNORECASE)
_FAMILY_TOKEN: Final = re.compile(r"^[a-z]\d[a-z0-9]*$")

#: Family phrases that do not start with the family's own name.
_SPECIAL_FAMILIES: Final[dict[str, str]] = {
    "compute optimized": "c2",
    "compute optimized instance": "c2",
    "memory-optimized": "m1",
    "memory-optimized instance": "m1",
}

#: Spellings of the same GPU in SKU descriptions → one key.
_GPU_KEY_ALIASES: Final[dict[str, str]] = {
    "h100-80gb-mega": "h100-mega-80gb",
    "h100-80gb-plus": "h100-mega-80gb",
    "h100-mega": "h100-mega-80gb",
}


def gpu_key(name: str) -> str:
    """One key for a GPU from a SKU phrase (``Nvidia Tesla A100 80GB``) or an
    accelerator type (``nvidia-a100-80gb``): lower case, no vendor or "tesla"."""
    folded = re.sub(r"[\s_]+", "-", name.strip().lower())
    for prefix in ("nvidia-", "tesla-"):
        folded = folded.removeprefix(prefix)
    return _GPU_KEY_ALIASES.get(folded, folded)


def family_from_phrase(phrase: str) -> str | None:
    """``N2D AMD Instance`` → ``n2d``; ``Compute optimized`` → ``c2``; unknown → None."""
    low = phrase.strip().lower()
    if low in _SPECIAL_FAMILIES:
        return _SPECIAL_FAMILIES[low]
    first = low.split(" ", 1)[0]
    if _FAMILY_TOKEN.match(first):
        return first
    return None


def parse_money(unit_price: Mapping[str, Any], where: str) -> Decimal:
    """``{"units": "1", "nanos": 500000000}`` → ``Decimal("1.5")``, exactly."""
    units = unit_price.get("units", "0")
    nanos = unit_price.get("nanos", 0)
    if isinstance(units, bool) or not isinstance(units, str | int):
        raise FeedParseError(f"{where}: malformed units {units!r}")
    if isinstance(nanos, bool) or not isinstance(nanos, int | str):
        raise FeedParseError(f"{where}: malformed nanos {nanos!r}")
    units_s, nanos_s = str(units).strip(), str(nanos).strip()
    if not re.fullmatch(r"-?\d+", units_s) or not re.fullmatch(r"-?\d+", nanos_s):
        raise FeedParseError(f"{where}: malformed money units={units!r} nanos={nanos!r}")
    try:
        whole, frac = Decimal(units_s), int(nanos_s)
    except InvalidOperation:  # pragma: no cover - guarded by the regexes
        raise FeedParseError(f"{where}: malformed money {unit_price!r}") from None
    if abs(frac) > 999_999_999:
        raise FeedParseError(f"{where}: nanos {frac} out of range")
    if (whole > 0 and frac < 0) or (whole < 0 and frac > 0):
        raise FeedParseError(f"{where}: units and nanos disagree in sign")
    return whole + Decimal(frac) * _NANO


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Rate:
    """USD per unit-hour (vCPU, GiB, GPU, slice, instance or GiB of local SSD)."""

    price: Decimal
    effective: datetime | None
    sku_id: str


@dataclass(frozen=True, slots=True)
class ParsedSku:
    sku_id: str
    resource: str
    key: str
    spot: bool
    regions: tuple[str, ...]
    rate: Rate


_EXPECTED_UNIT: Final[dict[str, str]] = {
    "core": "h",
    "gpu": "h",
    "slice": "h",
    "instance": "h",
    "ram": "GiBy.h",
    "ssd": "GiBy.mo",
}


def classify(description: str, resource_family: str) -> tuple[str, str, bool] | str:
    """``(resource, key, spot_in_text)`` for a description, or a skip reason."""
    if resource_family not in ("Compute", "Storage"):
        return "not-compute"
    low = description.lower()
    if any(word in low for word in _EXCLUDED_WORDS):
        return "excluded"
    body = _REGION_TAIL.sub("", description.strip())
    spot = bool(_SPOT_PREFIX.match(body)) or " preemptible vms" in body.lower()
    body = _SPOT_PREFIX.sub("", body)
    body = _ATTACHED.sub("", body)
    if resource_family == "Storage":
        if body.lower().startswith("ssd backed local storage"):
            return ("ssd", "local-ssd", spot)
        return "not-compute"
    if resource_family != "Compute":
        return "not-compute"
    slice_match = _SLICE.search(body)
    if slice_match:
        return ("slice", gpu_key(slice_match.group(1)), spot)
    gpu_match = _GPU.match(body)
    if gpu_match:
        return ("gpu", gpu_key(gpu_match.group(1)), spot)
    core_ram = _CORE_RAM.match(body)
    if core_ram:
        family = family_from_phrase(core_ram.group(1))
        if family is None:
            return "unknown-family"
        return (core_ram.group(2).lower(), family, spot)
    lowered = body.lower()
    if lowered.startswith("micro instance with burstable cpu"):
        return ("instance", "f1", spot)
    if lowered.startswith("small instance with 1 vcpu"):
        return ("instance", "g1", spot)
    return "unrecognised"


def parse_sku(sku: Mapping[str, Any]) -> ParsedSku | str:
    """One SKU → :class:`ParsedSku`, or the reason it is skipped.

    Raises :class:`FeedParseError` when a priced SKU's money fields are malformed.
    """
    category = sku.get("category") or {}
    usage = category.get("usageType", "")
    description = str(sku.get("description", ""))
    if usage not in ("OnDemand", "Preemptible"):
        return "usage-type"
    kind = classify(description, str(category.get("resourceFamily", "")))
    if isinstance(kind, str):
        return kind
    resource, key, spot_in_text = kind
    spot = usage == "Preemptible" or spot_in_text
    infos = sku.get("pricingInfo") or []
    if not infos:
        return "unpriced"
    # The latest entry: newest effectiveTime, the last one on a tie (pricingInfo[-1]).
    _, _, info = max((str(i.get("effectiveTime", "")), n, i) for n, i in enumerate(infos))
    expression = info.get("pricingExpression") or {}
    tiers = expression.get("tieredRates") or []
    if not tiers:
        return "unpriced"
    if expression.get("usageUnit") != _EXPECTED_UNIT[resource]:
        return "unexpected-unit"
    sku_id = str(sku.get("skuId", "?"))
    tier = min(tiers, key=lambda t: float(t.get("startUsageAmount", 0) or 0))
    price = parse_money(tier.get("unitPrice") or {}, f"SKU {sku_id} ({description})")
    if resource == "ssd":
        price = price / HOURS_PER_MONTH
    if price <= 0:
        return "zero-price"
    regions = tuple(str(r) for r in sku.get("serviceRegions") or () if r)
    if not regions:
        return "no-region"
    rate = Rate(price, _parse_time(info.get("effectiveTime")), sku_id)
    return ParsedSku(sku_id, resource, key, spot, regions, rate)


@dataclass(slots=True)
class RateBook:
    """``(resource, key, spot) → region → Rate``, built from parsed SKUs."""

    rates: dict[tuple[str, str, bool], dict[str, Rate]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, parsed: ParsedSku) -> None:
        by_region = self.rates.setdefault((parsed.resource, parsed.key, parsed.spot), {})
        for region in parsed.regions:
            old = by_region.get(region)
            if old is None or _newer(parsed.rate, old):
                by_region[region] = parsed.rate

    def add_skus(self, skus: Iterable[Mapping[str, Any]]) -> list[tuple[tuple[str, ...], str]]:
        """Parse and add SKUs; returns ``(regions, message)`` per malformed SKU (skipped)."""
        problems: list[tuple[tuple[str, ...], str]] = []
        for sku in skus:
            try:
                parsed = parse_sku(sku)
            except FeedParseError as exc:
                regions = tuple(str(r) for r in sku.get("serviceRegions") or ())
                problems.append((regions, str(exc)))
                self._count("malformed")
                continue
            if isinstance(parsed, str):
                self._count(f"skipped-{parsed}")
                continue
            self._count("spot-rates" if parsed.spot else "on-demand-rates")
            self.add(parsed)
        return problems

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def get(self, resource: str, key: str, spot: bool, region: str) -> Rate | None:
        by_region = self.rates.get((resource, key, spot))
        return by_region.get(region) if by_region else None

    def regions(self, resource: str, key: str, spot: bool) -> set[str]:
        return set(self.rates.get((resource, key, spot), {}))


def _newer(new: Rate, old: Rate) -> bool:
    if new.effective is None:
        return False
    return old.effective is None or new.effective > old.effective
