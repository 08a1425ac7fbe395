"""Azure Resource SKUs API (``Microsoft.Compute/skus``): VM specs per region.

Called with plain httpx through :class:`~spotarb.core.http.OutboundClients` (proxy,
CA bundle, retries) rather than azure-mgmt-compute: it is one paged GET, the
SDK would add a dependency with its own transport, and its bearer policy
refuses the plain-http endpoints that mirrors and tests use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import httpx

from spotarb.core.errors import FeedParseError
from spotarb.core.http import get_json

logger = logging.getLogger(__name__)

SKUS_API_VERSION: Final = "2021-07-01"
MAX_PAGES: Final = 500


@dataclass(frozen=True, slots=True)
class SkuSpec:
    """What Resource SKUs say about one VM size in one region (GPU model comes from the name)."""

    name: str
    vcpu: float | None
    memory_gb: float | None
    gpu_count: int | None
    arch: str | None
    restricted: bool


def skus_url(management_url: str, subscription_id: str, region: str) -> str:
    base = management_url.rstrip("/")
    location_filter = quote(f"location eq '{region}'", safe="'")
    subscription = quote(subscription_id, safe="")
    return (
        f"{base}/subscriptions/{subscription}/providers/Microsoft.Compute/skus"
        f"?api-version={SKUS_API_VERSION}&$filter={location_filter}"
    )


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


_ARCH: Final = {"x64": "x86_64", "arm64": "arm64"}


def parse_sku(raw: Any, region: str) -> SkuSpec | None:
    """One ``value[]`` entry → :class:`SkuSpec`; None for non-VM resources or bad entries."""
    if not isinstance(raw, dict) or raw.get("resourceType") != "virtualMachines":
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        return None
    caps: dict[str, str] = {}
    for cap in raw.get("capabilities") or []:
        if isinstance(cap, dict) and isinstance(cap.get("name"), str):
            caps[cap["name"]] = str(cap.get("value"))
    restricted = False
    for restriction in raw.get("restrictions") or []:
        if not isinstance(restriction, dict) or restriction.get("type") != "Location":
            continue
        values = [str(v).lower() for v in restriction.get("values") or []]
        info = restriction.get("restrictionInfo") or {}
        locations = [str(v).lower() for v in (info.get("locations") or [])]
        if region in values or region in locations:
            restricted = True
    vcpu = _number(caps.get("vCPUsAvailable")) or _number(caps.get("vCPUs"))
    gpus = _number(caps.get("GPUs"))
    arch_raw = caps.get("CpuArchitectureType")
    return SkuSpec(
        name=name,
        vcpu=vcpu,
        memory_gb=_number(caps.get("MemoryGB")),
        gpu_count=int(gpus) if gpus is not None else None,
        arch=_ARCH.get(arch_raw.lower()) if arch_raw else None,
        restricted=restricted,
    )


def fetch_skus(
    client: httpx.Client, management_url: str, subscription_id: str, region: str
) -> dict[str, SkuSpec]:
    """All VM SKUs of one region keyed by lower-cased name, following ``nextLink``."""
    url: str | None = skus_url(management_url, subscription_id, region)
    out: dict[str, SkuSpec] = {}
    pages = 0
    while url:
        pages += 1
        if pages > MAX_PAGES:
            raise FeedParseError(f"resource SKUs {region}: more than {MAX_PAGES} pages")
        what = f"resource SKUs {region} page {pages}"
        data = get_json(client, url, what=what)
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise FeedParseError(f"{what}: no value list in the response")
        for raw in data["value"]:
            spec = parse_sku(raw, region)
            if spec is not None:
                out[spec.name.lower()] = spec
        next_link = data.get("nextLink")
        url = next_link if isinstance(next_link, str) and next_link else None
    return out
