"""Local stand-ins for Azure's Retail Prices, Resource SKUs and Resource Graph APIs.

They speak the real wire formats (envelopes, paging links, ``$skipToken``,
string capabilities) on a real socket (pytest-httpserver), so the feed runs
its real HTTP code path, proxy and retries included.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from spotarb.core.config import Settings, load_settings
from spotarb.core.http import OutboundClients

RETAIL_PATH = "/api/retail/prices"
SUBSCRIPTION = "sub-1"
SKUS_PATH = f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/skus"
GRAPH_PATH = "/providers/Microsoft.ResourceGraph/resources"
TOKEN = "fake-token-c2VjcmV0"

_meter_ids = itertools.count(1)


def item(
    arm: str = "Standard_D2s_v3",
    sku: str = "D2s v3 Spot",
    price: float = 0.032538,
    *,
    region: str = "eastus",
    product: str = "Virtual Machines DSv3 Series",
    kind: str = "Consumption",
    primary: bool = True,
    start: str = "2021-03-01T00:00:00Z",
    unit: str = "1 Hour",
    **extra: Any,
) -> dict[str, Any]:
    """One Retail Prices item in the API's field names (modelled on the real 2021 sample)."""
    out: dict[str, Any] = {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": "US East",
        "effectiveStartDate": start,
        "meterId": f"00000000-0000-0000-0000-{next(_meter_ids):012d}",
        "meterName": sku,
        "productId": "DZH318Z0BQ50",
        "skuId": "DZH318Z0BQ50/01TG",
        "productName": product,
        "skuName": sku,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": unit,
        "type": kind,
        "isPrimaryMeterRegion": primary,
        "armSkuName": arm,
    }
    out.update(extra)
    return out


