"""Settings from the environment (``SPOTARB_*``) and an optional TOML file.

Precedence, highest first: explicit keyword arguments (the CLI's ``--db``),
environment variables, the TOML file (``SPOTARB_CONFIG`` or
``~/.config/spotarb/config.toml``), defaults. Names in the TOML file are the
field names below without the prefix (``aws_regions = ["us-east-1"]``).

Credentials are never settings values that get logged: API keys and tokens
are :class:`~pydantic.SecretStr`, and cloud SDK credentials come from each
SDK's standard chain, not from here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from spotarb.core.errors import ConfigError

CommaList = Annotated[list[str], NoDecode]

FEED_NAMES = ("aws", "azure", "gcp")

#: What a ``serve`` process does among replicas (see ``spotarb serve --role``).
Role = Literal["all", "api", "collector"]


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("spotarb")) / "spotarb.db"


def config_file_path() -> Path:
    explicit = os.environ.get("SPOTARB_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir("spotarb")) / "config.toml"


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTARB_", extra="ignore")

    # --- store -------------------------------------------------------------------
    db: str = Field(default_factory=lambda: str(default_db_path()))

    # --- scale-out (several ``serve`` processes on one PostgreSQL store) ------------
    #: ``redis://host:6379/0``: a cache shared by every replica (unset: in-process cache).
    redis_url: SecretStr | None = None
    #: ``all`` (API + collector if elected), ``api`` (never collects), ``collector``.
    role: Role = "all"
    #: This process's name in ``/v1/cluster`` and the collector lease (default host-pid).
    instance_id: str | None = None

    # --- feeds -------------------------------------------------------------------
    feeds: CommaList = Field(default_factory=lambda: list(FEED_NAMES))

    # --- outbound HTTP: the audit proxy (e.g. Kivera), TLS, timeouts, retries --
    proxy_url: SecretStr | None = None
    aws_proxy_url: SecretStr | None = None
    azure_proxy_url: SecretStr | None = None
    gcp_proxy_url: SecretStr | None = None
    ca_bundle: str | None = None
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=20)
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=30.0, ge=0)

    # --- AWS ---------------------------------------------------------------------
    aws_regions: CommaList = Field(default_factory=list)
    aws_endpoint_url: str | None = None
    aws_advisor_url: str = "https://spot-bid-advisor.s3.amazonaws.com/spot-advisor-data.json"
    aws_spot_feed_url: str = "https://website.spot.ec2.aws.a2z.com/spot.json"
    #: AWS Price List (GetProducts) endpoint for on-demand prices. Unset: the real API,
    #: except when aws_endpoint_url points EC2 at an emulator (then the advisor estimate).
    aws_pricing_endpoint_url: str | None = None

    # --- Azure -------------------------------------------------------------------
    azure_regions: CommaList = Field(default_factory=list)
    azure_prices_url: str = "https://prices.azure.com/api/retail/prices"
    azure_management_url: str = "https://management.azure.com"
    azure_subscription_id: str | None = None
    #: Try azure-identity's DefaultAzureCredential (specs from Resource SKUs, eviction
    #: rates). False: prices and size-name specs only, no credential probing at all.
    azure_use_credentials: bool = True
    #: Regions walked at the same time (each region is still one sequential walk).
    azure_concurrency: int = Field(default=4, ge=1, le=16)

    # --- GCP ---------------------------------------------------------------------
    gcp_api_key: SecretStr | None = None
    gcp_project: str | None = None
    gcp_regions: CommaList = Field(default_factory=list)
    gcp_billing_url: str = "https://cloudbilling.googleapis.com"
    gcp_compute_url: str = "https://compute.googleapis.com"

    # --- service (``spotarb serve``) -------------------------------------------------
    admin_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    #: Seconds between schedule ticks (one minute).
    tick_seconds: float = Field(default=60.0, gt=0)
    #: Seconds between runs of each feed.
    aws_interval: float = Field(default=60.0, gt=0)
    azure_interval: float = Field(default=600.0, gt=0)
    gcp_interval: float = Field(default=3600.0, gt=0)
    #: The AWS Spot Advisor (interruption rates) changes daily: the AWS feed fetches it again
    #: only once its copy is older than this (seconds), however often prices are collected.
    aws_advisor_interval: float = Field(default=86400.0, gt=0)
    #: Random extra delay, as a fraction of the interval, so feeds do not run in lockstep.
    schedule_jitter: float = Field(default=0.1, ge=0, le=1)
    #: Cap on the back-off after repeated failures (seconds).
    schedule_backoff_max: float = Field(default=3600.0, gt=0)
    #: Max age (seconds) of a feed's prices for placements; default 3x its interval.
    aws_max_age: float | None = Field(default=None, gt=0)
    azure_max_age: float | None = Field(default=None, gt=0)
    gcp_max_age: float | None = Field(default=None, gt=0)
    #: Max age of imported rows (``source`` = import), default 24 h.
    import_max_age: float = Field(default=86400.0, gt=0)
    #: Browser origins allowed by CORS; empty = CORS off.
    cors_origins: CommaList = Field(default_factory=list)
    #: Shapes precomputed as best options: ``cpu:<vcpu>[:<GiB>]`` or ``gpu:<type>:<count>``;
    #: empty = the default list (CPU 2..64 vCPU at 4 GiB/vCPU, each GPU type x 1/4/8).
    best_option_shapes: CommaList = Field(default_factory=list)
    #: Placement results are cached until the data changes or this many seconds pass.
    placement_cache_ttl: float = Field(default=5.0, ge=0)
    placement_cache_size: int = Field(default=10000, ge=0)
    #: Largest request body accepted (bytes).
    max_body_bytes: int = Field(default=65536, gt=0)

    _split = field_validator(
        "feeds",
        "aws_regions",
        "azure_regions",
        "gcp_regions",
        "cors_origins",
        "best_option_shapes",
        mode="before",
    )(_split_commas)

    @field_validator("feeds")
    @classmethod
    def _known_feeds(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in FEED_NAMES]
        if unknown:
            raise ValueError(f"unknown feed(s) {unknown}; known: {', '.join(FEED_NAMES)}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (init_settings, env_settings, toml)

    def interval_for(self, feed: str) -> float:
        """Seconds between scheduled runs of ``feed``."""
        value: float = getattr(self, f"{feed}_interval", 3600.0)
        return value

    def max_age_for(self, feed: str) -> float:
        """Seconds after which ``feed``'s prices are too old for placements."""
        value: float | None = getattr(self, f"{feed}_max_age", None)
        return value if value is not None else 3.0 * self.interval_for(feed)

    def proxy_for(self, feed: str) -> str | None:
        """The proxy URL a feed's calls must go through (per-feed override first)."""
        specific: SecretStr | None = getattr(self, f"{feed}_proxy_url", None)
        chosen = specific or self.proxy_url
        return chosen.get_secret_value() if chosen else None


def load_settings(**overrides: Any) -> Settings:
    """Settings from env + file + ``overrides``; a bad value becomes one :class:`ConfigError`."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read settings: {exc}") from None
