"""``GET /v1/prices`` (filters, sort, cursor pagination) and ``GET /v1/prices/history``."""

from __future__ import annotations

import base64
import binascii
import json
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, HTTPException, Query

from spotarb.api.deps import ServiceDep
from spotarb.api.encode import dumps
from spotarb.api.params import Text, TextList, Token
from spotarb.api.responses import HistoryBody, PricesBody
from spotarb.api.schemas import JSONBytes
from spotarb.core.gpus import lookup_gpu
from spotarb.core.limits import MAX_NAME
from spotarb.core.models import SpotPrice
from spotarb.serving.availability import availability_score

router = APIRouter(prefix="/v1/prices", tags=["prices"])

MAX_LIMIT: Final = 1000
MAX_HISTORY: Final = 10000

SortName = Literal[
    "pricePerHour",
    "-pricePerHour",
    "vcpu",
    "-vcpu",
    "memoryGB",
    "-memoryGB",
    "savingsPct",
    "-savingsPct",
    "availabilityScore",
    "-availabilityScore",
    "pricePerVcpuHour",
    "-pricePerVcpuHour",
]

_KEY_OF: Final[dict[str, Callable[[SpotPrice], float]]] = {
    "pricePerHour": lambda r: r.price_per_hour,
    "vcpu": lambda r: r.vcpu,
    "memoryGB": lambda r: r.memory_gb,
    "savingsPct": lambda r: s if (s := r.savings_pct) is not None else math.inf,
    "availabilityScore": availability_score,
    "pricePerVcpuHour": lambda r: r.price_per_hour / r.vcpu,
}


def _names(values: list[str] | None) -> frozenset[str]:
    out: set[str] = set()
    for value in values or ():
        out.update(part.strip() for part in value.split(",") if part.strip())
    return frozenset(out)


def _sort_key(sort: str) -> Callable[[SpotPrice], tuple[Any, ...]]:
    descending = sort.startswith("-")
    metric = _KEY_OF[sort.lstrip("-")]

    def key(row: SpotPrice) -> tuple[Any, ...]:
        value = metric(row)
        return (-value if descending else value, *row.key)

    return key


def _sorted_view(
    rows: tuple[SpotPrice, ...], key: Callable[[SpotPrice], tuple[Any, ...]]
) -> tuple[tuple[SpotPrice, ...], list[tuple[Any, ...]]]:
    """Rows in ``key`` order with their keys (built once per state and sort)."""
    keyed = sorted(((key(r), r) for r in rows), key=lambda pair: pair[0])
    return tuple(r for _, r in keyed), [k for k, _ in keyed]


def _encode_cursor(sort: str, key: tuple[Any, ...]) -> str:
    raw = json.dumps([sort, *key], separators=(",", ":"), allow_nan=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if (
            not isinstance(data, list)
            or len(data) != 7
            or data[0] != sort
            or not isinstance(data[1], int | float)
            or not all(isinstance(v, str) for v in data[2:])
        ):
            raise ValueError("bad cursor")
        position = float(data[1])  # a forged huge integer overflows here
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError, OverflowError):
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "cursor"],
                    "msg": "invalid cursor for this sort",
                    "type": "value_error",
                }
            ],
        ) from None
    return (position, *data[2:])


def row_json(row: SpotPrice, now: float) -> dict[str, Any]:
    out = row.to_camel()
    out["availabilityScore"] = availability_score(row)
    out["savingsPct"] = row.savings_pct
    out["dataAgeSeconds"] = max(0.0, now - row.collected_at.timestamp())
    return out


@router.get("", response_class=JSONBytes, response_model=PricesBody)
def list_prices(
    service: ServiceDep,
    provider: TextList = None,
    region: TextList = None,
    instanceType: TextList = None,
    gpuType: Text | None = None,
    os: Literal["linux", "windows"] | None = None,
    minVcpu: Annotated[float | None, Query(ge=0, le=1e6, allow_inf_nan=False)] = None,
    minMemoryGB: Annotated[float | None, Query(ge=0, le=1e8, allow_inf_nan=False)] = None,
    maxPrice: Annotated[float | None, Query(gt=0, le=1e7, allow_inf_nan=False)] = None,
    sort: SortName = "pricePerHour",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Token | None = None,
) -> Any:
    """Current prices (every OS), filtered, sorted and paged; ``nextCursor`` gets the next page.

    List filters take repeated parameters or comma lists (``provider=aws,gcp``).
    """
    state = service.state
    providers, regions, types = _names(provider), _names(region), _names(instanceType)
    gpu = None
    if gpuType is not None:
        gpu = lookup_gpu(gpuType)
        if gpu is None:
            gpu = gpuType  # unknown names simply match nothing
    key = _sort_key(sort)
    ordered, keys = service.memo(f"prices:{sort}", lambda st: _sorted_view(st.rows, key))
    start = bisect_right(keys, _decode_cursor(cursor, sort)) if cursor else 0
    filtered = bool(providers or regions or types or gpu is not None or os is not None) or (
        minVcpu is not None or minMemoryGB is not None or maxPrice is not None
    )
    if not filtered:
        total = len(ordered)
        page = list(ordered[start : start + limit])
        more = start + limit < total
    else:
        matching = [
            i
            for i, r in enumerate(ordered)
            if (not providers or r.provider in providers)
            and (not regions or r.region in regions)
            and (not types or r.instance_type in types)
            and (gpu is None or r.gpu_type == gpu)
            and (os is None or r.os == os)
            and (minVcpu is None or r.vcpu >= minVcpu)
            and (minMemoryGB is None or r.memory_gb >= minMemoryGB)
            and (maxPrice is None or r.price_per_hour <= maxPrice)
        ]
        total = len(matching)
        first = bisect_left(matching, start)
        page = [ordered[i] for i in matching[first : first + limit]]
        more = first + limit < total
    now = datetime.now(UTC).timestamp()
    return JSONBytes(
        dumps(
            {
                "dataVersion": state.version,
                "total": total,
                "count": len(page),
                "prices": [row_json(r, now) for r in page],
                "nextCursor": _encode_cursor(sort, key(page[-1])) if more and page else None,
            }
        )
    )


def _utc(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(
            422, [{"loc": ["query", name], "msg": "time out of range", "type": "value_error"}]
        ) from None


@router.get("/history", response_class=JSONBytes, response_model=HistoryBody)
def price_history(
    service: ServiceDep,
    provider: Literal["aws", "azure", "gcp"],
    region: Text,
    instanceType: Text,
    zone: Annotated[str, Query(max_length=MAX_NAME)] = "",
    os: Literal["linux", "windows"] = "linux",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """One key's price changes in ``[since, until]`` (by observed time), oldest first."""
    start, end = _utc("since", since), _utc("until", until)
    if start is not None and end is not None and start > end:
        raise HTTPException(
            422, [{"loc": ["query", "since"], "msg": "since is after until", "type": "value_error"}]
        )
    rows = service.store.history((provider, region, zone, instanceType, os), start, end)
    truncated = len(rows) > MAX_HISTORY
    rows = rows[-MAX_HISTORY:]
    now = datetime.now(UTC).timestamp()
    return JSONBytes(
        dumps(
            {
                "key": {
                    "provider": provider,
                    "region": region,
                    "availabilityZone": zone,
                    "instanceType": instanceType,
                    "os": os,
                },
                "since": start.isoformat() if start else None,
                "until": end.isoformat() if end else None,
                "count": len(rows),
                "truncated": truncated,
                "history": [row_json(r, now) for r in rows],
            }
        )
    )
