"""What every command shares: the --db option, error handling, tables and JSON output."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from spotarb.core.config import Settings, load_settings
from spotarb.core.errors import (
    ConfigError,
    DataFileError,
    NoPlacementError,
    SpotArbError,
    StoreError,
    ValidationError,
)
from spotarb.store import PriceStore, open_store, sqlite_file

P = ParamSpec("P")
R = TypeVar("R")

# Piped output is not squeezed into 80 columns: tables stay readable in logs and files.
console = Console(width=None if sys.stdout.isatty() else 220)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 220)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database path, sqlite:/// or postgresql:// URL (default: $SPOTARB_DB, else the "
        "user data dir).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

#: Libraries whose INFO logs are request-level noise (azure-identity logs headers at INFO).
THIRD_PARTY_LOGGERS = (
    "azure",
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "httpx",
    "httpcore",
    "google",
    "google_auth_httplib2",
)


def quiet_third_party_loggers(quiet: bool = True) -> None:
    """Cloud SDK and HTTP client loggers to WARNING whatever the root level (``-v``: not)."""
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)


#: Exit codes: 1 = the operation failed or found nothing; 2 = the input was invalid.
EXIT_FAILED = 1
EXIT_INVALID = 2


def exit_code_for(exc: SpotArbError) -> int:
    if isinstance(exc, ValidationError | ConfigError | DataFileError):
        return EXIT_INVALID
    if isinstance(exc, NoPlacementError):
        return EXIT_FAILED
    return EXIT_FAILED


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print one clear line on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn any SpotArbError into one line on stderr and a non-zero exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SpotArbError as exc:
            raise fail(str(exc), exit_code_for(exc)) from None

    return wrapper


def settings_for(db: str | None) -> Settings:
    return load_settings(db=db)


def store_for(db: str | None, *, create: bool = False) -> PriceStore:
    """The store at ``--db`` (or the configured one).

    Only commands that write (import, collect, serve) create a SQLite database: a read
    command given a mistyped path says so instead of answering from a new, empty file.
    """
    target = settings_for(db).db
    path = sqlite_file(target)
    if not create and path is not None and not Path(path).exists():
        raise StoreError(f"no database at {path} (run spotarb import or collect first)")
    return open_store(target)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    out = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        numeric = column.startswith(("$", "vCPU", "mem", "GPUs", "rows", "#")) or column in {
            "savings",
            "interrupt",
            "inserted",
            "changed",
            "unchanged",
            "history",
            "seen",
        }
        out.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def money(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if value < 10 else f"{value:.2f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def age(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "-"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f}s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h ago"
    return f"{seconds / 86400:.0f}d ago"


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m`` or an ISO 8601 timestamp → an aware UTC datetime."""
    now = now or datetime.now(UTC)
    text = value.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if text and text[-1] in units and text[:-1].isdigit():
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            "since", value, "must be a duration like 7d, 12h, 30m or an ISO 8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def split_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())
