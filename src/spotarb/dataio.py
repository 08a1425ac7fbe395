"""Import and export of normalized rows as CSV or JSON Lines.

The file format is the normalized row itself: snake_case field names (the
seed's camelCase names are accepted on import), optional fields may be
absent, timestamps are ISO 8601 with a zone (a missing ``observed_at`` or
``collected_at`` means now). Export writes exactly what import reads.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal

from spotarb.errors import DataFileError, ValidationError
from spotarb.models import CAMEL_TO_SNAKE, FIELD_NAMES, SpotPrice

Format = Literal["csv", "jsonl"]

REQUIRED: Final = ("provider", "region", "instance_type", "vcpu", "memory_gb", "price_per_hour")
_FLOATS: Final = frozenset(
    {
        "vcpu",
        "memory_gb",
        "gpu_memory_gb",
        "network_bandwidth_gbps",
        "price_per_hour",
        "on_demand_price_per_hour",
        "interruption_rate",
    }
)
_TIMES: Final = frozenset({"observed_at", "collected_at"})
_KNOWN: Final = frozenset(FIELD_NAMES)
#: How many bad rows a refusal lists before it only counts the rest.
MAX_REPORTED: Final = 20


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(slots=True)
class ParsedFile:
    prices: list[SpotPrice] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0


def detect_format(path: Path) -> Format:
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise DataFileError(f"{path}: unknown file type; use a .csv or .jsonl file")


def _field_name(raw: str) -> str:
    name = raw.strip()
    if name in _KNOWN:
        return name
    if name in CAMEL_TO_SNAKE:
        return CAMEL_TO_SNAKE[name]
    raise ValueError(name)


def _convert(name: str, value: Any, now: datetime) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if value is None:
        return None
    if name in _FLOATS:
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValidationError(name, value, "must be a number") from None
            if not math.isfinite(number):
                raise ValidationError(name, value, "must be a finite number")
            return number
        return value
    if name == "gpu_count":
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValidationError(name, value, "must be a whole number") from None
            if not number.is_integer():
                raise ValidationError(name, value, "must be a whole number")
            return int(number)
        return value
    if name in _TIMES:
        if isinstance(value, datetime):
            return value
        if not isinstance(value, str):
            raise ValidationError(name, value, "must be an ISO 8601 timestamp")
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(name, value, "must be an ISO 8601 timestamp") from None
        if when.tzinfo is None:
            raise ValidationError(name, value, "must carry a time zone (e.g. Z or +00:00)")
        return when.astimezone(UTC)
    return value if isinstance(value, str) else str(value)


def price_from_mapping(record: Mapping[str, Any], now: datetime) -> SpotPrice:
    """Build a validated row from a mapping of (snake or camel) field names to raw values."""
    values: dict[str, Any] = {}
    for raw_name, raw_value in record.items():
        if raw_name is None:
            raise ValidationError("row", raw_value, "has more values than the header has columns")
        try:
            name = _field_name(raw_name)
        except ValueError:
            raise ValidationError(
                "column", raw_name, "is not a field of the normalized row"
            ) from None
        converted = _convert(name, raw_value, now)
        if converted is not None:
            values[name] = converted
    for name in REQUIRED:
        if name not in values:
            raise ValidationError(name, None, "is required")
    values.setdefault("observed_at", now)
    values.setdefault("collected_at", now)
    values.setdefault("source", "import")
    return SpotPrice(**values)


def _csv_records(handle: IO[str]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None:
        return
    for name in reader.fieldnames:
        try:
            _field_name(name)
        except ValueError:
            raise DataFileError(
                f"unknown column {name!r} in the header; columns are the normalized "
                f"row's field names: {', '.join(FIELD_NAMES)}"
            ) from None
    for record in reader:
        yield reader.line_num, record


def _jsonl_records(handle: IO[str]) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg}"
            continue
        if not isinstance(record, dict):
            yield number, "a line must hold one JSON object"
            continue
        yield number, record


def parse_file(path: Path, *, now: datetime | None = None) -> ParsedFile:
    """Read and validate every row of one file; bad rows are collected, not raised."""
    now = now or datetime.now(UTC)
    fmt = detect_format(path)
    result = ParsedFile()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records: Iterable[tuple[int, Mapping[str, Any] | str]] = (
                _csv_records(handle) if fmt == "csv" else _jsonl_records(handle)
            )
            for line, record in records:
                result.rows_read += 1
                if isinstance(record, str):
                    result.errors.append(RowError(str(path), line, record))
                    continue
                try:
                    result.prices.append(price_from_mapping(record, now))
                except ValidationError as exc:
                    result.errors.append(RowError(str(path), line, str(exc)))
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataFileError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise DataFileError(f"{path}: malformed CSV: {exc}") from None
    except DataFileError as exc:
        raise DataFileError(f"{path}: {exc}") from None
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc.strerror}") from None
    return result


def describe_errors(errors: list[RowError]) -> list[str]:
    """The first :data:`MAX_REPORTED` errors, then a count of the rest."""
    lines = [str(e) for e in errors[:MAX_REPORTED]]
    if len(errors) > MAX_REPORTED:
        lines.append(f"... and {len(errors) - MAX_REPORTED} more invalid rows")
    return lines


def split_current_and_history(prices: list[SpotPrice]) -> tuple[list[SpotPrice], list[SpotPrice]]:
    """One current row per key (the newest observation); older rows of a key are history."""
    newest: dict[tuple[str, str, str, str, str], SpotPrice] = {}
    older: list[SpotPrice] = []
    for price in prices:
        key = price.key
        kept = newest.get(key)
        if kept is None:
            newest[key] = price
        elif price.observed_at >= kept.observed_at:
            older.append(kept)
            newest[key] = price
        else:
            older.append(price)
    return list(newest.values()), older


# --- export ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(prices: Iterable[SpotPrice], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELD_NAMES)
    count = 0
    for price in prices:
        writer.writerow([_cell(getattr(price, name)) for name in FIELD_NAMES])
        count += 1
    return count


def write_jsonl(prices: Iterable[SpotPrice], out: IO[str]) -> int:
    count = 0
    for price in prices:
        record = {
            name: (v.isoformat() if isinstance(v, datetime) else v)
            for name in FIELD_NAMES
            if (v := getattr(price, name)) is not None
        }
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
        count += 1
    return count


def export_text(prices: Iterable[SpotPrice], fmt: Format) -> str:
    buffer = io.StringIO()
    (write_csv if fmt == "csv" else write_jsonl)(prices, buffer)
    return buffer.getvalue()
