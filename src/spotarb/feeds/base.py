"""The feed contract and the one registry of feeds.

A feed talks to one cloud, pages through its APIs and returns normalized
:class:`~spotarb.core.models.SpotPrice` rows plus per-region errors. It never writes
the store: the aggregator does (one write path).

Construction goes through :meth:`Feed.from_settings`; a feed that lacks the
settings or credentials it needs raises :class:`~spotarb.core.errors.FeedUnconfigured`
with the reason, and is skipped while the other feeds run.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Final, Literal

from spotarb.core.config import Settings
from spotarb.core.errors import ConfigError, FeedUnconfigured
from spotarb.core.http import OutboundClients
from spotarb.core.models import SpotPrice

#: feed name → "module:Class". The single list of feeds; tests hold it honest.
FEED_REGISTRY: Final[dict[str, str]] = {
    "aws": "spotarb.feeds.aws:AwsFeed",
    "azure": "spotarb.feeds.azure:AzureFeed",
    "gcp": "spotarb.feeds.gcp:GcpFeed",
}


@dataclass(frozen=True, slots=True)
class RegionError:
    """One region (or page, or sub-source) that failed; the rest of the run is kept."""

    region: str
    message: str


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """What a feed reports while it runs, for progress display and logs."""

    feed: str
    region: str
    status: Literal["start", "done", "error", "info"]
    rows: int = 0
    message: str = ""


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_: ProgressEvent) -> None:
    return None


@dataclass(slots=True)
class FeedResult:
    """What one run of a feed produced.

    ``prices`` are current prices (one per key). ``history`` holds older change
    points (e.g. an AWS ``--since 7d`` backfill) for ``price_history`` only.
    ``regions_ok`` lists the regions that answered in full: the aggregator
    only treats those as fresh. ``counts`` carries feed-specific tallies
    (items seen, skipped and why) for the run record and the summary.
    """

    feed: str
    prices: list[SpotPrice] = field(default_factory=list)
    history: list[SpotPrice] = field(default_factory=list)
    errors: list[RegionError] = field(default_factory=list)
    regions_ok: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class Feed(ABC):
    """One cloud's price feed."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings, clients: OutboundClients) -> Feed:
        """Build the feed, or raise :class:`FeedUnconfigured` saying what is missing."""

    @abstractmethod
    def collect(
        self,
        *,
        since: datetime | None = None,
        progress: ProgressCallback = ignore_progress,
    ) -> FeedResult:
        """Fetch current prices (and, with ``since``, history change points from then on).

        Per-region failures go in ``FeedResult.errors``; only a failure that
        leaves nothing to return (e.g. the proxy is down) is raised.
        """

    def describe(self) -> str:
        """One line on where this feed gets its data from (shown by ``spotarb feeds``)."""
        return self.name

    def reachability_url(self) -> str | None:
        """Where a run's first request goes, checked before the run (None: no check).

        Offline, a DNS failure or a refused connection then fails the run once,
        instead of once per region after every retry.
        """
        return None


def feed_class(name: str) -> type[Feed]:
    try:
        target = FEED_REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown feed {name!r}; known: {', '.join(FEED_REGISTRY)}") from None
    module_name, class_name = target.split(":")
    module = importlib.import_module(module_name)
    cls: type[Feed] = getattr(module, class_name)
    return cls


def load_feed(name: str, settings: Settings, clients: OutboundClients) -> Feed:
    """Construct one feed; raises :class:`FeedUnconfigured` when it cannot run."""
    return feed_class(name).from_settings(settings, clients)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    enabled: bool
    configured: bool
    reason: str
    description: str


def feed_statuses(settings: Settings, clients: OutboundClients) -> list[FeedStatus]:
    """Every registered feed: enabled by settings? configured? why not?"""
    out: list[FeedStatus] = []
    for name in FEED_REGISTRY:
        enabled = name in settings.feeds
        try:
            feed = load_feed(name, settings, clients)
        except FeedUnconfigured as exc:
            out.append(FeedStatus(name, enabled, False, str(exc), ""))
        except ImportError as exc:
            out.append(FeedStatus(name, enabled, False, f"not installed: {exc}", ""))
        else:
            out.append(FeedStatus(name, enabled, True, "", feed.describe()))
    return out
