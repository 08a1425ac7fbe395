"""The one exception tree of spotarb.

Every error spotarb raises on purpose derives from :class:`SpotArbError`, so
callers (the CLI, the HTTP API) can turn any of them into one clear line::

    SpotArbError
    ├── ValidationError          a value broke a rule (names the field and the value)
    │   ├── InvalidPriceError    a price that is not a finite positive number
    │   └── UnknownGpuError      a GPU name the vocabulary does not know
    ├── ConfigError              settings that cannot work (bad URL, bad list, bad file)
    ├── DataFileError            an import file that cannot be read or is refused
    ├── StoreError               the database cannot be opened, migrated or written
    │   ├── DuplicateKeyError    a batch holds two current rows for one key
    │   ├── DiskFullError        no space left on the device (database or output file)
    │   └── FencedWriteError     a collector that lost its leadership tried to write
    ├── FeedError                a cloud feed failed
    │   ├── FeedUnconfigured     the feed lacks credentials or settings (it is skipped)
    │   ├── FeedFetchError       a call to the provider failed after retries
    │   ├── FeedParseError       the provider answered with something malformed
    │   └── ProxyUnavailableError the configured audit proxy could not be reached
    ├── ServeError               the service cannot start (its port is in use)
    └── NoPlacementError         no candidate satisfies a workload's requirements
"""

from __future__ import annotations


class SpotArbError(Exception):
    """Root of every error spotarb raises on purpose."""


class ValidationError(SpotArbError, ValueError):
    """A value broke a rule; the message names the field and the offending value."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}: {reason} (got {value!r})")


class InvalidPriceError(ValidationError):
    """A price that is not a finite, positive number."""


class UnknownGpuError(ValidationError):
    """A GPU name that the vocabulary does not know."""


class ConfigError(SpotArbError):
    """Settings that cannot work."""


class DataFileError(SpotArbError):
    """An import file that cannot be read, or whose rows were refused."""


class StoreError(SpotArbError):
    """The database cannot be opened, migrated or written."""


class DuplicateKeyError(StoreError):
    """A batch holds two rows for one key (one current price per key is the rule)."""


class DiskFullError(StoreError):
    """No space left on the device: nothing more can be written (the write was undone).

    Every backend raises it for its own "disk full" error (SQLite's SQLITE_FULL,
    an ``OSError`` with ``ENOSPC``), with a message that starts
    ``no space left on device:``.
    """

    def __init__(self, what: str, detail: str = "") -> None:
        super().__init__(f"no space left on device: {what}" + (f" ({detail})" if detail else ""))


class FencedWriteError(StoreError):
    """A collector that is no longer the elected one tried to commit; nothing was written."""


class FeedError(SpotArbError):
    """A cloud feed failed."""


class FeedUnconfigured(FeedError):
    """The feed lacks the credentials or settings it needs; it is skipped, not fatal."""


class FeedFetchError(FeedError):
    """A call to the provider failed (after retries)."""


class FeedParseError(FeedError):
    """The provider answered with something malformed."""


class ProxyUnavailableError(FeedFetchError):
    """The configured audit proxy could not be reached; the call was not sent around it."""


class ServeError(SpotArbError):
    """The service cannot start, e.g. its port is already in use."""


class NoPlacementError(SpotArbError):
    """No candidate satisfies the workload's requirements."""
