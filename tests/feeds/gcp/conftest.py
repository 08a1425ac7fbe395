"""Fixtures for the GCP feed: SKUs and machine types in Google's real wire format,
served by pytest-httpserver with real paging."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from spotarb.core.config import Settings, load_settings
from spotarb.core.http import OutboundClients

SERVICE = "services/6F81-5844-456A"
SKU_PATH = f"/v1/{SERVICE}/skus"
API_KEY = "AIzaTEST-secret-key-123"
PROJECT = "proj-1"
EFFECTIVE = "2026-11-01T08:00:00.000Z"


def money(price: str) -> dict[str, Any]:
    """``"0.0071"`` → Google's units/nanos money, exactly."""
    whole, _, frac = price.partition(".")
    nanos = int((frac + "000000000")[:9])
    return {"currencyCode": "USD", "units": whole, "nanos": nanos}


def sku(
    sku_id: str,
    description: str,
    price: str | None,
    *,
    usage: str = "Preemptible",
    regions: tuple[str, ...] = ("us-central1",),
    unit: str = "h",
    group: str = "CPU",
    family: str = "Compute",
    effective: str = EFFECTIVE,
) -> dict[str, Any]:
    base = {"h": ("s", 3600), "GiBy.h": ("By.s", 3865470566400), "GiBy.mo": ("By.s", 2.6e15)}
    tiers = [] if price is None else [{"startUsageAmount": 0, "unitPrice": money(price)}]
    return {
        "name": f"{SERVICE}/skus/{sku_id}",
        "skuId": sku_id,
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": family,
            "resourceGroup": group,
            "usageType": usage,
        },
        "serviceRegions": list(regions),
        "pricingInfo": [
            {
                "summary": "" if price is not None else "Sku is not being priced by default.",
                "pricingExpression": {
                    "usageUnit": unit,
                    "usageUnitDescription": unit,
                    "baseUnit": base[unit][0],
                    "baseUnitDescription": "",
                    "baseUnitConversionFactor": base[unit][1],
                    "displayQuantity": 1,
                    "tieredRates": tiers,
                },
                "currencyConversionRate": 1,
                "effectiveTime": effective,
            }
        ],
        "serviceProviderName": "Google",
    }


US = ("us-central1", "us-east1")

#: Component rates used by the hand calculations in the tests.
N2_CORE, N2_RAM = "0.007976", "0.001069"
N2_CORE_OD, N2_RAM_OD = "0.031611", "0.004237"
N1_CORE, N1_RAM = "0.00698", "0.00094"
C2_CORE, C2_RAM = "0.00939", "0.00126"
E2_CORE, E2_RAM = "0.006543", "0.000877"
T4 = "0.1375"
A2_CORE, A2_RAM, A100 = "0.0111", "0.00149", "1.10"
G2_CORE, G2_RAM, L4 = "0.00885", "0.001036", "0.2240"
C3_CORE, C3_RAM, LSSD_MO = "0.00754", "0.00101", "0.0324"
B200_SLICE, B200_SLICE_OD = "4.9542", "16.11"
F1 = "0.0035"


