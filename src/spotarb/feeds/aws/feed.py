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
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Final

from spotarb.core.config import Settings
from spotarb.core.errors import FeedError, FeedFetchError, ProxyUnavailableError
from spotarb.core.http import OutboundClients
from spotarb.feeds.aws import ec2
from spotarb.feeds.aws.advisor import DEFAULT_ADVISOR_CACHE, AdvisorCache, AdvisorData, load_advisor
from spotarb.feeds.aws.api_mode import ApiCollector
from spotarb.feeds.aws.auth import client_error_message, detect_credentials, is_auth_error
from spotarb.feeds.aws.pricing import DEFAULT_ON_DEMAND_CACHE, PRICING_REGION, OnDemandCache
from spotarb.feeds.aws.public_mode import collect_public
from spotarb.feeds.aws.rows import SOURCE_API, SOURCE_PUBLIC, rows_from_points
from spotarb.feeds.aws.specs import DEFAULT_SPEC_CACHE, SpecCache
from spotarb.feeds.base import (
    Feed,
    FeedResult,
    ProgressCallback,
    ProgressEvent,
    RegionError,
    ignore_progress,
)

logger = logging.getLogger(__name__)

#: Region used for DescribeRegions when no regions are configured.
HOME_REGION: Final = "us-east-1"
#: FeedResult.errors entries that are not regions.
_SUB_SOURCES: Final = frozenset({"spot-advisor", "specs", "pricing"})


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
            if isinstance(exc, ProxyUnavailableError) or not is_auth_error(str(exc)):
                raise
            return self._fall_back_to_public(str(exc), since, progress)
        region_errors = [e for e in result.errors if e.region not in _SUB_SOURCES]
        if (
            not result.prices
            and region_errors
            and all(is_auth_error(e.message) for e in region_errors)
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
        """The advisor for interruption rates; without it the run goes on (rates unknown)."""
        try:
            return load_advisor(
                self.advisor_cache,
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

    def _regions(self) -> list[str]:
        if self.settings.aws_regions:
            return list(self.settings.aws_regions)
        try:
            return ec2.enabled_regions(self._boto3_clients([HOME_REGION])[HOME_REGION])
        except Exception as exc:
            mapped = self.clients.proxy_error("aws", exc)
            if mapped is not None:
                raise mapped from None
            raise FeedFetchError(f"aws: cannot list regions: {client_error_message(exc)}") from None

    def _collect_api(self, since: datetime | None, progress: ProgressCallback) -> FeedResult:
        result = FeedResult(feed=self.name)
        regions = self._regions()
        advisor = self._advisor(result, progress)
        collector = ApiCollector(
            self.settings, self.clients, self.spec_cache, self.on_demand_cache, progress
        )
        pricing = self._pricing_client() if self.uses_price_list else None
        return collector.collect(result, self._boto3_clients(regions), pricing, advisor, since)

    def _collect_public(self, since: datetime | None, progress: ProgressCallback) -> FeedResult:
        return collect_public(self.settings, self.clients, self.advisor_cache, since, progress)


__all__: Sequence[str] = (
    "SOURCE_API",
    "SOURCE_PUBLIC",
    "AwsFeed",
    "detect_credentials",
    "rows_from_points",
)
