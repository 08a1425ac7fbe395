"""Azure feed: Retail Prices API spot prices, size specs and eviction rates."""

from spotarb.feeds.azure.feed import AzureFeed

__all__ = ["AzureFeed"]