@dataclass
class FakeAzure:
    """Retail Prices + Resource SKUs + Resource Graph on one local server."""

    server: HTTPServer
    retail: dict[str, list[Any]] = field(default_factory=dict)
    page_size: int = 2
    #: (region, page index) → queued one-shot responses served before the real page
    retail_faults: dict[tuple[str, int], list[Response]] = field(default_factory=dict)
    #: (region, page index) → status code served every time
    retail_broken: dict[tuple[str, int], int] = field(default_factory=dict)
    #: regions whose NextPageLink comes back as "" instead of a URL
    empty_link: set[str] = field(default_factory=set)
    retail_requests: list[dict[str, str]] = field(default_factory=list)
    #: region → Resource SKUs value[] entries
    skus: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sku_page_size: int = 2
    sku_requests: list[dict[str, str]] = field(default_factory=list)
    #: Resource Graph rows (objectArray)
    graph_rows: list[dict[str, Any]] = field(default_factory=list)
    graph_page_size: int = 2
    graph_faults: list[Response] = field(default_factory=list)
    graph_bodies: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.expect_request(RETAIL_PATH).respond_with_handler(self._retail)
        self.server.expect_request(SKUS_PATH).respond_with_handler(self._skus)
        self.server.expect_request(GRAPH_PATH, method="POST").respond_with_handler(self._graph)

    @property
    def prices_url(self) -> str:
        return self.server.url_for(RETAIL_PATH)

    @property
    def management_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    # --- Retail Prices -------------------------------------------------------------
    def _retail(self, request: Request) -> Response:
        args = dict(request.args)
        self.retail_requests.append(args)
        match = re.search(r"armRegionName eq '([^']+)'", args.get("$filter", ""))
        if match is None:
            return _json({"error": "filter must name armRegionName"}, 400)
        region = match[1]
        skip = int(args.get("$skip", "0"))
        page = skip // self.page_size
        queued = self.retail_faults.get((region, page))
        if queued:
            return queued.pop(0)
        if (region, page) in self.retail_broken:
            return _json({"error": "boom"}, self.retail_broken[(region, page)])
        items = self.retail.get(region, [])
        chunk = items[skip : skip + self.page_size]
        next_link: str | None = None
        if skip + self.page_size < len(items):
            params = {k: v for k, v in args.items() if k != "$skip"}
            params["$skip"] = str(skip + self.page_size)
            next_link = f"{self.prices_url}?{httpx.QueryParams(params)}"
            if region in self.empty_link:
                next_link = ""
        return _json(
            {
                "BillingCurrency": "USD",
                "CustomerEntityId": "Default",
                "CustomerEntityType": "Retail",
                "Items": chunk,
                "NextPageLink": next_link,
                "Count": len(chunk),
            }
        )

    # --- Resource SKUs -------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        self.auth_headers.append(header)
        return header == f"Bearer {TOKEN}"

    def _skus(self, request: Request) -> Response:
        args = dict(request.args)
        self.sku_requests.append(args)
        if not self._authorized(request):
            return _json({"error": {"code": "AuthenticationFailed"}}, 401)
        match = re.fullmatch(r"location eq '([^']+)'", args.get("$filter", ""))
        if args.get("api-version") != "2021-07-01" or match is None:
            return _json({"error": {"code": "InvalidQuery"}}, 400)
        values = self.skus.get(match[1], [])
        start = int(args.get("$skiptoken", "0"))
        chunk = values[start : start + self.sku_page_size]
        body: dict[str, Any] = {"value": chunk}
        if start + self.sku_page_size < len(values):
            params = {k: v for k, v in args.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(start + self.sku_page_size)
            body["nextLink"] = f"{self.server.url_for(SKUS_PATH)}?{httpx.QueryParams(params)}"
        return _json(body)

    # --- Resource Graph ------------------------------------------------------------
    def _graph(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({"error": {"code": "AuthenticationFailed"}}, 401)
        body = json.loads(request.get_data())
        self.graph_bodies.append(body)
        if self.graph_faults:
            return self.graph_faults.pop(0)
        start = int(body.get("options", {}).get("$skipToken") or 0)
        chunk = self.graph_rows[start : start + self.graph_page_size]
        out: dict[str, Any] = {
            "totalRecords": len(self.graph_rows),
            "count": len(chunk),
            "data": chunk,
            "facets": [],
            "resultTruncated": "false",
        }
        if start + self.graph_page_size < len(self.graph_rows):
            out["$skipToken"] = str(start + self.graph_page_size)
        return _json(out)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")


def throttled(retry_after: str = "1") -> Response:
    return _json({"error": {"code": "RateLimiting"}}, 429, {"Retry-After": retry_after})


def sku(
    name: str,
    vcpus: str,
    memory: str,
    *,
    region: str = "eastus",
    gpus: str | None = None,
    arch: str = "x64",
    restricted: bool = False,
    available: str | None = None,
) -> dict[str, Any]:
    """One Resource SKUs ``value[]`` entry (capability values are strings, as in the API)."""
    caps = [
        {"name": "vCPUs", "value": vcpus},
        {"name": "MemoryGB", "value": memory},
        {"name": "LowPriorityCapable", "value": "True"},
        {"name": "CpuArchitectureType", "value": arch},
    ]
    if gpus is not None:
        caps.append({"name": "GPUs", "value": gpus})
    if available is not None:
        caps.append({"name": "vCPUsAvailable", "value": available})
    restrictions = []
    if restricted:
        restrictions.append(
            {
                "type": "Location",
                "values": [region],
                "restrictionInfo": {"locations": [region]},
                "reasonCode": "NotAvailableForSubscription",
            }
        )
    return {
        "resourceType": "virtualMachines",
        "name": name,
        "tier": "Standard",
        "size": name.removeprefix("Standard_"),
        "family": "standardFamily",
        "locations": [region],
        "locationInfo": [{"location": region, "zones": ["1", "2", "3"], "zoneDetails": []}],
        "capabilities": caps,
        "restrictions": restrictions,
    }


class FakeCredential:
    """Stands in for DefaultAzureCredential: hands out a fixed bearer token."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


class NoCredential:
    """Like DefaultAzureCredential on a machine without any Azure login."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.identity import CredentialUnavailableError

        raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")


@pytest.fixture
def fake_azure(httpserver: HTTPServer) -> FakeAzure:
    return FakeAzure(httpserver)


@dataclass
class Env:
    fake: FakeAzure
    sleeps: list[float]

    def settings(self, **overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "azure_prices_url": self.fake.prices_url,
            "azure_management_url": self.fake.management_url,
            "azure_regions": ["eastus", "westeurope"],
            "azure_subscription_id": SUBSCRIPTION,
            "max_retries": 2,
            "backoff_base": 0.01,
            "azure_concurrency": 1,  # request order is asserted; one test runs in parallel
        }
        base.update(overrides)
        return load_settings(**base)

    def clients(self, settings: Settings) -> OutboundClients:
        return OutboundClients(settings, sleep=self.sleeps.append)


@pytest.fixture
def env(fake_azure: FakeAzure) -> Env:
    return Env(fake_azure, [])


Factory = Callable[..., dict[str, Any]]
