"""The public spot pricing feed (``website.spot.ec2.aws.a2z.com/spot.json``), no credentials.

Region-level Linux prices (no AZ). Prices are strings: ``"0.023"``, ``"9.0E-4"``
(scientific notation) or ``"N/A*"`` (not offered). The ``instanceTypes[].type``
groups are display buckets and are flattened. The legacy JSONP form
(``callback({...});``) and its old region codes are accepted too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import httpx

from spotarb.core.errors import FeedFetchError, FeedParseError
from spotarb.core.http import parse_http_date, redact_url, send_get
from spotarb.feeds.decimals import positive_decimal

#: Region codes of the legacy ``spot.js`` feed.
LEGACY_REGIONS: Final[dict[str, str]] = {
    "us-east": "us-east-1",
    "us-west": "us-west-1",
    "eu-ireland": "eu-west-1",
    "apac-sin": "ap-southeast-1",
    "apac-syd": "ap-southeast-2",
    "apac-tokyo": "ap-northeast-1",
}


@dataclass(frozen=True, slots=True)
class PublicPrice:
    region: str
    instance_type: str
    price: Decimal


@dataclass(slots=True)
class PublicFeedParse:
    prices: list[PublicPrice]
    not_available: int = 0
    malformed: int = 0


def decode_feed_text(text: str) -> Any:
    """JSON, or JSONP ``callback({...});`` as the legacy feed serves it."""
    body = text.strip()
    if not body.startswith("{"):
        start, end = body.find("("), body.rfind(")")
        if start < 0 or end <= start:
            raise FeedParseError("public spot feed: neither JSON nor JSONP")
        body = body[start + 1 : end]
    try:
        return json.loads(body)
    except ValueError as exc:
        raise FeedParseError(f"public spot feed: invalid JSON ({exc})") from None


def parse_price(raw: object) -> Decimal | None:
    """``"0.023"`` / ``"9.0E-4"`` → Decimal; ``"N/A*"`` → None; garbage → ValueError."""
    text = str(raw).strip().rstrip("*").strip()
    if not text or text.upper().startswith("N/A"):
        return None
    return positive_decimal(text, "price")


def _sizes(region: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for group in region.get("instanceTypes") or []:
        if isinstance(group, Mapping):
            for size in group.get("sizes") or []:
                if isinstance(size, Mapping):
                    yield size


def parse_public_feed(payload: Any, *, column: str = "linux") -> PublicFeedParse:
    """Flatten the feed into (region, type, price) for one OS column."""
    config = payload.get("config") if isinstance(payload, Mapping) else None
    regions = config.get("regions") if isinstance(config, Mapping) else None
    if not isinstance(regions, list):
        raise FeedParseError("public spot feed: no config.regions list")
    out = PublicFeedParse(prices=[])
    for region in regions:
        if not isinstance(region, Mapping) or not region.get("region"):
            out.malformed += 1
            continue
        code = str(region["region"])
        code = LEGACY_REGIONS.get(code, code)
        for size in _sizes(region):
            name = size.get("size")
            for value in size.get("valueColumns") or []:
                if not isinstance(value, Mapping) or value.get("name") != column:
                    continue
                try:
                    price = parse_price((value.get("prices") or {}).get("USD"))
                except ValueError:
                    out.malformed += 1
                    continue
                if price is None:
                    out.not_available += 1
                elif not name:
                    out.malformed += 1
                else:
                    out.prices.append(PublicPrice(code, str(name), price))
    return out


def fetch_public_feed(client: httpx.Client, url: str) -> tuple[Any, datetime | None]:
    """GET the feed (JSON or JSONP) and its ``Last-Modified`` time, if any.

    Failures become one-line feed errors.
    """
    what = "public spot feed"
    response = send_get(client, url, what=what)
    if response.status_code >= 400:
        raise FeedFetchError(
            f"{what}: HTTP {response.status_code} from {redact_url(response.request.url)}"
        )
    return decode_feed_text(response.text), _last_modified(response.headers.get("Last-Modified"))


def _last_modified(value: str | None) -> datetime | None:
    """The header as a UTC datetime; None when absent, unreadable or in the future."""
    when = parse_http_date(value) if value else None
    return when if when is not None and when <= datetime.now(UTC) else None
