"""EC2 calls (boto3) and the normalization of ``DescribeSpotPriceHistory`` items.

Each history item is a change point: its price holds from ``Timestamp`` until
the next item of the same (AZ, type, product). With ``StartTime = EndTime = now``
the response holds the price in effect now for every (AZ, type). Responses come
newest-first, but the order is never trusted: the newest point per key wins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from spotarb.core.errors import FeedParseError
from spotarb.feeds.aws.specs import InstanceSpec, spec_from_instance_type
from spotarb.feeds.decimals import positive_decimal

logger = logging.getLogger(__name__)

LINUX_PRODUCTS: Final[tuple[str, ...]] = ("Linux/UNIX",)
#: EC2 pages of DescribeSpotPriceHistory (the API's historical maximum).
PRICE_PAGE_SIZE: Final = 1000
#: DescribeInstanceTypes allows 5–100 results per page; filter values are chunked alike.
SPEC_PAGE_SIZE: Final = 100
#: A runaway pagination guard (a repeated token or an endless loop).
MAX_PAGES: Final = 10_000


@dataclass(slots=True)
class ChangePoint:
    availability_zone: str
    instance_type: str
    price: float
    timestamp: datetime


@dataclass(slots=True)
class Normalized:
    """The newest point per (AZ, type), every valid point, and what was refused."""

    latest: dict[tuple[str, str], ChangePoint] = field(default_factory=dict)
    points: list[ChangePoint] = field(default_factory=list)
    #: keys whose items were malformed: their current price is unknown this run.
    bad_keys: set[tuple[str, str]] = field(default_factory=set)
    malformed: int = 0
    first_problem: str = ""
    other_products: int = 0


def _utc(value: object) -> datetime:
    if isinstance(value, datetime):
        tz = value.tzinfo
        if tz is UTC:
            return value
        # boto3 hands back dateutil's tzutc(): a fixed zero offset, so relabelling is exact
        # and 5x cheaper than astimezone (which dominated normalization time).
        if tz is None or type(tz).__name__ == "tzutc":
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return _utc(parsed)
    raise ValueError(f"Timestamp {value!r} is not a datetime")


def parse_spot_price(raw: object) -> float:
    """``"0.043700"`` → 0.0437 (exactly via Decimal); anything else → ValueError."""
    if not isinstance(raw, str):
        raise ValueError(f"SpotPrice {raw!r} is not a string")
    return float(positive_decimal(raw, "SpotPrice"))


def normalize_history(
    items: Iterable[Mapping[str, Any]],
    products: Sequence[str] = LINUX_PRODUCTS,
    *,
    keep_points: bool = False,
) -> Normalized:
    """Select the newest change point per (AZ, type) of the wanted products."""
    out = Normalized()
    latest = out.latest
    wanted = frozenset(products)
    for item in items:
        if item.get("ProductDescription") not in wanted:
            out.other_products += 1
            continue
        az = item.get("AvailabilityZone")
        itype = item.get("InstanceType")
        try:
            if not az or not itype:
                raise ValueError("missing AvailabilityZone or InstanceType")
            price = parse_spot_price(item.get("SpotPrice"))
            when = _utc(item.get("Timestamp"))
        except ValueError as exc:
            out.malformed += 1
            if not out.first_problem:
                out.first_problem = f"{exc} in item {dict(item)!r}"[:300]
            if az and itype:
                out.bad_keys.add((str(az), str(itype)))
            continue
        point = ChangePoint(az, itype, price, when)
        key = (az, itype)
        seen = latest.get(key)
        if seen is None or when > seen.timestamp:
            latest[key] = point
        if keep_points:
            out.points.append(point)
    for key in out.bad_keys:
        latest.pop(key, None)
    return out


def _pages(call: Any, result_key: str, **kwargs: Any) -> Iterator[list[Mapping[str, Any]]]:
    """Follow ``NextToken`` until it is empty or absent; short pages are not the end."""
    token: str | None = None
    for _ in range(MAX_PAGES):
        args = dict(kwargs)
        if token:
            args["NextToken"] = token
        page = call(**args)
        items = page.get(result_key)
        if items is None:
            raise FeedParseError(f"{result_key} missing from the response")
        yield items
        next_token = page.get("NextToken")
        if not next_token:
            return
        if next_token == token:
            raise FeedParseError(f"repeated NextToken while paging {result_key}")
        token = next_token
    raise FeedParseError(f"more than {MAX_PAGES} pages of {result_key}")


def spot_price_history(
    client: Any, *, start: datetime, end: datetime, products: Sequence[str] = LINUX_PRODUCTS
) -> Iterator[Mapping[str, Any]]:
    """Every item in [start, end], plus the change point in effect at ``start``."""
    for items in _pages(
        client.describe_spot_price_history,
        "SpotPriceHistory",
        StartTime=start,
        EndTime=end,
        ProductDescriptions=list(products),
        MaxResults=PRICE_PAGE_SIZE,
    ):
        yield from items


def instance_specs(client: Any, types: Iterable[str]) -> dict[str, InstanceSpec]:
    """Specs of ``types`` from ``DescribeInstanceTypes``.

    Asks with an ``instance-type`` filter (chunks of 100) rather than
    ``InstanceTypes=``: a filter skips types the region does not know instead of
    failing the whole call with ``InvalidInstanceType``.
    """
    wanted = sorted(set(types))
    found: dict[str, InstanceSpec] = {}
    for i in range(0, len(wanted), SPEC_PAGE_SIZE):
        chunk = wanted[i : i + SPEC_PAGE_SIZE]
        for items in _pages(
            client.describe_instance_types,
            "InstanceTypes",
            Filters=[{"Name": "instance-type", "Values": chunk}],
            MaxResults=SPEC_PAGE_SIZE,
        ):
            for item in items:
                spec = spec_from_instance_type(item)
                if spec is not None:
                    found[spec.instance_type] = spec
    return found


def enabled_regions(client: Any) -> list[str]:
    """Regions enabled for the account (``DescribeRegions`` without ``AllRegions``)."""
    response = client.describe_regions(AllRegions=False)
    regions = [
        r["RegionName"]
        for r in response.get("Regions", [])
        if r.get("RegionName") and r.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    ]
    return sorted(regions)
