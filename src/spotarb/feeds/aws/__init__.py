"""AWS spot prices: per-AZ with credentials, region-level without.

Modules: :mod:`.feed` (the feed: mode, fallback), :mod:`.api_mode` (credentialed
per-region run), :mod:`.public_mode` (credential-free run), :mod:`.ec2` (EC2 calls
and change points), :mod:`.specs` (instance specs), :mod:`.advisor` (Spot Advisor),
:mod:`.pricing` (Price List on-demand prices), :mod:`.public_feed` (the public
spot feed), :mod:`.rows` (normalized rows), :mod:`.auth` (credentials, errors),
:mod:`.gpu_table` and :mod:`.network` (built-in tables).
"""

from spotarb.feeds.aws.feed import SOURCE_API, SOURCE_PUBLIC, AwsFeed, detect_credentials

__all__ = ["SOURCE_API", "SOURCE_PUBLIC", "AwsFeed", "detect_credentials"]
