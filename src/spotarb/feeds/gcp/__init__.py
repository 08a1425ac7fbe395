"""GCP spot prices: Cloud Billing Catalog SKUs composed per machine type.

Modules: :mod:`.skus` (SKU parsing → component rates), :mod:`.machine_types`
(built-in table + Compute API), :mod:`.compose` (per-instance composition),
:mod:`.network` (bandwidth rules), :mod:`.rows` (normalized rows),
:mod:`.api` (paging), :mod:`.auth` (ADC), :mod:`.feed` (the feed).
"""

from spotarb.feeds.gcp.feed import GcpFeed

__all__ = ["GcpFeed"]
