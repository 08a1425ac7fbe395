"""The Azure feed: Retail Prices spot items + specs + eviction rates → SpotPrice rows.

Without credentials: prices and on-demand baselines from the Retail Prices
API, specs from the size name (:mod:`.sizes`), interruption rate unknown.
With azure-identity credentials: specs from Resource SKUs (when a
subscription is set) and eviction rates from Resource Graph.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol

import httpx

from spotarb.core.config import Settings
from spotarb.core.errors import FeedError, ProxyUnavailableError, ValidationError
from spotarb.core.gpus import UNKNOWN_PREFIX, gpu_from_azure_size
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice, utcnow
from spotarb.feeds.azure.eviction import fetch_eviction_rates
from spotarb.feeds.azure.regions import regions_from_settings
from spotarb.feeds.azure.retail import Selection, select_items, walk_region
from spotarb.feeds.azure.sizes import SizeSpec, spec_from_name
from spotarb.feeds.azure.skus import SkuSpec, fetch_skus
from spotarb.feeds.base import (
    Feed,
    FeedResult,
    ProgressCallback,
    ProgressEvent,
    RegionError,
    ignore_progress,
)

logger = logging.getLogger(__name__)

#: The ARM audience; stays the same when the management URL points at a mirror.
TOKEN_SCOPE: Final = "https://management.azure.com/.default"
SOURCE: Final = "azure-retail-prices"
INTERRUPTION_SOURCE: Final = "azure-eviction-rate"


class TokenCredential(Protocol):
    """What the feed needs of an azure-identity credential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


def default_credential(settings: Settings) -> TokenCredential | None:
    """azure-identity's DefaultAzureCredential (lazy import), or None when not installed."""
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        logger.info("azure-identity is not installed (pip install 'spotarb[azure]')")
        return None
    kwargs: dict[str, Any] = {}
    proxy = settings.proxy_for("azure")
    if proxy:
        kwargs["proxies"] = {"http": proxy, "https": proxy}
    if settings.ca_bundle:
        kwargs["connection_verify"] = settings.ca_bundle
    credential: TokenCredential = DefaultAzureCredential(**kwargs)
    return credential


def resolve_spec(size_name: str, sku: SkuSpec | None) -> SizeSpec | None:
    """Resource SKUs numbers when present; the size name for the GPU model (and as fallback)."""
    from_name = spec_from_name(size_name)
    if sku is None or not sku.vcpu or not sku.memory_gb:
        return from_name
    gpu_count = sku.gpu_count or 0
    gpu_type: str | None = None
    gpu_memory: float | None = None
    if gpu_count:
        gpu_type = gpu_from_azure_size(size_name) or f"{UNKNOWN_PREFIX}azure:{size_name}"
        if from_name is not None and from_name.gpu_count:
            gpu_memory = from_name.gpu_memory_gb
    arch = sku.arch or (from_name.arch if from_name else "x86_64")
    return SizeSpec(
        vcpu=sku.vcpu,
        memory_gb=sku.memory_gb,
        gpu_count=gpu_count,
        gpu_type=gpu_type,
        gpu_memory_gb=gpu_memory,
        arch=arch,
    )


@dataclass(slots=True)
class RegionOutcome:
    """What one region's walk produced; merged into the run in region order."""

    region: str
    status: str = "done"  # "done", "error" or "empty"
    rows: list[SpotPrice] = field(default_factory=list)
    errors: list[RegionError] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    unknown_sizes: set[str] = field(default_factory=set)


