"""The one staleness policy: when a price is too old to place workloads on.

A row is *stale* once its ``collected_at`` is older than its max age: the feed's
``<feed>_max_age`` setting (default 3 × the feed's interval), or ``import_max_age``
for rows that came from ``spotarb import``. Every reader that filters by age (the
library's snapshot builder, the CLI, the API and the dashboard) asks this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from spotarb.core.config import Settings
from spotarb.core.models import PROVIDERS, SpotPrice


def is_imported(source: str) -> bool:
    """Rows written by ``spotarb import`` (source ``import`` or ``import:<file>``)."""
    return source.startswith("import")


@dataclass(frozen=True, slots=True)
class StalenessPolicy:
    """Max age in seconds per feed, and for imported rows."""

    feed_max_age: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    import_max_age: float = 86400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> StalenessPolicy:
        ages = {name: settings.max_age_for(name) for name in PROVIDERS}
        return cls(MappingProxyType(ages), settings.import_max_age)

    def max_age_for_feed(self, feed: str) -> float:
        """A feed's max age (an unknown feed gets the import allowance)."""
        return self.feed_max_age.get(feed, self.import_max_age)

    def max_age_of(self, provider: str, source: str) -> float:
        """The max age of a row from ``provider`` written by ``source``."""
        if is_imported(source):
            return self.import_max_age
        return self.max_age_for_feed(provider)

    def max_age(self, row: SpotPrice) -> float:
        return self.max_age_of(row.provider, row.source)

    def expires_at(self, row: SpotPrice) -> float:
        """Epoch seconds at which ``row`` turns stale."""
        return row.collected_at.timestamp() + self.max_age(row)

    def is_stale(self, row: SpotPrice, now: float) -> bool:
        """``now`` in epoch seconds."""
        return self.expires_at(row) <= now
