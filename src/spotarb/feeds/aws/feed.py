"""The AWS feed: per-AZ spot prices with credentials, region-level prices without.

Credentialed mode (boto3's standard credential chain found credentials):
``DescribeSpotPriceHistory`` per region in parallel (bounded pool), specs from
``DescribeInstanceTypes`` (cached), interruption rates from the Spot Advisor,
on-demand prices from the Price List API (the advisor's estimate as fallback).
If every region rejects the credentials, the run falls back to credential-free.

Credential-free mode (no credentials, or boto3 not installed): the public spot
pricing feed (region-level Linux prices) with specs from the Spot Advisor's
``instance_types`` plus a built-in GPU table. Here the advisor is required (no
specs without it); in credentialed mode its failure only loses interruption rates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Final

from spotarb.core.config import Settings
from spotarb.core.errors import FeedError, FeedFetchError, ProxyUnavailableError
from spotarb.core.http import OutboundClients
from spotarb.core.models import FIELD_NAMES, SpotPrice, utcnow
from spotarb.feeds.aws import ec2
from spotarb.feeds.aws.advisor import (
    DEFAULT_ADVISOR_CACHE,
    INTERRUPTION_SOURCE,
    AdvisorCache,
    AdvisorData,
    on_demand_from_savings,
)
from spotarb.feeds.aws.pricing import (
    DEFAULT_ON_DEMAND_CACHE,
    PRICING_REGION,
    OnDemandCache,
    on_demand_prices,
)
from spotarb.feeds.aws.public_feed import fetch_public_feed, parse_public_feed
from spotarb.feeds.aws.specs import DEFAULT_SPEC_CACHE, InstanceSpec, SpecCache
from spotarb.feeds.base import (
    Feed,
    FeedResult,
    ProgressCallback,
    ProgressEvent,
    RegionError,
    ignore_progress,
)

logger = logging.getLogger(__name__)

SOURCE_API: Final = "aws-ec2-api"
SOURCE_PUBLIC: Final = "aws-public-spot-feed"
#: Region used for DescribeRegions when no regions are configured.
HOME_REGION: Final = "us-east-1"
MAX_REGION_WORKERS: Final = 8


def detect_credentials() -> tuple[bool, str]:
    """(found?, why) from boto3's standard chain; never reads or returns the secrets."""
    try:
        import boto3
    except ImportError:
        return False, "boto3 is not installed (pip install 'spotarb[aws]')"
    try:
        credentials = boto3.Session().get_credentials()
    except Exception as exc:  # a broken profile must not break credential-free mode
        return False, f"no usable AWS credentials ({type(exc).__name__})"
    if credentials is None:
        return False, "no AWS credentials in boto3's standard chain"
    method = getattr(credentials, "method", "") or "boto3 chain"
    return True, f"credentials from {method}"


#: Error codes that mean "these credentials are not accepted", not a regional outage.
_AUTH_CODES: Final = (
    "AuthFailure",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
)
#: FeedResult.errors entries that are not regions.
_SUB_SOURCES: Final = frozenset({"spot-advisor", "specs", "pricing"})


def _is_auth_error(message: str) -> bool:
    return any(code in message for code in _AUTH_CODES)


def _client_error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code = error.get("Code", "")
        message = str(error.get("Message", "")).replace("\n", " ")[:200]
        if code:
            return f"{code}: {message}" if message else str(code)
    name = type(exc).__name__
    if name in {"ReadTimeoutError", "ConnectTimeoutError"}:
        return f"timed out ({name})"
    return f"{name}: {_scrub(str(exc))[:200]}"


_USERINFO: Final = re.compile(r"(\w+://[^/@\s:]+):[^/@\s]+@")


def _scrub(text: str) -> str:
    """Hide passwords of any URL inside an error message (``user:***@host``)."""
    return _USERINFO.sub(r"\1:***@", text)


@dataclass(slots=True)
class _RegionRun:
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


