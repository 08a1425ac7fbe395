"""Azure spot eviction rates from Azure Resource Graph (``SpotResources``).

Tenant-level (no subscription). ``sku.name`` comes back lower-case, so the
join key is (lower-cased SKU name, lower-cased region). Bands are stored as
their upper bound, like every interruption band: "0-5" → 0.05 … "20+" → 0.25; an
unrecognised band counts as the worst, 0.25, and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import httpx

from spotarb.core.errors import FeedFetchError, FeedParseError, ProxyUnavailableError
from spotarb.core.http import redact_url

logger = logging.getLogger(__name__)

GRAPH_API_VERSION: Final = "2021-03-01"
MAX_PAGES: Final = 500
WORST: Final = 0.25

BANDS: Final[dict[str, float]] = {
    "0-5": 0.05,
    "5-10": 0.10,
    "10-15": 0.15,
    "15-20": 0.20,
    "20+": 0.25,
}

_logged_unknown: set[str] = set()


def band_rate(value: object) -> float:
    """Interruption rate (upper bound of the band) for an ``evictionRate`` string."""
    text = str(value).replace(" ", "").replace("%", "").strip()
    rate = BANDS.get(text)
    if rate is None:
        if text not in _logged_unknown:
            _logged_unknown.add(text)
            logger.warning("unknown Azure eviction band %r counted as worst (%.2f)", value, WORST)
        return WORST
    return rate


def graph_url(management_url: str) -> str:
    return (
        f"{management_url.rstrip('/')}/providers/Microsoft.ResourceGraph/resources"
        f"?api-version={GRAPH_API_VERSION}"
    )


def eviction_query(regions: Sequence[str]) -> str:
    where = ""
    if regions:
        quoted = ", ".join(f"'{r}'" for r in regions)
        where = f" | where location in~ ({quoted})"
    return (
        "SpotResources | where type =~ 'microsoft.compute/skuspotevictionrate/location'"
        f"{where} | project skuName=tostring(sku.name), location, "
        "evictionRate=tostring(properties.evictionRate)"
    )


def fetch_eviction_rates(
    client: httpx.Client, management_url: str, regions: Sequence[str]
) -> dict[tuple[str, str], float]:
    """(sku lower, region lower) → rate, paging with ``$skipToken``.

    429 + ``Retry-After`` is retried by the HTTP layer's transport.
    """
    url = graph_url(management_url)
    query = eviction_query(regions)
    out: dict[tuple[str, str], float] = {}
    skip_token: str | None = None
    for page in range(1, MAX_PAGES + 1):
        what = f"resource graph eviction rates page {page}"
        options: dict[str, Any] = {"resultFormat": "objectArray"}
        if skip_token:
            options["$skipToken"] = skip_token
        try:
            response = client.post(url, json={"query": query, "options": options})
        except ProxyUnavailableError:
            raise
        except httpx.HTTPError as exc:
            raise FeedFetchError(f"{what}: {type(exc).__name__}: {redact_url(str(exc))}") from None
        if response.status_code >= 400:
            body = response.text[:200].replace("\n", " ")
            raise FeedFetchError(f"{what}: HTTP {response.status_code}: {body}")
        try:
            data = response.json()
        except ValueError as exc:
            raise FeedParseError(f"{what}: response is not valid JSON ({exc})") from None
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise FeedParseError(f"{what}: no data array (resultFormat objectArray expected)")
        for row in rows:
            if not isinstance(row, dict):
                continue
            sku, location = row.get("skuName"), row.get("location")
            if not isinstance(sku, str) or not isinstance(location, str) or not sku:
                continue
            out[(sku.lower(), location.lower())] = band_rate(row.get("evictionRate"))
        skip_token = data.get("$skipToken") or None
        if not skip_token:
            return out
    raise FeedParseError(f"resource graph: more than {MAX_PAGES} pages")
