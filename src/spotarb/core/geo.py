"""Region groups across clouds (``geo:eu``, ``geo:us-east``…) and region patterns.

:data:`REGION_GROUPS` is the one table: each finer group lists its AWS, Azure and
GCP regions and names the continent-level group it belongs to. ``geo:eu`` means
Europe the continent (the UK, Switzerland and Norway included), not the EU.
A region pattern is a region name, a glob (``europe-*``, ``eu*``) or ``geo:<group>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Final

from spotarb.core.errors import ValidationError

GEO_PREFIX: Final = "geo:"

#: group → (continent group, its regions). A continent without finer groups lists its
#: regions under its own name.
REGION_GROUPS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "us-east": ("us", (
        "us-east-1", "us-east-2", "us-gov-east-1",
        "eastus", "eastus2",
        "us-east1", "us-east4", "us-east5",
    )),
    "us-central": ("us", (
        "centralus", "northcentralus", "southcentralus", "westcentralus",
        "us-central1", "us-south1",
    )),
    "us-west": ("us", (
        "us-west-1", "us-west-2", "us-gov-west-1",
        "westus", "westus2", "westus3",
        "us-west1", "us-west2", "us-west3", "us-west4",
    )),
    "ca": ("ca", (
        "ca-central-1", "ca-west-1",
        "canadacentral", "canadaeast",
        "northamerica-northeast1", "northamerica-northeast2",
    )),
    "mx": ("mx", ("mx-central-1", "mexicocentral", "northamerica-south1")),
    "sa": ("sa", (
        "sa-east-1",
        "brazilsouth", "brazilsoutheast", "chilecentral",
        "southamerica-east1", "southamerica-west1",
    )),
    "eu-west": ("eu", (
        "eu-west-1", "eu-west-2", "eu-west-3",
        "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth",
        "europe-west1", "europe-west2", "europe-west4", "europe-west9",
    )),
    "eu-central": ("eu", (
        "eu-central-1", "eu-central-2",
        "germanywestcentral", "germanynorth", "switzerlandnorth", "switzerlandwest",
        "polandcentral",
        "europe-west3", "europe-west6", "europe-west10", "europe-central2",
    )),
    "eu-north": ("eu", (
        "eu-north-1",
        "swedencentral", "norwayeast", "norwaywest",
        "europe-north1", "europe-north2",
    )),
    "eu-south": ("eu", (
        "eu-south-1", "eu-south-2",
        "italynorth", "spaincentral",
        "europe-southwest1", "europe-west8", "europe-west12",
    )),
    "me": ("me", (
        "me-south-1", "me-central-1", "il-central-1",
        "uaenorth", "uaecentral", "qatarcentral", "israelcentral",
        "me-central1", "me-central2", "me-west1",
    )),
    "africa": ("africa", (
        "af-south-1",
        "southafricanorth", "southafricawest",
        "africa-south1",
    )),
    "asia-east": ("asia", (
        "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "eastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
        "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
    )),
    "asia-south": ("asia", (
        "ap-south-1", "ap-south-2",
        "centralindia", "southindia", "westindia", "jioindiacentral", "jioindiawest",
        "asia-south1", "asia-south2",
    )),
    "asia-southeast": ("asia", (
        "ap-southeast-1", "ap-southeast-3", "ap-southeast-5", "ap-southeast-7",
        "southeastasia", "indonesiacentral", "malaysiawest",
        "asia-southeast1", "asia-southeast2",
    )),
    "oceania": ("oceania", (
        "ap-southeast-2", "ap-southeast-4", "ap-southeast-6",
        "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2",
        "newzealandnorth",
        "australia-southeast1", "australia-southeast2",
    )),
}  # fmt: skip

#: Groups made of whole continents.
UNIONS: Final[dict[str, tuple[str, ...]]] = {
    "na": ("us", "ca", "mx"),
    "americas": ("us", "ca", "mx", "sa"),
    "apac": ("asia", "oceania"),
    "emea": ("eu", "me", "africa"),
}

CONTINENTS: Final[tuple[str, ...]] = tuple(dict.fromkeys(c for c, _ in REGION_GROUPS.values()))


def _members() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group, (continent, regions) in REGION_GROUPS.items():
        out.setdefault(group, set()).update(regions)
        out.setdefault(continent, set()).update(regions)
    for union, continents in UNIONS.items():
        out[union] = set().union(*(out[c] for c in continents))
    return {name: frozenset(regions) for name, regions in out.items()}


#: group name (without ``geo:``) → its regions.
GROUP_REGIONS: Final[dict[str, frozenset[str]]] = _members()
GROUPS: Final[tuple[str, ...]] = tuple(sorted(GROUP_REGIONS))


def continent_of(region: str) -> str | None:
    """The continent group of a known region (``eu`` for ``europe-west4``), else None."""
    for continent, regions in REGION_GROUPS.values():
        if region in regions:
            return continent
    return None


def check_region_pattern(field: str, pattern: str) -> str:
    """``pattern`` normalized (lower case); a ValidationError for an unknown ``geo:`` group."""
    text = pattern.strip().lower()
    if text.startswith(GEO_PREFIX) and text[len(GEO_PREFIX) :] not in GROUP_REGIONS:
        raise ValidationError(
            field, pattern, f"unknown region group; use one of geo:{', geo:'.join(GROUPS)}"
        )
    return text


def is_plain(pattern: str) -> bool:
    """A plain region name (no glob characters, no group)."""
    return not pattern.startswith(GEO_PREFIX) and not any(c in pattern for c in "*?[")


def region_matches(patterns: Iterable[str], region: str) -> bool:
    """``region`` is named by one of ``patterns`` (normalized by :func:`check_region_pattern`)."""
    name = region.lower()
    for pattern in patterns:
        if pattern.startswith(GEO_PREFIX):
            if name in GROUP_REGIONS[pattern[len(GEO_PREFIX) :]]:
                return True
        elif fnmatchcase(name, pattern):
            return True
    return False
