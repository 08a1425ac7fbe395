"""Azure Retail Prices API: one walk per region, then pick the right items.

The catalogue mixes items that must never reach an hourly spot price:
dev/test and reservation price types (reservation rows
say "1 Hour" but carry the whole-term price), legacy "Low Priority" meters,
Windows products (licence included), non-primary meter duplicates, Cloud
Services, items without an ``armSkuName``, and several effective dates for one
meter. :func:`select_items` keeps, per (region, ``armSkuName``), the latest
Linux spot item and the latest Linux on-demand item effective now, and counts
every item it drops by reason.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import httpx

from spotarb.core.errors import FeedParseError
from spotarb.core.http import get_json, redact_url
from spotarb.feeds.decimals import finite_decimal

logger = logging.getLogger(__name__)

API_VERSION: Final = "2023-01-01-preview"
#: Safety net against a server that never ends its page chain.
MAX_PAGES: Final = 2000

_HOURS: Final = re.compile(r"^\s*(\d+)\s+Hours?\s*$", re.IGNORECASE)


def region_filter(region: str) -> str:
    """The OData filter of one region's walk: every Linux/Windows VM consumption meter.

    Spot and on-demand meters come in the same walk, so the on-demand baseline
    is read from the same snapshot as the spot price (one walk per region).
    """
    return (
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
        f"and armRegionName eq '{region}'"
    )


def first_page_url(prices_url: str, region: str) -> httpx.URL:
    params = {
        "api-version": API_VERSION,
        "currencyCode": "'USD'",
        "meterRegion": "'primary'",
        "$filter": region_filter(region),
    }
    return httpx.URL(prices_url).copy_merge_params(params)


@dataclass(slots=True)
class WalkResult:
    items: list[Any] = field(default_factory=list)
    pages: int = 0
    skip_fallbacks: int = 0


def walk_region(client: httpx.Client, prices_url: str, region: str) -> WalkResult:
    """Every item of one region, following ``NextPageLink`` verbatim until it is null.

    An empty-string ``NextPageLink`` (seen during an Azure incident) falls back
    to ``$skip`` on the first URL until a page comes back empty. Any failed page
    fails the whole region: a partial walk could miss the newest price.
    """
    first = first_page_url(prices_url, region)
    url: httpx.URL | str = first
    seen: set[str] = set()
    result = WalkResult()
    while True:
        result.pages += 1
        if result.pages > MAX_PAGES:
            raise FeedParseError(f"retail prices {region}: more than {MAX_PAGES} pages")
        what = f"retail prices {region} page {result.pages}"
        data = get_json(client, str(url), what=what)
        if not isinstance(data, dict) or not isinstance(data.get("Items"), list):
            raise FeedParseError(f"{what}: no Items list in the response envelope")
        items: list[Any] = data["Items"]
        result.items.extend(items)
        link = data.get("NextPageLink")
        if link is None:
            return result
        if not isinstance(link, str):
            raise FeedParseError(f"{what}: NextPageLink is {type(link).__name__}, not a URL")
        if link.strip():
            url = link
        else:
            if not items:
                return result
            result.skip_fallbacks += 1
            url = first.copy_merge_params({"$skip": str(len(result.items))})
            logger.warning(
                "%s: empty NextPageLink; continuing with $skip=%d", what, len(result.items)
            )
        key = str(url)
        if key in seen:
            raise FeedParseError(f"{what}: NextPageLink loops back to {redact_url(key)}")
        seen.add(key)


@dataclass(frozen=True, slots=True)
class Chosen:
    """The item that stands for one (region, SKU) price."""

    price_per_hour: Decimal
    effective: datetime
    meter_id: str


@dataclass(slots=True)
class Selection:
    #: (region, armSkuName) → latest spot Linux item
    spot: dict[tuple[str, str], Chosen] = field(default_factory=dict)
    #: (region, armSkuName) → latest on-demand Linux item
    on_demand: dict[tuple[str, str], Chosen] = field(default_factory=dict)
    #: reason → items dropped for it
    skipped: Counter[str] = field(default_factory=Counter)
    #: one line per malformed item, for logs and errors
    malformed: list[str] = field(default_factory=list)


_DATES: dict[str, datetime] = {}


def _parse_date(value: object) -> datetime:
    """ISO 8601 → aware datetime; memoized (a catalogue repeats a few hundred dates)."""
    if not isinstance(value, str):
        raise ValueError(f"date {value!r} is not a string")
    parsed = _DATES.get(value)
    if parsed is None:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if len(_DATES) < 10_000:
            _DATES[value] = parsed
    return parsed


def _hourly(price: object, unit: object) -> Decimal | str:
    """USD per hour from ``retailPrice`` and ``unitOfMeasure``, or a skip reason."""
    amount = finite_decimal(price, "retailPrice")  # zero is a skip reason, not malformed
    if not isinstance(unit, str):
        raise ValueError(f"unitOfMeasure {unit!r} is not a string")
    m = _HOURS.match(unit)
    if m is None:
        return "unit"
    hours = int(m[1])
    if hours <= 0:
        return "unit"
    if amount <= 0:
        return "zero-price"
    return amount / hours if hours != 1 else amount


def select_items(
    items: list[Any],
    *,
    region: str | None = None,
    now: datetime | None = None,
    selection: Selection | None = None,
) -> Selection:
    """Keep the right spot and on-demand item per (region, SKU); count the rest by reason.

    ``region`` (lower-case) drops items of other regions. Malformed items are
    counted as ``malformed`` and described in ``Selection.malformed``; they
    never stop the others.
    """
    now = now or datetime.now(UTC)
    sel = selection if selection is not None else Selection()
    skipped = sel.skipped
    for item in items:
        if not isinstance(item, dict):
            skipped["malformed"] += 1
            sel.malformed.append(f"item is {type(item).__name__}, not an object")
            continue
        # Cheap string checks first: most items are dropped here.
        if item.get("type") != "Consumption":
            kind = item.get("type")
            skipped[
                "devtest"
                if kind == "DevTestConsumption"
                else "reservation"
                if kind == "Reservation"
                else "price-type"
            ] += 1
            continue
        if item.get("serviceName") != "Virtual Machines":
            skipped["service"] += 1
            continue
        product = item.get("productName")
        sku_name = item.get("skuName")
        if not isinstance(product, str) or not isinstance(sku_name, str):
            skipped["malformed"] += 1
            sel.malformed.append(f"meter {item.get('meterId')!r}: productName/skuName missing")
            continue
        if product.endswith(" Windows"):
            skipped["windows"] += 1
            continue
        if "Cloud Services" in product or "CloudServices" in product:
            skipped["cloud-services"] += 1
            continue
        if sku_name.endswith(" Low Priority"):
            skipped["low-priority"] += 1
            continue
        if item.get("isPrimaryMeterRegion") is False:
            skipped["non-primary"] += 1
            continue
        arm_sku = item.get("armSkuName")
        if not arm_sku or not isinstance(arm_sku, str):
            skipped["no-arm-sku"] += 1
            continue
        currency = item.get("currencyCode", "USD")
        if currency != "USD":
            skipped["currency"] += 1
            continue
        item_region = item.get("armRegionName")
        if not isinstance(item_region, str) or not item_region:
            skipped["malformed"] += 1
            sel.malformed.append(f"meter {item.get('meterId')!r}: armRegionName missing")
            continue
        item_region = item_region.lower()
        if region is not None and item_region != region:
            skipped["other-region"] += 1
            continue
        try:
            hourly = _hourly(item.get("retailPrice"), item.get("unitOfMeasure"))
            effective = _parse_date(item.get("effectiveStartDate"))
        except ValueError as exc:
            skipped["malformed"] += 1
            sel.malformed.append(f"meter {item.get('meterId')!r} ({arm_sku}): {exc}")
            continue
        if isinstance(hourly, str):
            skipped[hourly] += 1
            continue
        if effective > now:
            skipped["not-yet-effective"] += 1
            continue
        end = item.get("effectiveEndDate")
        if end:
            try:
                if _parse_date(end) <= now:
                    skipped["expired"] += 1
                    continue
            except ValueError:
                pass
        target = sel.spot if sku_name.endswith(" Spot") else sel.on_demand
        key = (item_region, arm_sku)
        chosen = Chosen(hourly, effective, str(item.get("meterId", "")))
        previous = target.get(key)
        if previous is None:
            target[key] = chosen
        elif effective > previous.effective:
            target[key] = chosen
            skipped["superseded"] += 1
        else:
            skipped["superseded"] += 1
    return sel