def catalog_skus() -> list[dict[str, Any]]:
    """A small catalog covering both naming eras, GPUs, special cases and traps."""
    return [
        # current era, multi-region
        sku("N2C-S", "Spot Preemptible N2 Instance Core running in Americas", N2_CORE, regions=US),
        sku(
            "N2R-S",
            "Spot Preemptible N2 Instance Ram running in Americas",
            N2_RAM,
            regions=US,
            unit="GiBy.h",
            group="RAM",
        ),
        sku(
            "N2C-O",
            "N2 Instance Core running in Americas",
            N2_CORE_OD,
            usage="OnDemand",
            regions=US,
        ),
        sku(
            "N2R-O",
            "N2 Instance Ram running in Americas",
            N2_RAM_OD,
            usage="OnDemand",
            regions=US,
            unit="GiBy.h",
            group="RAM",
        ),
        # traps: custom / sole tenancy / commitment must not replace the predefined rate
        sku(
            "N2CUST",
            "Spot Preemptible N2 Custom Instance Core running in Americas",
            "0.5",
            regions=US,
        ),
        sku(
            "N2ST",
            "Spot Preemptible N2 Sole Tenancy Instance Core running in Americas",
            "0.6",
            regions=US,
        ),
        sku(
            "N2COM",
            "Commitment v1: N2 Cpu in Americas for 1 Year",
            "0.7",
            usage="Commit1Yr",
            regions=US,
        ),
        # pre-2022 era ("Preemptible …")
        sku(
            "N1C-S",
            "Preemptible N1 Predefined Instance Core running in Americas",
            N1_CORE,
            group="N1Standard",
        ),
        sku(
            "N1R-S",
            "Preemptible N1 Predefined Instance Ram running in Americas",
            N1_RAM,
            unit="GiBy.h",
            group="N1Standard",
        ),
        sku("C2C-S", "Preemptible Compute optimized Core running in Iowa", C2_CORE),
        sku(
            "C2R-S",
            "Preemptible Compute optimized Ram running in Iowa",
            C2_RAM,
            unit="GiBy.h",
            group="RAM",
        ),
        sku("E2C-S", "Spot Preemptible E2 Instance Core running in Americas", E2_CORE),
        sku(
            "E2R-S",
            "Spot Preemptible E2 Instance Ram running in Americas",
            E2_RAM,
            unit="GiBy.h",
            group="RAM",
        ),
        sku(
            "F1-S",
            "Spot Preemptible Micro Instance with burstable CPU running in Americas",
            F1,
            group="F1Micro",
        ),
        # GPUs
        sku(
            "T4-S",
            "Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas",
            T4,
            group="GPU",
        ),
        sku("A2C-S", "Spot Preemptible A2 Instance Core running in Americas", A2_CORE),
        sku(
            "A2R-S",
            "Spot Preemptible A2 Instance Ram running in Americas",
            A2_RAM,
            unit="GiBy.h",
            group="RAM",
        ),
        sku(
            "A100-S",
            "Nvidia Tesla A100 GPU attached to Spot Preemptible VMs running in Americas",
            A100,
            group="GPU",
        ),
        sku("G2C-S", "Spot Preemptible G2 Instance Core running in Americas", G2_CORE),
        sku(
            "G2R-S",
            "Spot Preemptible G2 Instance Ram running in Americas",
            G2_RAM,
            unit="GiBy.h",
            group="RAM",
        ),
        sku(
            "L4-S",
            "Nvidia L4 GPU attached to Spot Preemptible VMs running in Americas",
            L4,
            group="GPU",
        ),
        # A4/B200: a spot slice SKU carrying the wrong usage type, and its on-demand twin
        sku(
            "B200-S",
            "Spot Preemptible A4 Nvidia B200 (1 gpu slice) running in Americas",
            B200_SLICE,
            usage="OnDemand",
            group="GPU",
        ),
        sku(
            "B200-O",
            "A4 Nvidia B200 (1 gpu slice) running in Americas",
            B200_SLICE_OD,
            usage="OnDemand",
            group="GPU",
        ),
        # C3 + bundled local SSD (per GiB-month)
        sku("C3C-S", "Spot Preemptible C3 Instance Core running in Americas", C3_CORE),
        sku(
            "C3R-S",
            "Spot Preemptible C3 Instance Ram running in Americas",
            C3_RAM,
            unit="GiBy.h",
            group="RAM",
        ),
        sku(
            "LSSD-S",
            "SSD backed Local Storage attached to Spot Preemptible VMs running in Americas",
            LSSD_MO,
            unit="GiBy.mo",
            group="LocalSSD",
            family="Storage",
        ),
        # N2D has a core rate but no RAM rate → no n2d row at all
        sku("N2DC-S", "Spot Preemptible N2D AMD Instance Core running in Americas", "0.0034"),
        # unpriced and non-compute SKUs
        sku("UNPRICED", "Spot Preemptible N4 Instance Core running in Americas", None),
        sku(
            "LIC",
            "Licensing Fee for SQL Server 2012 on VM with 12 VCPU",
            None,
            usage="OnDemand",
            group="Cognosys",
            family="License",
            regions=("global",),
        ),
    ]


