"""On-demand list prices from the AWS Price List Query API (``pricing:GetProducts``).

Asked once per region for shared-tenancy Linux instances without pre-installed
software (``capacitystatus=Used``), paged with ``NextToken``, cached for a day.
Each ``PriceList`` entry is a JSON *string* holding one product and its terms;
the hourly USD ``pricePerUnit`` of its ``OnDemand`` term is the price.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from spotarb.feeds.aws.ec2 import _pages

#: The Price List API answers in us-east-1 (also eu-central-1, ap-south-1).
PRICING_REGION: Final = "us-east-1"
PRICING_TTL_SECONDS: Final = 24 * 3600.0


def _filters(region: str) -> list[dict[str, str]]:
    wanted = {
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def parse_price_list_item(item: str | Mapping[str, Any]) -> tuple[str, float] | None:
    """(instance type, USD/hour) of one ``PriceList`` entry, or None when it has none."""
    data = json.loads(item) if isinstance(item, str) else item
    attributes = (data.get("product") or {}).get("attributes") or {}
    itype = attributes.get("instanceType")
    if not itype:
        return None
    for term in ((data.get("terms") or {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            if dim.get("unit") not in {"Hrs", "Hours"}:
                continue
            try:
                price = Decimal(str((dim.get("pricePerUnit") or {}).get("USD")))
            except InvalidOperation:
                continue
            if price.is_finite() and price > 0:
                return str(itype), float(price)
    return None


def on_demand_prices(client: Any, region: str) -> dict[str, float]:
    """Linux on-demand $/h per instance type in ``region``."""
    out: dict[str, float] = {}
    for items in _pages(
        client.get_products,
        "PriceList",
        ServiceCode="AmazonEC2",
        Filters=_filters(region),
        FormatVersion="aws_v1",
        MaxResults=100,
    ):
        for item in items:
            parsed = parse_price_list_item(item)
            if parsed is not None:
                itype, price = parsed
                # Several SKUs can match; the lowest positive hourly rate is the plain one.
                if itype not in out or price < out[itype]:
                    out[itype] = price
    return out


class OnDemandCache:
    """On-demand prices per (endpoint, region) for a TTL; thread-safe."""

    def __init__(
        self, ttl: float = PRICING_TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[float, dict[str, float]]] = {}
        self.fetches = 0

    def get(self, scope: str, fetch: Callable[[], dict[str, float]]) -> dict[str, float]:
        with self._lock:
            cached = self._data.get(scope)
            if cached is not None and self._clock() - cached[0] <= self.ttl:
                return cached[1]
        prices = fetch()
        with self._lock:
            self.fetches += 1
            self._data[scope] = (self._clock(), prices)
        return prices

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


DEFAULT_ON_DEMAND_CACHE: Final = OnDemandCache()
