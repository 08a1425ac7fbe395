"""Import and export of normalized rows as CSV or JSON Lines.

The file format is the normalized row itself: snake_case field names (the
API's camelCase names are accepted on import), optional fields may be
absent, timestamps are ISO 8601 with a zone (a missing ``observed_at`` or
``collected_at`` means now). Export writes exactly what import reads.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Final, Literal

from spotarb.core.errors import DataFileError, ValidationError
from spotarb.core.gc_pause import gc_paused
from spotarb.core.models import (
    ARCHES,
    CAMEL_TO_SNAKE,
    FIELD_NAMES,
    MAX_GPU_COUNT,
    OSES,
    PROVIDERS,
    SpotPrice,
)
from spotarb.core.rows import PRICE_COLUMNS, PriceBatch, Row
from spotarb.ingest.rules import (
    Flags,
    check_observed_at,
    check_values,
    flag_rows,
    gpu_id,
)

logger = logging.getLogger(__name__)

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
_REQUIRED_SET: Final = frozenset(REQUIRED)
_KNOWN: Final = frozenset(FIELD_NAMES)
#: How many bad rows a refusal lists before it only counts the rest.
MAX_REPORTED: Final = 20
#: How much of an offending value an error message quotes.
MAX_QUOTED: Final = 80


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def row_error(path: Path, line: int, exc: ValidationError) -> RowError:
    """The error for one bad row; a long value is quoted only in part."""
    got = repr(exc.value)
    if len(got) > MAX_QUOTED:
        got = f"{got[:MAX_QUOTED]}... ({len(got)} characters)"
    return RowError(str(path), line, f"{exc.field}: {exc.reason} (got {got})")


@dataclass(slots=True)
class ParsedFile:
    """A file's valid rows (as a :class:`PriceBatch`), its bad rows, and how many were read.

    ``flags`` counts valid rows the summary should mention (see :mod:`spotarb.ingest.rules`).
    """

    prices: PriceBatch = field(default_factory=lambda: PriceBatch([]))
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    flags: Flags = field(default_factory=Flags.none)


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


_TIME_CACHE_LIMIT: Final = 4096


class _Converter:
    """Converts one file's raw cell values; caches timestamps (rows share a handful of them).

    ``now`` is the import's time: an ``observed_at`` too far after it is refused here, by
    the raw value, for every path (see :mod:`spotarb.ingest.rules`).
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        # One cache per field: a time accepted as collected_at may be refused as observed_at.
        self.times: dict[str, dict[str, datetime]] = {name: {} for name in _TIMES}

    def convert(self, name: str, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                return None
        if value is None:
            return None
        if name in _FLOATS:
            return self._float(name, value)
        if name == "gpu_count":
            return self._count(name, value)
        if name in _TIMES:
            return self._time(name, value)
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise ValidationError(name, value, "must be a string")

    @staticmethod
    def _float(name: str, value: Any) -> float:
        if isinstance(value, bool):
            raise ValidationError(name, value, "must be a number")
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValidationError(name, value, "must be a number") from None
        elif isinstance(value, int | float):
            try:
                number = float(value)
            except OverflowError:  # an int past the float range
                raise ValidationError(name, value, "must be a finite number") from None
        else:
            raise ValidationError(name, value, "must be a number")
        if not math.isfinite(number):
            raise ValidationError(name, value, "must be a finite number")
        return number

    @staticmethod
    def _count(name: str, value: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError(name, value, "must be a whole number")
        if isinstance(value, int):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(name, value, "must be a whole number") from None
        if not number.is_integer():
            raise ValidationError(name, value, "must be a whole number")
        return int(number)

    def _time(self, name: str, value: Any) -> datetime:
        if isinstance(value, datetime):
            if name == "observed_at" and value.tzinfo is not None:
                check_observed_at(value, self.now)
            return value
        if not isinstance(value, str):
            raise ValidationError(name, value, "must be an ISO 8601 timestamp")
        cache = self.times[name]
        cached = cache.get(value)
        if cached is not None:
            return cached
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(name, value, "must be an ISO 8601 timestamp") from None
        if when.tzinfo is None:
            raise ValidationError(name, value, "must carry a time zone (e.g. Z or +00:00)")
        try:
            when = when.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00
            raise ValidationError(name, value, "is out of range in UTC") from None
        if name == "observed_at":
            check_observed_at(when, self.now, value)
        if len(cache) < _TIME_CACHE_LIMIT:
            cache[value] = when
        return when


def _column_names(header: Iterable[str]) -> list[str]:
    names: list[str] = []
    for raw in header:
        try:
            name = _field_name(raw)
        except ValueError:
            raise DataFileError(
                f"unknown column {raw!r} in the header; columns are the normalized "
                f"row's field names: {', '.join(FIELD_NAMES)}"
            ) from None
        if name in names:
            raise DataFileError(f"column {raw!r} appears twice in the header (as {name})")
        names.append(name)
    return names


def _build(values: dict[str, Any], now: datetime) -> SpotPrice:
    """The row of one record's converted values: the import rules, then ``SpotPrice``'s."""
    if len(values.keys() & _REQUIRED_SET) != len(REQUIRED):
        missing = next(name for name in REQUIRED if name not in values)
        raise ValidationError(missing, None, "is required")
    check_values(values)
    if "observed_at" not in values:
        values["observed_at"] = now
    if "collected_at" not in values:
        values["collected_at"] = now
    if "source" not in values:
        values["source"] = "import"
    return SpotPrice(**values)


def price_from_mapping(
    record: Mapping[str, Any], now: datetime, converter: _Converter | None = None
) -> SpotPrice:
    """Build a validated row from a mapping of (snake or camel) field names to raw values."""
    convert = (converter or _Converter(now)).convert
    values: dict[str, Any] = {}
    for raw_name, raw_value in record.items():
        try:
            name = _field_name(raw_name)
        except ValueError:
            raise ValidationError(
                "column", raw_name, "is not a field of the normalized row"
            ) from None
        converted = convert(name, raw_value)
        if converted is not None:
            values[name] = converted
    return _build(values, now)


def _cell_converter(name: str, converter: _Converter) -> Callable[[str], Any]:
    """A converter specialised for one CSV column: the per-cell hot path of an import."""
    if name in _FLOATS:

        def to_float(cell: str) -> float:
            try:
                number = float(cell)
            except ValueError:
                if not cell.strip():
                    return None  # type: ignore[return-value]
                raise ValidationError(name, cell, "must be a number") from None
            if number - number != 0.0:  # NaN or ±inf
                raise ValidationError(name, cell, "must be a finite number")
            return number

        return to_float
    if name == "gpu_count":

        def to_count(cell: str) -> int:
            try:
                return int(cell)
            except ValueError:
                return converter.convert(name, cell)  # type: ignore[no-any-return]

        return to_count
    if name in _TIMES:
        return lambda cell: converter.convert(name, cell)

    def to_text(cell: str) -> str | None:
        return cell.strip() or None

    return to_text


class _BulkRejected(Exception):
    """The fast path met a row it does not handle; the per-row path reports it precisely."""


#: How each field is read from its CSV cell in the fast path, by kind of field.
_TEXT_REQUIRED: Final = frozenset({"provider", "region", "instance_type"})
_TEXT_DEFAULTS: Final[dict[str, str]] = {
    "availability_zone": "",
    "arch": "x86_64",
    "os": "linux",
    "source": "import",
}
_FLOAT_REQUIRED: Final = frozenset({"vcpu", "memory_gb", "price_per_hour"})

#: What a clean row satisfies, over the converted values: the conditions of
#: ``SpotPrice``'s fast path for values that came out of ``float``/``int``/``strip``,
#: and the import rules (:mod:`spotarb.ingest.rules`; ``isprintable`` is stricter than
#: "no control characters", so a row it declines is judged by the rules themselves).
#: Anything else is declined here and judged (with a precise message) by ``_build``;
#: tests/core/test_dataio.py checks the two agree on valid and invalid cells.
_CLEAN_ROW: Final = (
    "provider in PROVIDERS",
    "region",
    "instance_type",
    "region.isprintable()",
    "instance_type.isprintable()",
    "availability_zone.isprintable()",
    "source.isprintable()",
    "(interruption_source is None or interruption_source.isprintable())",
    "0.0 < vcpu < INF",
    "0.0 < memory_gb < INF",
    "0.0 < price_per_hour < INF",
    "(gpu_type is None if gpu_count == 0 else "
    "0 < gpu_count <= MAX_GPUS and gpu_type is not None and gpu_type.isprintable())",
    "(gpu_memory_gb is None or 0.0 < gpu_memory_gb < INF)",
    "(network_bandwidth_gbps is None or 0.0 < network_bandwidth_gbps < INF)",
    "(on_demand_price_per_hour is None or 0.0 < on_demand_price_per_hour < INF)",
    "(interruption_rate is None or 0.0 <= interruption_rate <= 1.0)",
    "arch in ARCHES",
    "os in OSES",
)


def _cell_expression(name: str, index: int) -> str:
    cell = f"r[{index}]"
    text = f"{cell}.strip()"
    if name in _TEXT_REQUIRED:
        return text
    if name in _TEXT_DEFAULTS:
        return f"({text} or {_TEXT_DEFAULTS[name]!r})"
    if name in _FLOAT_REQUIRED:
        return f"float({cell})"
    if name in _FLOATS:
        return f"(float(x) if (x := {cell}) else None)"
    if name == "gpu_count":
        return f"(int(x) if (x := {cell}) else 0)"
    if name in _TIMES:  # converted once per distinct string, then a dict lookup in C
        return f"((seen_{name}.get(x) or iso_{name}(x)) if (x := {cell}) else now)"
    if name == "gpu_type":  # mapped once per distinct name, like the timestamps
        return f"((seen_gpu.get(x) or gpu(x)) if (x := {text}) else None)"
    return f"({text} or None)"


def _absent_expression(name: str) -> str:
    if name in _TIMES:
        return "now"
    if name == "gpu_count":
        return "0"
    return repr(_TEXT_DEFAULTS.get(name))


def _iso_time(
    name: str, converter: _Converter, seen: dict[str, str], now: datetime
) -> Callable[[str], str]:
    """Raw timestamp cell → the stored ISO 8601 UTC text, remembered per distinct cell.

    A refused timestamp raises and is never remembered.
    """
    now_text = now.isoformat()

    def iso(cell: str) -> str:
        when = converter.convert(name, cell)  # refuses an observation too far ahead
        text = now_text if when is None else when.isoformat()
        if len(seen) < _TIME_CACHE_LIMIT:
            seen[cell] = text
        return text

    return iso


def _gpu_names(seen: dict[str, str]) -> Callable[[str], str]:
    """GPU name cell → its canonical id (or ``unknown:<name>``), remembered per distinct cell."""

    def gpu(cell: str) -> str:
        found = gpu_id(cell)
        if len(seen) < _TIME_CACHE_LIMIT:
            seen[cell] = found
        return found

    return gpu


def _row_builder(names: list[str], now: datetime) -> Callable[[list[str]], Row]:
    """A function that turns one CSV record into one validated row tuple, made for this header.

    One call per row with the conversions and checks inline is several times faster
    than per-column converters plus a ``SpotPrice`` per row (the way ``dataclasses``
    generates ``__init__``). Only known field names, column numbers and the fixed
    conditions above go into the generated source. A row it does not accept raises,
    and the caller falls back to the per-row path.
    """
    index = {name: i for i, name in enumerate(names)}
    lines = [
        f"    {name} = "
        + (_cell_expression(name, index[name]) if name in index else _absent_expression(name))
        for name in FIELD_NAMES
    ]
    source = (
        "def build(r):\n"
        + f"    if len(r) != {len(names)}:\n        raise Declined\n"
        + "\n".join(lines)
        + "\n    if "
        + " and ".join(_CLEAN_ROW)
        + f":\n        return ({', '.join(PRICE_COLUMNS)})\n"
        + "    raise Declined\n"
    )
    now = now.astimezone(UTC)
    converter = _Converter(now)
    seen: dict[str, dict[str, str]] = {name: {} for name in (*_TIMES, "gpu")}
    namespace: dict[str, Any] = {
        "Declined": _BulkRejected,
        "PROVIDERS": frozenset(PROVIDERS),
        "ARCHES": frozenset(ARCHES),
        "OSES": frozenset(OSES),
        "INF": math.inf,
        "MAX_GPUS": MAX_GPU_COUNT,
        "now": now.isoformat(),
        "seen_gpu": seen["gpu"],
        "gpu": _gpu_names(seen["gpu"]),
    }
    for name in _TIMES:
        namespace[f"seen_{name}"] = seen[name]
        namespace[f"iso_{name}"] = _iso_time(name, converter, seen[name], now)
    exec(compile(source, "<spotarb csv row builder>", "exec"), namespace)
    build: Callable[[list[str]], Row] = namespace["build"]
    return build


def _parse_csv_bulk(rows: Iterable[list[str]], names: list[str], now: datetime) -> PriceBatch:
    """All rows through the generated builder; any irregular row raises _BulkRejected."""
    if any(name not in names for name in REQUIRED):
        raise _BulkRejected
    build = _row_builder(names, now)
    try:  # blank lines are skipped, as the per-row path does
        return PriceBatch(list(map(build, filter(None, rows))))
    except (ValueError, IndexError, TypeError):  # ValidationError is a ValueError
        raise _BulkRejected from None


def _parse_csv(handle: IO[str], path: Path, now: datetime, result: ParsedFile) -> None:
    """Fast path first (a generated row builder); per row, with line numbers, on failure."""
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        return
    names = _column_names(header)
    try:
        result.prices = _parse_csv_bulk(reader, names, now)
    except _BulkRejected:
        handle.seek(0)
        _parse_csv_rows(handle, path, now, result)
        return
    result.rows_read = len(result.prices)
    result.flags = flag_rows(result.prices.rows, lambda i: f"{path}:{_csv_line(handle, i)}")


def _csv_line(handle: IO[str], index: int) -> int:
    """The line of record ``index`` (0 = the first after the header), as errors count it.

    Only for a file the fast path took whole (every non-blank record is a row); the file
    is read again, because the fast path does not count lines.
    """
    handle.seek(0)
    reader = csv.reader(handle)
    next(reader)
    for cells in reader:
        if cells:
            if index == 0:
                return reader.line_num
            index -= 1
    raise IndexError(index)


def _parse_csv_rows(handle: IO[str], path: Path, now: datetime, result: ParsedFile) -> None:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        return
    names = _column_names(header)
    width = len(names)
    converter = _Converter(now)
    columns = [(name, _cell_converter(name, converter)) for name in names]
    prices: list[SpotPrice] = []
    lines: list[int] = []
    for cells in reader:
        if not cells:
            continue
        result.rows_read += 1
        if len(cells) != width:
            result.errors.append(
                RowError(
                    str(path), reader.line_num, f"has {len(cells)} values, the header has {width}"
                )
            )
            continue
        try:
            values: dict[str, Any] = {}
            for (name, convert), cell in zip(columns, cells, strict=True):
                if cell:
                    value = convert(cell)
                    if value is not None:
                        values[name] = value
            prices.append(_build(values, now))
            lines.append(reader.line_num)
        except ValidationError as exc:
            result.errors.append(row_error(path, reader.line_num, exc))
    _keep(result, prices, path, lines)


def _keep(result: ParsedFile, prices: list[SpotPrice], path: Path, lines: list[int]) -> None:
    """Store the valid rows of a row-by-row parse (``lines[i]`` is row ``i``'s line) and flags."""
    result.prices = PriceBatch.from_prices(prices)
    result.flags = flag_rows(result.prices.rows, lambda i: f"{path}:{lines[i]}")


def _parse_jsonl(handle: IO[str], path: Path, now: datetime, result: ParsedFile) -> None:
    converter = _Converter(now)
    prices: list[SpotPrice] = []
    lines: list[int] = []
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        result.rows_read += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.errors.append(RowError(str(path), number, f"not valid JSON: {exc.msg}"))
            continue
        except RecursionError:
            result.errors.append(
                RowError(str(path), number, "not valid JSON here: nested too deeply")
            )
            continue
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            reason = str(exc).split(";")[0]  # not the advice to raise Python's limit
            result.errors.append(RowError(str(path), number, f"not valid JSON here: {reason}"))
            continue
        if not isinstance(record, dict):
            result.errors.append(RowError(str(path), number, "a line must hold one JSON object"))
            continue
        try:
            prices.append(price_from_mapping(record, now, converter))
            lines.append(number)
        except ValidationError as exc:
            result.errors.append(row_error(path, number, exc))
    _keep(result, prices, path, lines)


def parse_file(path: Path, *, now: datetime | None = None) -> ParsedFile:
    """Read and validate every row of one file; bad rows are collected, not raised."""
    now = now or datetime.now(UTC)
    fmt = detect_format(path)
    result = ParsedFile()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle, gc_paused():
            (_parse_csv if fmt == "csv" else _parse_jsonl)(handle, path, now, result)
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
