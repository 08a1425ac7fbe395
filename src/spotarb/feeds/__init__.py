"""Cloud price feeds: one module per cloud, one contract (:mod:`spotarb.feeds.base`)."""

from spotarb.feeds.base import (
    FEED_REGISTRY,
    Feed,
    FeedResult,
    FeedStatus,
    ProgressEvent,
    RegionError,
    feed_class,
    feed_statuses,
    load_feed,
)

__all__ = [
    "FEED_REGISTRY",
    "Feed",
    "FeedResult",
    "FeedStatus",
    "ProgressEvent",
    "RegionError",
    "feed_class",
    "feed_statuses",
    "load_feed",
]