class AwsFeed(Feed):
    """AWS spot prices; see the module docstring for the two modes."""

    name: ClassVar[str] = "aws"

    def __init__(
        self,
        settings: Settings,
        clients: OutboundClients,
        *,
        credentialed: bool,
        credential_note: str,
        spec_cache: SpecCache | None = None,
        advisor_cache: AdvisorCache | None = None,
        on_demand_cache: OnDemandCache | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self.credentialed = credentialed
        self.credential_note = credential_note
        self.spec_cache = spec_cache or DEFAULT_SPEC_CACHE
        self.advisor_cache = advisor_cache or DEFAULT_ADVISOR_CACHE
        self.on_demand_cache = on_demand_cache or DEFAULT_ON_DEMAND_CACHE

    @property
    def uses_price_list(self) -> bool:
        """The Price List API is used against real AWS, or when its endpoint is set."""
        s = self.settings
        return bool(s.aws_pricing_endpoint_url) or not s.aws_endpoint_url

    @classmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> AwsFeed:
        found, note = detect_credentials()
        return cls(settings, clients, credentialed=found, credential_note=note)

    @property
    def mode(self) -> str:
        return "api" if self.credentialed else "public"

    def describe(self) -> str:
        regions = ",".join(self.settings.aws_regions) or "all enabled"
        if self.credentialed:
            where = (
                f" at {self.settings.aws_endpoint_url}" if self.settings.aws_endpoint_url else ""
            )
            on_demand = (
                "on-demand from the Price List API"
                if self.uses_price_list
                else "on-demand estimated from the Spot Advisor"
            )
            return (
                f"AWS EC2 API{where} (per-AZ spot prices, {self.credential_note}; regions: "
                f"{regions}) + Spot Advisor; {on_demand}"
            )
        return (
            f"AWS credential-free mode: public spot feed (region-level prices) + Spot Advisor "
            f"({self.credential_note}; regions: {','.join(self.settings.aws_regions) or 'all'})"
        )

    def reachability_url(self) -> str:
        """The advisor (credential-free), else EC2 in the first region asked."""
        if not self.credentialed:
            return self.settings.aws_advisor_url
        if self.settings.aws_endpoint_url:
            return self.settings.aws_endpoint_url
        region = (self.settings.aws_regions or [HOME_REGION])[0]
        return f"https://ec2.{region}.amazonaws.com"

    # ------------------------------------------------------------------ collect
    def collect(
        self,
        *,
        since: datetime | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> FeedResult:
        if not self.credentialed:
            return self._collect_public(since, progress)
        try:
            result = self._collect_api(since, progress)
        except FeedFetchError as exc:
            if isinstance(exc, ProxyUnavailableError) or not _is_auth_error(str(exc)):
                raise
            return self._fall_back_to_public(str(exc), since, progress)
        region_errors = [e for e in result.errors if e.region not in _SUB_SOURCES]
        if (
            not result.prices
            and region_errors
            and all(_is_auth_error(e.message) for e in region_errors)
        ):
            first = f"{region_errors[0].region}: {region_errors[0].message}"
            return self._fall_back_to_public(first, since, progress)
        return result

    def _fall_back_to_public(
        self, why: str, since: datetime | None, progress: ProgressCallback
    ) -> FeedResult:
        """Credentials that every region rejects: still give the credential-free picture."""
        message = f"AWS credentials rejected ({why}); used the public spot feed instead"
        logger.warning("aws: %s", message)
        progress(ProgressEvent(self.name, "ec2-api", "error", message=message))
        result = self._collect_public(since, progress)
        result.errors.insert(0, RegionError("ec2-api", message))
        return result

    def _advisor(self, result: FeedResult, progress: ProgressCallback) -> AdvisorData | None:
        try:
            return self.advisor_cache.get(
                self.settings.aws_advisor_url,
                self.clients,
                max_age=self.settings.aws_advisor_interval,
            )
        except ProxyUnavailableError:
            raise
        except FeedError as exc:
            result.errors.append(RegionError("spot-advisor", str(exc)))
            progress(ProgressEvent(self.name, "spot-advisor", "error", message=str(exc)))
            return None

    def _boto3_clients(self, regions: Sequence[str]) -> dict[str, Any]:
        """One EC2 client per region, made up front from one session.

        Sessions are not thread-safe but clients are; making them here, in one
        thread, also loads the EC2 service model once instead of once per region.
        """
        import boto3

        session = boto3.Session()
        kwargs = self.clients.boto3_client_kwargs("aws")
        return {r: session.client("ec2", region_name=r, **kwargs) for r in regions}

    def _pricing_client(self) -> Any:
        import boto3

        kwargs = self.clients.boto3_client_kwargs("aws")
        kwargs.pop("endpoint_url", None)
        if self.settings.aws_pricing_endpoint_url:
            kwargs["endpoint_url"] = self.settings.aws_pricing_endpoint_url
        return boto3.Session().client("pricing", region_name=PRICING_REGION, **kwargs)

    def _proxy_or(self, exc: BaseException) -> None:
        mapped = self.clients.proxy_error("aws", exc)
        if mapped is not None:
            raise mapped from None

    def _regions(self) -> list[str]:
        if self.settings.aws_regions:
            return list(self.settings.aws_regions)
        try:
            return ec2.enabled_regions(self._boto3_clients([HOME_REGION])[HOME_REGION])
        except Exception as exc:
            self._proxy_or(exc)
            raise FeedFetchError(
                f"aws: cannot list regions: {_client_error_message(exc)}"
            ) from None

    def _collect_api(self, since: datetime | None, progress: ProgressCallback) -> FeedResult:
        result = FeedResult(feed=self.name)
        regions = self._regions()
        advisor = self._advisor(result, progress)
        boto_clients = self._boto3_clients(regions)
        pricing = self._pricing_client() if self.uses_price_list else None
        collected_at = utcnow()
        workers = max(1, min(MAX_REGION_WORKERS, len(regions)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aws-region") as pool:
            futures = [
                pool.submit(
                    self._collect_region,
                    r,
                    boto_clients[r],
                    pricing,
                    since,
                    collected_at,
                    advisor,
                    progress,
                )
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
        self._report_no_specs(no_specs, progress)
        if pricing_errors:
            message = (
                f"on-demand from the Spot Advisor estimate in {len(pricing_errors)} region(s); "
                f"Price List API failed: {pricing_errors[0]}"
            )
            logger.warning("aws: %s", message)
            progress(ProgressEvent(self.name, "pricing", "info", message=message))
        return result

    def _report_no_specs(self, no_specs: set[str], progress: ProgressCallback) -> None:
        if not no_specs:
            return
        names = ", ".join(sorted(no_specs))
        logger.warning("aws: %d instance type(s) without specs skipped: %s", len(no_specs), names)
        progress(
            ProgressEvent(
                self.name, "specs", "info", message=f"no specs for {len(no_specs)} type(s): {names}"
            )
        )

    def _collect_region(
        self,
        region: str,
        client: Any,
        pricing: Any,
        since: datetime | None,
        collected_at: datetime,
        advisor: AdvisorData | None,
        progress: ProgressCallback,
    ) -> _RegionRun:
        run = _RegionRun(region)
        progress(ProgressEvent(self.name, region, "start"))
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
            self._proxy_or(exc)
            run.error = _client_error_message(exc)
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
            progress(ProgressEvent(self.name, region, "error", len(run.prices), run.error))
        else:
            progress(ProgressEvent(self.name, region, "done", len(run.prices)))
        return run

    def _list_prices(self, pricing: Any, region: str, run: _RegionRun) -> dict[str, float]:
        """On-demand list prices; a failure falls back to the advisor estimate (noted)."""
        scope = f"{self.settings.aws_pricing_endpoint_url or 'aws'}|{region}"
        try:
            return self.on_demand_cache.get(scope, lambda: on_demand_prices(pricing, region))
        except FeedError as exc:
            run.pricing_error = str(exc)
        except Exception as exc:
            self._proxy_or(exc)
            run.pricing_error = _client_error_message(exc)
        return {}

    def _specs(self, client: Any, region: str, types: set[str]) -> dict[str, InstanceSpec]:
        scope = f"{self.settings.aws_endpoint_url or 'aws'}|{region}"
        found, missing = self.spec_cache.lookup(scope, types)
        if missing:
            fetched = ec2.instance_specs(client, missing)
            self.spec_cache.store(scope, missing, fetched)
            found.update(fetched)
        return found

    # ---------------------------------------------------------- credential-free
    def _collect_public(self, since: datetime | None, progress: ProgressCallback) -> FeedResult:
        result = FeedResult(feed=self.name)
        if since is not None:
            progress(
                ProgressEvent(
                    self.name,
                    "history",
                    "info",
                    message="credential-free mode has no price history; --since ignored",
                )
            )
        advisor = self.advisor_cache.get(
            self.settings.aws_advisor_url,
            self.clients,
            max_age=self.settings.aws_advisor_interval,
        )
        collected_at = utcnow()
        progress(ProgressEvent(self.name, "public-spot-feed", "start"))
        with self.clients.http("aws") as client:
            payload, last_modified = fetch_public_feed(client, self.settings.aws_spot_feed_url)
        # The feed has no per-price timestamps; its Last-Modified is the best "took effect".
        observed_at = last_modified or collected_at
        parsed = parse_public_feed(payload)
        wanted = set(self.settings.aws_regions)
        no_specs: set[str] = set()
        seen_regions: dict[str, int] = {}
        for item in parsed.prices:
            if wanted and item.region not in wanted:
                continue
            seen_regions.setdefault(item.region, 0)
            spec = advisor.spec(item.instance_type)
            if spec is None:
                no_specs.add(item.instance_type)
                continue
            result.prices.append(
                _build_row(
                    item.region,
                    "",
                    spec,
                    float(item.price),
                    advisor,
                    source=SOURCE_PUBLIC,
                    observed_at=observed_at,
                    collected_at=collected_at,
                )
            )
            seen_regions[item.region] += 1
        result.regions_ok = sorted(seen_regions)
        for region in sorted(wanted - set(seen_regions)):
            result.errors.append(RegionError(region, "region not in the public spot feed"))
        if parsed.malformed:
            result.errors.append(
                RegionError("public-spot-feed", f"{parsed.malformed} malformed price(s) skipped")
            )
        result.counts = {
            "regions": len(seen_regions),
            "rows": len(result.prices),
            "not_available": parsed.not_available,
            "malformed_items": parsed.malformed,
            "types_without_specs": len(no_specs),
        }
        self._report_no_specs(no_specs, progress)
        progress(ProgressEvent(self.name, "public-spot-feed", "done", len(result.prices)))
        return result


def rows_from_points(
    region: str,
    points: Iterable[ec2.ChangePoint],
    specs: Mapping[str, InstanceSpec],
    advisor: AdvisorData | None,
    collected_at: datetime,
    no_specs: set[str],
    list_prices: Mapping[str, float] | None = None,
) -> list[SpotPrice]:
    """Change points → validated rows, specs and advisor data joined.

    The first point of each (AZ, type) is built (and validated) in full; later
    points of the same key copy it and set only price, on-demand estimate and
    ``observed_at``, which :mod:`.ec2` has already validated (finite positive
    price, UTC timestamp). That keeps a 100k-point backfill well under a second.

    On-demand: the Price List price of the type when ``list_prices`` has it, else
    the Spot Advisor estimate.
    """
    list_prices = list_prices or {}
    templates: dict[tuple[str, str], tuple[SpotPrice, list[tuple[str, Any]]]] = {}
    rows: list[SpotPrice] = []
    for point in points:
        key = (point.availability_zone, point.instance_type)
        found = templates.get(key)
        if found is None:
            spec = specs.get(point.instance_type)
            if spec is None:
                no_specs.add(point.instance_type)
                continue
            row = _build_row(
                region,
                point.availability_zone,
                spec,
                point.price,
                advisor,
                source=SOURCE_API,
                observed_at=point.timestamp,
                collected_at=collected_at,
                on_demand=list_prices.get(point.instance_type),
            )
            templates[key] = (row, [(name, getattr(row, name)) for name in FIELD_NAMES])
        else:
            template, values = found
            row = object.__new__(SpotPrice)  # a copy of a validated row (copy.copy is 3x slower)
            for name, value in values:
                setattr(row, name, value)
            row.price_per_hour = point.price
            row.observed_at = point.timestamp
            if point.instance_type in list_prices:
                pass  # a list price does not move with the spot price
            elif template.on_demand_price_per_hour is not None:
                ratio = template.on_demand_price_per_hour / template.price_per_hour
                row.on_demand_price_per_hour = point.price * ratio
        rows.append(row)
    return rows


def _build_row(
    region: str,
    zone: str,
    spec: InstanceSpec,
    price: float,
    advisor: AdvisorData | None,
    *,
    source: str,
    observed_at: datetime,
    collected_at: datetime,
    on_demand: float | None = None,
) -> SpotPrice:
    entry = advisor.entry(region, spec.instance_type) if advisor else None
    rate = entry.interruption_rate if entry else None
    return SpotPrice(
        provider="aws",
        region=region,
        availability_zone=zone,
        instance_type=spec.instance_type,
        vcpu=spec.vcpu,
        memory_gb=spec.memory_gb,
        gpu_count=spec.gpu_count,
        gpu_type=spec.gpu_type,
        gpu_memory_gb=spec.gpu_memory_gb,
        arch=spec.arch,
        network_bandwidth_gbps=spec.network_bandwidth_gbps,
        price_per_hour=price,
        on_demand_price_per_hour=(
            on_demand
            if on_demand is not None
            else on_demand_from_savings(price, entry.savings_pct if entry else None)
        ),
        interruption_rate=rate,
        interruption_source=INTERRUPTION_SOURCE if rate is not None else None,
        source=source,
        observed_at=observed_at,
        collected_at=collected_at,
    )


__all__: Sequence[str] = (
    "SOURCE_API",
    "SOURCE_PUBLIC",
    "AwsFeed",
    "detect_credentials",
    "rows_from_points",
)
