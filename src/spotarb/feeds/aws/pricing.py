"""On-demand list prices from the AWS Price List Query API (``pricing:GetProducts``).

Asked once per region for shared-tenancy Linux instances without pre-installed
software (``capacitystatus=Used``), paged with ``NextToken``, cached for a day.
Each ``PriceList`` entry is a JSON *string* holding one product and its terms;
the hourly USD ``pricePerUnit`` of its ``OnDemand`` term is the price.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from spotarb.feeds.aws.ec2 import _pages
from spotarb.feeds.decimals import positive_decimal
from spotarb.feeds.ttl import TtlCache

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
                price = positive_decimal((dim.get("pricePerUnit") or {}).get("USD"), "USD")
            except ValueError:
                continue
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


#: On-demand prices per "endpoint|region".
OnDemandCache = TtlCache[str, dict[str, float]]
DEFAULT_ON_DEMAND_CACHE: Final[OnDemandCache] = TtlCache(PRICING_TTL_SECONDS)
