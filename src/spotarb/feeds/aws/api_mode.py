"""Credentialed mode: ``DescribeSpotPriceHistory`` per region in parallel (bounded pool).

Per region: the change points, specs of the types seen (:mod:`.specs`, cached),
on-demand list prices (:mod:`.pricing`, cached; the advisor estimate when they
fail). A region that fails is a region error; a proxy failure stops the run.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from spotarb.core.config import Settings
from spotarb.core.errors import FeedError, ProxyUnavailableError
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice, utcnow
from spotarb.feeds.aws import ec2
from spotarb.feeds.aws.advisor import AdvisorData
from spotarb.feeds.aws.auth import client_error_message
from spotarb.feeds.aws.pricing import OnDemandCache, on_demand_prices
from spotarb.feeds.aws.rows import report_no_specs, rows_from_points
from spotarb.feeds.aws.specs import InstanceSpec, SpecCache, cached_specs
from spotarb.feeds.base import FeedResult, ProgressCallback, ProgressEvent, RegionError

logger = logging.getLogger(__name__)

MAX_REGION_WORKERS: Final = 8


@dataclass(slots=True)
class RegionRun:
    region: str
    prices: list[SpotPrice] = field(default_factory=list)
    history: list[SpotPrice] = field(default_factory=list)
    error: str = ""
    items: int = 0
    malformed: int = 0
    other_products: int = 0
    no_specs: set[str] = field(default_factory=set)
    pricing_error: str = ""
    list_prices: int = 0


@dataclass(slots=True)
class ApiCollector:
    """One credentialed run over regions whose EC2 (and Price List) clients are made."""

    settings: Settings
    clients: OutboundClients
    spec_cache: SpecCache
    on_demand_cache: OnDemandCache
    progress: ProgressCallback

    def collect(
        self,
        result: FeedResult,
        boto_clients: dict[str, Any],
        pricing: Any,
        advisor: AdvisorData | None,
        since: datetime | None,
    ) -> FeedResult:
        regions = list(boto_clients)
        collected_at = utcnow()
        workers = max(1, min(MAX_REGION_WORKERS, len(regions)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws-region") as pool:
            futures = [
                pool.submit(self.region, r, boto_clients[r], pricing, since, collected_at, advisor)
                for r in regions
            ]
            runs = [f.result() for f in futures]  # re-raises ProxyUnavailableError
        no_specs: set[str] = set()
        pricing_errors = [f"{r.region}: {r.pricing_error}" for r in runs if r.pricing_error]
        for run in runs:
            result.prices.extend(run.prices)
            result.history.extend(run.history)
            no_specs |= run.no_specs
            if run.error:
                result.errors.append(RegionError(run.region, run.error))
            else:
                result.regions_ok.append(run.region)
        result.counts = {
            "regions": len(regions),
            "regions_ok": len(result.regions_ok),
            "items": sum(r.items for r in runs),
            "malformed_items": sum(r.malformed for r in runs),
            "other_products": sum(r.other_products for r in runs),
            "rows": len(result.prices),
            "history_rows": len(result.history),
            "types_without_specs": len(no_specs),
            "rows_with_list_on_demand": sum(r.list_prices for r in runs),
            "pricing_errors": len(pricing_errors),
        }
        report_no_specs(no_specs, self.progress)
        if pricing_errors:
            message = (
                f"on-demand from the Spot Advisor estimate in {len(pricing_errors)} region(s); "
                f"Price List API failed: {pricing_errors[0]}"
            )
            logger.warning("aws: %s", message)
            self.progress(ProgressEvent("aws", "pricing", "info", message=message))
        return result

    def proxy_or(self, exc: BaseException) -> None:
        """Re-raise a botocore proxy failure as :class:`ProxyUnavailableError`."""
        mapped = self.clients.proxy_error("aws", exc)
        if mapped is not None:
            raise mapped from None

    def region(
        self,
        region: str,
        client: Any,
        pricing: Any,
        since: datetime | None,
        collected_at: datetime,
        advisor: AdvisorData | None,
    ) -> RegionRun:
        run = RegionRun(region)
        self.progress(ProgressEvent("aws", region, "start"))
        try:
            items = list(
                ec2.spot_price_history(client, start=since or collected_at, end=collected_at)
            )
            run.items = len(items)
            norm = ec2.normalize_history(items, keep_points=since is not None)
            run.malformed, run.other_products = norm.malformed, norm.other_products
            needed = {key[1] for key in norm.latest} | {p.instance_type for p in norm.points}
            specs = self._specs(client, region, needed)
            list_prices = self._list_prices(pricing, region, run) if pricing is not None else {}
        except ProxyUnavailableError:
            raise  # fail closed: the whole run stops, nothing goes around the proxy
        except FeedError as exc:
            run.error = str(exc)
        except Exception as exc:
            self.proxy_or(exc)
            run.error = client_error_message(exc)
        else:
            run.prices = rows_from_points(
                region,
                norm.latest.values(),
                specs,
                advisor,
                collected_at,
                run.no_specs,
                list_prices,
            )
            run.history = rows_from_points(
                region, norm.points, specs, advisor, collected_at, run.no_specs, list_prices
            )
            run.list_prices = sum(1 for r in run.prices if r.instance_type in list_prices)
            if norm.malformed:
                run.error = (
                    f"{norm.malformed} malformed DescribeSpotPriceHistory item(s) skipped; "
                    f"first: {norm.first_problem}"
                )
        if run.error:
            logger.warning("aws %s: %s", region, run.error)
            self.progress(ProgressEvent("aws", region, "error", len(run.prices), run.error))
        else:
            self.progress(ProgressEvent("aws", region, "done", len(run.prices)))
        return run

    def _list_prices(self, pricing: Any, region: str, run: RegionRun) -> dict[str, float]:
        """On-demand list prices; a failure falls back to the advisor estimate (noted)."""
        scope = f"{self.settings.aws_pricing_endpoint_url or 'aws'}|{region}"
        try:
            return self.on_demand_cache.get_or_fetch(
                scope, lambda: on_demand_prices(pricing, region)
            )
        except FeedError as exc:
            run.pricing_error = str(exc)
        except Exception as exc:
            self.proxy_or(exc)
            run.pricing_error = client_error_message(exc)
        return {}

    def _specs(self, client: Any, region: str, types: set[str]) -> dict[str, InstanceSpec]:
        scope = f"{self.settings.aws_endpoint_url or 'aws'}|{region}"
        return cached_specs(
            self.spec_cache, scope, types, lambda missing: ec2.instance_specs(client, missing)
        )