def aggregated(kind: str, by_zone: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for zone, entries in by_zone.items():
        if entries:
            items[f"zones/{zone}"] = {kind: entries}
        else:
            items[f"zones/{zone}"] = {
                "warning": {
                    "code": "NO_RESULTS_ON_PAGE",
                    "message": "There are no results for scope 'zones/x' on this page.",
                }
            }
    return {"kind": f"compute#{kind}AggregatedList", "items": items}


def machine_type(name: str, zone: str, cpus: int, memory_mb: int, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "compute#machineType",
        "id": str(abs(hash(name)) % 10**6),
        "creationTimestamp": "1969-12-31T16:00:00.000-08:00",
        "name": name,
        "description": f"{cpus} vCPUs",
        "guestCpus": cpus,
        "memoryMb": memory_mb,
        "maximumPersistentDisks": 128,
        "maximumPersistentDisksSizeGb": "263168",
        "zone": zone,
        "selfLink": f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/zones/{zone}/machineTypes/{name}",
        "isSharedCpu": False,
        **extra,
    }


def accelerator_type(name: str, zone: str, max_cards: int) -> dict[str, Any]:
    return {
        "kind": "compute#acceleratorType",
        "name": name,
        "description": name,
        "zone": zone,
        "maximumCardsPerInstance": max_cards,
    }


def zonal_machine_types() -> list[dict[str, Any]]:
    """Two pages of ``aggregated/machineTypes``."""
    page1 = aggregated(
        "machineTypes",
        {
            "us-central1-a": [
                machine_type("n2-standard-8", "us-central1-a", 8, 32768),
                machine_type("n1-standard-4", "us-central1-a", 4, 15360),
                machine_type(
                    "a2-highgpu-1g",
                    "us-central1-a",
                    12,
                    87040,
                    accelerators=[
                        {"guestAcceleratorType": "nvidia-tesla-a100", "guestAcceleratorCount": 1}
                    ],
                ),
                machine_type(
                    "n2-standard-2",
                    "us-central1-a",
                    2,
                    8192,
                    deprecated={"state": "DEPRECATED", "replacement": "x"},
                ),
            ],
            "us-central1-b": [machine_type("n2-standard-8", "us-central1-b", 8, 32768)],
            "europe-west4-a": [],
        },
    )
    page2 = aggregated(
        "machineTypes",
        {
            "us-east1-b": [machine_type("n2-standard-8", "us-east1-b", 8, 32768)],
            "us-central1-c": [
                machine_type("e2-micro", "us-central1-c", 2, 1024, isSharedCpu=True),
                machine_type(
                    "g2-standard-4",
                    "us-central1-c",
                    4,
                    16384,
                    accelerators=[
                        {"guestAcceleratorType": "nvidia-l4", "guestAcceleratorCount": 1}
                    ],
                ),
            ],
        },
    )
    return [page1, page2]


def zonal_accelerators() -> list[dict[str, Any]]:
    return [
        aggregated(
            "acceleratorTypes",
            {
                "us-central1-a": [accelerator_type("nvidia-tesla-t4", "us-central1-a", 4)],
                "us-central1-b": [],
            },
        )
    ]


@dataclass
class GcpApi:
    """The Cloud Billing Catalog and Compute APIs on one pytest-httpserver."""

    server: HTTPServer
    skus: list[dict[str, Any]] = field(default_factory=catalog_skus)
    page_size: int = 7
    machine_pages: list[dict[str, Any]] = field(default_factory=zonal_machine_types)
    accelerator_pages: list[dict[str, Any]] = field(default_factory=zonal_accelerators)
    requests: list[Request] = field(default_factory=list)
    #: page number (1-based) → list of responses to give before the real page
    sku_faults: dict[int, list[Response]] = field(default_factory=dict)
    compute_fault: Response | None = None

    def install(self) -> None:
        self.server.expect_request(SKU_PATH).respond_with_handler(self._skus)
        self.server.expect_request(
            f"/compute/v1/projects/{PROJECT}/aggregated/machineTypes"
        ).respond_with_handler(self._pages(lambda: self.machine_pages))
        self.server.expect_request(
            f"/compute/v1/projects/{PROJECT}/aggregated/acceleratorTypes"
        ).respond_with_handler(self._pages(lambda: self.accelerator_pages))
        self.server.expect_request("/token", method="POST").respond_with_json(
            {"access_token": "fake-access-token", "expires_in": 3600, "token_type": "Bearer"}
        )

    def _skus(self, request: Request) -> Response:
        self.requests.append(request)
        token = request.args.get("pageToken", "")
        if token and not token.startswith("p"):
            return _google_error(400, "INVALID_ARGUMENT", "Page token is not valid.")
        page = int(token[1:]) if token else 1
        faults = self.sku_faults.get(page)
        if faults:
            return faults.pop(0)
        start = (page - 1) * self.page_size
        chunk = self.skus[start : start + self.page_size]
        body: dict[str, Any] = {"skus": chunk}
        body["nextPageToken"] = f"p{page + 1}" if start + self.page_size < len(self.skus) else ""
        return Response(json.dumps(body), content_type="application/json")

    def _pages(self, pages: Callable[[], list[dict[str, Any]]]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            self.requests.append(request)
            if self.compute_fault is not None:
                return self.compute_fault
            all_pages = pages()
            token = request.args.get("pageToken", "")
            index = int(token[1:]) if token else 0
            body = dict(all_pages[index])
            if index + 1 < len(all_pages):
                body["nextPageToken"] = f"c{index + 1}"
            return Response(json.dumps(body), content_type="application/json")

        return handler

    def sku_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path == SKU_PATH]


def _google_error(code: int, status: str, message: str) -> Response:
    body = {"error": {"code": code, "message": message, "status": status}}
    return Response(json.dumps(body), status=code, content_type="application/json")


google_error = _google_error


@pytest.fixture
def gcp_api(httpserver: HTTPServer) -> GcpApi:
    api = GcpApi(httpserver)
    api.install()
    return api


@pytest.fixture(autouse=True)
def _no_developer_adc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's gcloud / ADC files (and none probes a metadata server)."""
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-adc.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)


class FakeCredentials:
    """Stands in for google-auth credentials: a fake token, real HTTP calls elsewhere."""

    def __init__(self) -> None:
        self.token: str | None = None
        self.refreshes = 0

    @property
    def valid(self) -> bool:
        return self.token is not None

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.token = "fake-access-token"


def make_settings(server: HTTPServer, **overrides: Any) -> Settings:
    base = server.url_for("").rstrip("/")
    values: dict[str, Any] = {
        "gcp_billing_url": base,
        "gcp_compute_url": base,
        "max_retries": 2,
    }
    values.update(overrides)
    return load_settings(**values)


def make_clients(settings: Settings) -> OutboundClients:
    return OutboundClients(settings, sleep=lambda s: None)
