"""The GCP feed: Cloud Billing Catalog SKUs composed with machine types."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar, Final

import httpx

from spotarb.core.config import Settings
from spotarb.core.errors import FeedError, FeedUnconfigured, ProxyUnavailableError
from spotarb.core.http import OutboundClients
from spotarb.core.models import utcnow
from spotarb.feeds.base import (
    Feed,
    FeedResult,
    ProgressCallback,
    ProgressEvent,
    RegionError,
    ignore_progress,
)
from spotarb.feeds.gcp.api import walk_pages
from spotarb.feeds.gcp.auth import Credentials, bearer_token, load_adc
from spotarb.feeds.gcp.machine_types import (
    MachineType,
    ZonalCatalog,
    add_accelerator_page,
    add_api_page,
    builtin_catalog,
    zone_region,
)
from spotarb.feeds.gcp.rows import (
    BuildReport,
    build_prices,
    families_without_shapes,
    with_n1_gpus,
)
from spotarb.feeds.gcp.skus import COMPUTE_SERVICE, RateBook

logger = logging.getLogger(__name__)

SKU_PAGE_SIZE: Final = 5000
COMPUTE_PAGE_SIZE: Final = 500
CATALOG: Final = "billing-catalog"
COMPUTE: Final = "compute-api"


class GcpFeed(Feed):
    """Spot prices per machine type, composed from per-component SKU rates."""

    name: ClassVar[str] = "gcp"

    def __init__(
        self,
        settings: Settings,
        clients: OutboundClients,
        *,
        api_key: str | None,
        credentials: Credentials | None,
        project: str | None,
        adc_problem: str = "",
    ) -> None:
        self._settings = settings
        self._clients = clients
        self._api_key = api_key
        self._credentials = credentials
        self._project = project
        #: Why ADC was not used, when it was looked up and not found.
        self._adc_problem = adc_problem
        #: Regions where a malformed SKU was skipped in this run: their rows may be incomplete.
        self._damaged: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        clients: OutboundClients,
        *,
        credentials: Credentials | None = None,
    ) -> GcpFeed:
        """API key and/or ADC. ADC is looked up when there is no key, or a project is set
        (the Compute API needs one); ``credentials`` injects a credentials object."""
        key = settings.gcp_api_key.get_secret_value() if settings.gcp_api_key else None
        project = settings.gcp_project
        reason = ""
        if credentials is None and (key is None or project):
            credentials, adc_project, reason = load_adc()
            project = project or adc_project
        if key is None and credentials is None:
            raise FeedUnconfigured(f"gcp: set SPOTARB_GCP_API_KEY or provide ADC ({reason})")
        return cls(
            settings,
            clients,
            api_key=key,
            credentials=credentials,
            project=project,
            adc_problem=reason,
        )

    def describe(self) -> str:
        auth = "API key" if self._api_key else "application-default credentials"
        specs = (
            f"Compute API machine types (project {self._project}, per zone)"
            if self._credentials is not None and self._project
            else "built-in machine-type table (regional rows)"
        )
        if self._credentials is None and self._adc_problem:
            specs += f"; Compute API not used: {self._adc_problem}"
        elif self._credentials is not None and not self._project:
            specs += "; Compute API not used: no project (set SPOTARB_GCP_PROJECT)"
        return f"Cloud Billing Catalog SKUs ({auth}) composed with {specs}"

    def reachability_url(self) -> str:
        return self._settings.gcp_billing_url

    # --- auth ----------------------------------------------------------------------
    def _token(self) -> str | None:
        if self._credentials is None:
            return None
        with self._clients.http(self.name) as client:
            return bearer_token(self._credentials, client)

    def _billing_headers(self, token: str | None) -> dict[str, str]:
        if self._api_key:
            return {"X-Goog-Api-Key": self._api_key}
        assert token is not None
        return {"Authorization": f"Bearer {token}"}

    # --- collect ---------------------------------------------------------------------
    def collect(
        self,
        *,
        since: datetime | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> FeedResult:
        if since is not None:
            logger.info("gcp: history backfill is not supported; collecting current prices")
        result = FeedResult(feed=self.name)
        self._damaged = set()
        collected_at = utcnow()
        token = self._token()
        book, complete = self._fetch_rates(token, result, progress)
        shapes, zonal_ok = self._machine_types(token, result, progress)
        wanted = set(self._settings.gcp_regions) or None
        report = BuildReport()
        result.prices = build_prices(
            book, shapes, regions=wanted, collected_at=collected_at, report=report
        )
        result.counts.update(book.counts)
        result.counts.update(report.counts)
        # With the built-in table, say which priced families it does not cover.
        unpriced = families_without_shapes(book, shapes) if zonal_ok is None else []
        if unpriced:
            result.counts["families-without-shapes"] = len(unpriced)
            message = (
                f"spot rates but no machine types for: {', '.join(unpriced)}"
                " (not guessed; the Compute API, with ADC and a project, lists their shapes)"
            )
            logger.info("gcp: %s", message)
            progress(ProgressEvent(self.name, CATALOG, "info", message=message))
        if complete:
            bad = {e.region for e in result.errors} | self._damaged
            result.regions_ok = sorted(
                r for r in report.regions if r not in bad and (zonal_ok is None or r in zonal_ok)
            )
        progress(ProgressEvent(self.name, "all", "done", rows=len(result.prices)))
        return result

    def _fetch_rates(
        self, token: str | None, result: FeedResult, progress: ProgressCallback
    ) -> tuple[RateBook, bool]:
        """Walk every SKU page. A failure after page 1 keeps the pages already read."""
        book = RateBook()
        pages = 0
        progress(ProgressEvent(self.name, CATALOG, "start"))
        with self._clients.http(
            self.name, base_url=self._settings.gcp_billing_url, headers=self._billing_headers(token)
        ) as client:
            try:
                for page in walk_pages(
                    client,
                    f"/v1/{COMPUTE_SERVICE}/skus",
                    {"pageSize": SKU_PAGE_SIZE, "currencyCode": "USD"},
                    what="GCP Cloud Billing Catalog SKUs",
                    api="billing",
                ):
                    pages += 1
                    skus = page.get("skus") or []
                    for regions, problem in book.add_skus(skus):
                        self._damaged.update(regions)
                        where = ", ".join(regions) or "no region"
                        result.errors.append(RegionError(CATALOG, f"{problem} [{where}]"))
            except FeedError as exc:
                if pages == 0:
                    raise
                result.errors.append(RegionError(CATALOG, f"{exc} (kept {pages} page(s))"))
                progress(ProgressEvent(self.name, CATALOG, "error", message=str(exc)))
                result.counts["sku-pages"] = pages
                return book, False
        result.counts["sku-pages"] = pages
        progress(ProgressEvent(self.name, CATALOG, "done", message=f"{pages} page(s)"))
        return book, True

    def _machine_types(
        self, token: str | None, result: FeedResult, progress: ProgressCallback
    ) -> tuple[list[MachineType], set[str] | None]:
        """Compute API shapes per zone when possible, else the built-in table.

        Returns the shapes and, for zonal data, the regions whose zones all answered.
        """
        if token is None or not self._project:
            if self._project or token is not None:
                message = self.describe().split("; ", 1)[-1]
                progress(ProgressEvent(self.name, COMPUTE, "info", message=message))
            return with_n1_gpus(builtin_catalog(), None), None
        progress(ProgressEvent(self.name, COMPUTE, "start"))
        catalog = ZonalCatalog(types={}, accelerators={}, skipped={})
        bad_zones: list[str] = []
        base = f"/compute/v1/projects/{self._project}/aggregated"
        try:
            with self._clients.http(
                self.name,
                base_url=self._settings.gcp_compute_url,
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                for page in self._walk(client, f"{base}/machineTypes", "machine types"):
                    for zone, problem in add_api_page(catalog, page):
                        bad_zones.append(zone)
                        result.errors.append(RegionError(zone, f"machine types: {problem}"))
                for page in self._walk(client, f"{base}/acceleratorTypes", "accelerator types"):
                    add_accelerator_page(catalog, page)
        except ProxyUnavailableError:
            raise
        except FeedError as exc:
            result.errors.append(
                RegionError(COMPUTE, f"{exc}; using the built-in machine-type table instead")
            )
            progress(ProgressEvent(self.name, COMPUTE, "error", message=str(exc)))
            return with_n1_gpus(builtin_catalog(), None), None
        for reason, n in catalog.skipped.items():
            result.counts[f"machine-types-skipped-{reason}"] = n
        result.counts["machine-types"] = len(catalog.types)
        progress(ProgressEvent(self.name, COMPUTE, "done", rows=len(catalog.types)))
        shapes = with_n1_gpus(list(catalog.types.values()), catalog.accelerators)
        zones = {z for s in shapes for z in s.zones}
        bad_regions = {zone_region(z) for z in bad_zones}
        ok = {zone_region(z) for z in zones} - bad_regions
        return shapes, ok

    def _walk(self, client: httpx.Client, path: str, what: str) -> Any:
        return walk_pages(
            client,
            path,
            {"maxResults": COMPUTE_PAGE_SIZE},
            what=f"GCP Compute API {what}",
            api="compute",
        )
