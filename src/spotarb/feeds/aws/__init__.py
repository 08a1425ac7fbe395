"""The AWS price feed (see :mod:`spotarb.feeds.aws.feed`)."""

from spotarb.feeds.aws.feed import SOURCE_API, SOURCE_PUBLIC, AwsFeed, detect_credentials

__all__ = ["SOURCE_API", "SOURCE_PUBLIC", "AwsFeed", "detect_credentials"]