class AzureFeed(Feed):
    """Azure spot prices from the Retail Prices API, one walk per region."""

    name: ClassVar[str] = "azure"

    def __init__(
        self,
        settings: Settings,
        clients: OutboundClients,
        *,
        credential: TokenCredential | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.credential = credential
        self.regions = regions_from_settings(settings.azure_regions)

    @classmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> AzureFeed:
        credential = default_credential(settings) if settings.azure_use_credentials else None
        return cls(settings, clients, credential=credential)

    def describe(self) -> str:
        extra = "specs from Resource SKUs, eviction rates" if self.credential else "size-name specs"
        return (
            f"Azure Retail Prices API ({self.settings.azure_prices_url}), "
            f"{len(self.regions)} regions; {extra}"
        )

    def reachability_url(self) -> str:
        return self.settings.azure_prices_url

    def _token(self) -> str | None:
        if self.credential is None:
            return None
        # DefaultAzureCredential logs a multi-line WARNING per credential it tried; on a
        # machine without Azure credentials that is expected, so say it once, at INFO.
        identity_logger = logging.getLogger("azure.identity")
        level = identity_logger.level
        identity_logger.setLevel(logging.ERROR)
        try:
            token = self.credential.get_token(TOKEN_SCOPE)
        except Exception as exc:  # azure-identity raises its own error types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            logger.info("no Azure credentials (%s); prices and size-name specs only", first)
            return None
        finally:
            identity_logger.setLevel(level)
        value = getattr(token, "token", None)
        return value if isinstance(value, str) and value else None

    def collect(
        self,
        *,
        since: datetime | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> FeedResult:
        """Walk every region; ``since`` is ignored (Retail Prices has no spot history)."""
        now = utcnow()
        result = FeedResult(feed=self.name)
        counts: Counter[str] = Counter()
        token = self._token()
        counts["credentials"] = int(token is not None)
        evictions: dict[tuple[str, str], float] = {}
        subscription = self.settings.azure_subscription_id
        mgmt_url = self.settings.azure_management_url
        with self.clients.http(self.name) as prices_client:
            mgmt: httpx.Client | None = None
            if token:
                mgmt = self.clients.http(self.name, headers={"Authorization": f"Bearer {token}"})
            try:
                if mgmt is not None:
                    try:
                        evictions = fetch_eviction_rates(mgmt, mgmt_url, self.regions)
                    except ProxyUnavailableError:
                        raise
                    except FeedError as exc:
                        result.errors.append(RegionError("*", f"eviction rates: {exc}"))
                    counts["eviction_rates"] = len(evictions)
                    if not subscription:
                        logger.info(
                            "SPOTARB_AZURE_SUBSCRIPTION_ID is not set: specs from size names"
                        )
                region_mgmt = mgmt if subscription else None
                workers = max(1, min(self.settings.azure_concurrency, len(self.regions)))
                with ThreadPoolExecutor(workers, thread_name_prefix="azure-region") as pool:
                    futures = []
                    for region in self.regions:
                        progress(ProgressEvent(self.name, region, "start"))
                        futures.append(
                            pool.submit(
                                self._collect_region,
                                region,
                                prices_client,
                                region_mgmt,
                                evictions,
                                now,
                            )
                        )
                    try:
                        outcomes = [
                            self._merge(f.result(), result, counts, progress) for f in futures
                        ]
                    except BaseException:
                        pool.shutdown(wait=True, cancel_futures=True)
                        raise
            finally:
                if mgmt is not None:
                    mgmt.close()
        empty = [o.region for o in outcomes if o.status == "empty"]
        unknown_sizes = set().union(*(o.unknown_sizes for o in outcomes))
        if empty:
            logger.warning(
                "azure: %d region(s) returned no items: %s", len(empty), ", ".join(empty)
            )
        if unknown_sizes:
            names = sorted(unknown_sizes)
            logger.warning(
                "azure: no specs for %d size(s), rows skipped: %s%s",
                len(names),
                ", ".join(names[:20]),
                " …" if len(names) > 20 else "",
            )
        counts["regions_empty"] = len(empty)
        counts["rows"] = len(result.prices)
        result.counts = dict(counts)
        return result

    def _merge(
        self,
        outcome: RegionOutcome,
        result: FeedResult,
        counts: Counter[str],
        progress: ProgressCallback,
    ) -> RegionOutcome:
        """Fold one region's outcome into the run (in region order) and report progress."""
        result.prices.extend(outcome.rows)
        result.errors.extend(outcome.errors)
        counts.update(outcome.counts)
        region = outcome.region
        if outcome.status == "error":
            counts["regions_failed"] += 1
            progress(ProgressEvent(self.name, region, "error", 0, outcome.errors[0].message))
        elif outcome.status == "empty":
            progress(ProgressEvent(self.name, region, "info", 0, "no items returned"))
        else:
            result.regions_ok.append(region)
            progress(ProgressEvent(self.name, region, "done", len(outcome.rows)))
        return outcome

    def _collect_region(
        self,
        region: str,
        prices_client: httpx.Client,
        mgmt: httpx.Client | None,
        evictions: dict[tuple[str, str], float],
        now: datetime,
    ) -> RegionOutcome:
        """One region: walk, select, specs, rows. Runs in a worker thread."""
        out = RegionOutcome(region)
        try:
            walk = walk_region(prices_client, self.settings.azure_prices_url, region)
        except ProxyUnavailableError:
            raise
        except FeedError as exc:
            out.errors.append(RegionError(region, str(exc)))
            out.status = "error"
            return out
        out.counts["pages"] += walk.pages
        out.counts["items"] += len(walk.items)
        out.counts["skip_fallbacks"] += walk.skip_fallbacks
        if not walk.items:
            out.status = "empty"
            return out
        selection = select_items(walk.items, region=region, now=now)
        for reason, n in selection.skipped.items():
            out.counts[f"skipped_{reason}"] += n
        if selection.malformed:
            shown = "; ".join(selection.malformed[:3])
            extra = len(selection.malformed) - 3
            more = f" (+{extra} more)" if extra > 0 else ""
            message = f"{len(selection.malformed)} malformed item(s) skipped: {shown}{more}"
            logger.warning("azure %s: %s", region, message)
            out.errors.append(RegionError(region, message))
        skus: dict[str, SkuSpec] = {}
        if mgmt is not None and self.settings.azure_subscription_id:
            try:
                skus = fetch_skus(
                    mgmt,
                    self.settings.azure_management_url,
                    self.settings.azure_subscription_id,
                    region,
                )
            except ProxyUnavailableError:
                raise
            except FeedError as exc:
                out.errors.append(RegionError(region, f"resource SKUs: {exc}"))
        out.rows = self._rows(
            region, selection, skus, evictions, now, out.counts, out.unknown_sizes
        )
        return out

    def _rows(
        self,
        region: str,
        selection: Selection,
        skus: dict[str, SkuSpec],
        evictions: dict[tuple[str, str], float],
        now: datetime,
        counts: Counter[str],
        unknown_sizes: set[str],
    ) -> list[SpotPrice]:
        rows: list[SpotPrice] = []
        for (item_region, size), chosen in selection.spot.items():
            sku = skus.get(size.lower())
            if sku is not None and sku.restricted:
                counts["skipped_restricted"] += 1
                continue
            spec = resolve_spec(size, sku)
            if spec is None:
                counts["skipped_unknown_size"] += 1
                unknown_sizes.add(size)
                continue
            on_demand = selection.on_demand.get((item_region, size))
            rate = evictions.get((size.lower(), item_region))
            try:
                row = SpotPrice(
                    provider="azure",
                    region=item_region,
                    availability_zone="",
                    instance_type=size,
                    vcpu=spec.vcpu,
                    memory_gb=spec.memory_gb,
                    gpu_count=spec.gpu_count,
                    gpu_type=spec.gpu_type,
                    gpu_memory_gb=spec.gpu_memory_gb,
                    arch=spec.arch,
                    os="linux",
                    price_per_hour=float(chosen.price_per_hour),
                    on_demand_price_per_hour=(
                        float(on_demand.price_per_hour) if on_demand is not None else None
                    ),
                    interruption_rate=rate,
                    interruption_source=INTERRUPTION_SOURCE if rate is not None else None,
                    source=SOURCE,
                    observed_at=chosen.effective,
                    collected_at=now,
                )
            except ValidationError as exc:
                counts["skipped_invalid"] += 1
                logger.warning("azure %s %s: row refused: %s", region, size, exc)
                continue
            if on_demand is None:
                counts["no_on_demand"] += 1
            if rate is not None:
                counts["with_eviction_rate"] += 1
            rows.append(row)
        return rows
