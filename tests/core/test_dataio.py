"""The CSV reader's paths must agree: the fast path (a generated row builder) accepts exactly
what ``SpotPrice`` accepts, and stores the same values.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotarb.core.errors import DataFileError
from spotarb.core.models import SpotPrice
from spotarb.core.rows import PriceBatch, from_row, to_row
from spotarb.ingest.dataio import (
    ParsedFile,
    _BulkRejected,
    _column_names,
    _parse_csv,
    _parse_csv_bulk,
    _parse_csv_rows,
    parse_file,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)

# GPU count and type that agree: none, known names in several spellings, unknown names.
valid_gpus = st.sampled_from(
    [("", ""), ("0", ""), ("1", "a100"), ("8", "nvidia-h100"), ("2", " Tesla T4 "),
     ("4", "Mystery X1"), ("1", "unknown:azure:Standard_NV4"), ("1024", "h100")]
)  # fmt: skip
valid_cells = st.tuples(
    st.fixed_dictionaries(
        {
            "provider": st.sampled_from(["aws", "azure", "gcp"]),
            "region": st.sampled_from(["us-east-1", "eastus", " padded ", "région-中"]),
            "instance_type": st.sampled_from(["m5.large", "e2-micro"]),
            "vcpu": st.sampled_from(["2", "0.25", "96", " 4 "]),
            "memory_gb": st.sampled_from(["8", "1", "1152.0"]),
            "price_per_hour": st.sampled_from(["0.035", "1e-3", "31.17"]),
            "availability_zone": st.sampled_from(["", "us-east-1a"]),
            "interruption_rate": st.sampled_from(["", "0.05", "1"]),
            "on_demand_price_per_hour": st.sampled_from(["", "0.1", "0.01"]),
            "arch": st.sampled_from(["", "arm64"]),
            "observed_at": st.sampled_from(
                # NOW is 2026-11-28T00:00Z: up to one day ahead is accepted.
                ["", "2026-11-01T12:00:00Z", "2026-11-01T14:00:00+02:00", "2026-11-29T00:00:00Z"]
            ),
        }
    ),
    valid_gpus,
).map(lambda pair: {**pair[0], "gpu_count": pair[1][0], "gpu_type": pair[1][1]})

OBSERVED_CELLS = [
    "", " ", "2026-11-01T12:00:00Z", "2026-11-01T14:00:00+02:00", "2026-11-01", "soon",
    "2026-11-29T00:00:00Z", "2026-11-29T00:00:01Z", "2026-11-29T01:00:00+01:00",
    "2099-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00",
]  # fmt: skip

# Each column offers good cells and the ways a cell goes wrong (or is merely unusual:
# padding, blanks, another spelling), so both paths are compared on refusals too.
any_cells = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(["aws", "gcp", " azure", "AWS", "", "oracle", "aws\x00"]),
        "region": st.sampled_from(
            ["us-east-1", " eastus ", "", "  ", "\tx", "us\x00east", "eu\x1bwest", "a\u00a0b"]
        ),
        "instance_type": st.sampled_from(["m5.large", "", " e2-micro", "m5\x7f", "m\x85x"]),
        "vcpu": st.sampled_from(["2", "0.25", " 4 ", "0", "-1", "nan", "inf", "", "x", "1_0"]),
        "memory_gb": st.sampled_from(["8", "1e3", "0", "-inf", ""]),
        "price_per_hour": st.sampled_from(["0.035", "1e-3", "0", "-0.1", "NaN", "", " "]),
        "availability_zone": st.sampled_from(["", "us-east-1a", " ", " z ", "z\tz"]),
        "gpu_count": st.sampled_from(
            ["", "0", "1", "8", "-1", "2.0", "1.5", " ", " 2 ", "1024", "1025", "1e20", "9" * 30]
        ),
        "gpu_type": st.sampled_from(
            ["", "nvidia-a100", " ", " nvidia-t4 ", "A100", "Mystery X1", "unknown:x", "t4\x00"]
        ),
        "gpu_memory_gb": st.sampled_from(["", "40", "0", "nan", " "]),
        "network_bandwidth_gbps": st.sampled_from(["", "10", "-5", "inf"]),
        "interruption_rate": st.sampled_from(["", "0", "0.05", "1", "1.01", "-0.0", "-0.1"]),
        "on_demand_price_per_hour": st.sampled_from(["", "0.1", "0", "nan", "0.01"]),
        "arch": st.sampled_from(["", "arm64", "x86_64", "sparc", " arm64 "]),
        "os": st.sampled_from(["", "linux", "windows", "macos"]),
        "source": st.sampled_from(["", "bench", " ", "be\x00nch"]),
        "interruption_source": st.sampled_from(["", "advisor", " ", "adv\nisor"]),
        # NOW is 2026-11-28T00:00Z: more than one day ahead is refused.
        "observed_at": st.sampled_from(OBSERVED_CELLS),
        "collected_at": st.sampled_from(
            ["", "2026-11-01T12:00:00+00:00", "2026-11-01T12:00:00", "2099-01-01T00:00:00Z"]
        ),
    }
)


def rows_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def by_rows(text: str) -> ParsedFile:
    parsed = ParsedFile()
    _parse_csv_rows(io.StringIO(text), Path("x.csv"), NOW, parsed)
    return parsed


def bulk(text: str) -> PriceBatch | None:
    reader = list(csv.reader(io.StringIO(text)))
    try:
        return _parse_csv_bulk(reader[1:], _column_names(reader[0]), NOW)
    except _BulkRejected:
        return None


def by_file(text: str) -> ParsedFile:
    """What ``parse_file`` does with the text: the fast path when it takes the file."""
    parsed = ParsedFile()
    _parse_csv(io.StringIO(text), Path("x.csv"), NOW, parsed)
    return parsed


def parse_text(tmp: Path, text: str) -> ParsedFile:
    path = tmp / "f.csv"
    path.write_text(text)
    return parse_file(path, now=NOW)


@settings(max_examples=80, deadline=None)
@given(st.lists(valid_cells, min_size=1, max_size=20))
def test_fast_path_takes_valid_files_and_agrees_with_the_row_path(
    rows: list[dict[str, str]],
) -> None:
    text = rows_text(rows)
    reference = by_rows(text)
    assert not reference.errors
    assert bulk(text) == reference.prices
    assert by_file(text).flags == reference.flags  # counted and located alike


@settings(max_examples=300, deadline=None)
@given(st.lists(any_cells, min_size=1, max_size=6))
def test_fast_path_never_accepts_what_spotprice_refuses(rows: list[dict[str, str]]) -> None:
    text = rows_text(rows)
    reference = by_rows(text)
    fast = bulk(text)
    if reference.errors:
        assert fast is None, reference.errors
    elif fast is not None:
        assert fast == reference.prices
        assert by_file(text).flags == reference.flags
    # Every stored row is what a SpotPrice of the same values stores.
    for row in reference.prices.rows:
        assert to_row(SpotPrice(**from_row(row).to_dict())) == row


# --- the import rules, one at a time, through both paths ---------------------------------

CLEAN = {
    "provider": "aws", "region": "us-east-1", "availability_zone": "us-east-1a",
    "instance_type": "m5.large", "vcpu": "2", "memory_gb": "8", "price_per_hour": "0.035",
    "gpu_count": "1", "gpu_type": "t4", "source": "s", "interruption_source": "advisor",
    "observed_at": "2026-11-01T12:00:00Z",
}  # fmt: skip


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("observed_at", "2026-11-29T00:00:01Z",
         "observed_at: is more than 1 day in the future (now is 2026-11-28T00:00:00+00:00) "
         "(got '2026-11-29T00:00:01Z')"),
        ("observed_at", "2026-11-29T03:00:00+02:00", "observed_at: is more than 1 day in"),
        ("observed_at", "0001-01-01T00:00:00+05:00", "observed_at: is out of range in UTC"),
        ("region", "us\x00east",
         "region: must not hold control characters (found '\\x00') (got 'us\\x00east')"),
        ("instance_type", "m5\x1b[31m", "instance_type: must not hold control characters"),
        ("availability_zone", "z\tz", "availability_zone: must not hold control characters"),
        ("source", "s\x7f", "source: must not hold control characters (found '\\x7f')"),
        ("interruption_source", "a\x85b", "interruption_source: must not hold control"),
        ("gpu_type", "t4\x00", "gpu_type: must not hold control characters"),
        ("gpu_count", "1025", "gpu_count: must be <= 1024 (got 1025)"),
        ("gpu_count", "1e20", "gpu_count: must be <= 1024"),
    ],
)  # fmt: skip
def test_each_import_rule_is_held_by_both_paths(column: str, cell: str, message: str) -> None:
    clean = rows_text([CLEAN, CLEAN | {"instance_type": "m6.large"}])
    assert bulk(clean) == by_rows(clean).prices and len(by_rows(clean).prices) == 2
    text = rows_text([CLEAN, CLEAN | {column: cell}])
    assert bulk(text) is None  # the fast path declines ...
    [error] = by_rows(text).errors  # ... and the row path names the line and the field
    assert str(error).startswith(f"x.csv:3: {message}")


@pytest.mark.parametrize("reader", [by_rows, by_file])
def test_a_future_time_accepted_as_collected_at_is_still_refused_as_observed_at(
    reader: Callable[[str], ParsedFile],
) -> None:
    later = "2026-12-01T00:00:00Z"  # collected_at may be anything; observed_at may not
    text = rows_text([CLEAN | {"collected_at": later}, CLEAN | {"observed_at": later}])
    [error] = reader(text).errors
    assert str(error).startswith("x.csv:3: observed_at: is more than 1 day in the future")


def test_gpu_names_are_mapped_as_the_feeds_map_them() -> None:
    names = ["t4", "Tesla T4", "NVIDIA A100-SXM4-80GB", "Mystery X1", "unknown:azure:NV4"]
    rows = [CLEAN | {"instance_type": f"t{i}", "gpu_type": n} for i, n in enumerate(names)]
    text = rows_text(rows)
    expected = ["nvidia-t4", "nvidia-t4", "nvidia-a100", "unknown:Mystery X1", "unknown:azure:NV4"]
    for parsed in (by_rows(text), by_file(text)):
        assert [p.gpu_type for p in parsed.prices] == expected
        assert (parsed.flags.unknown_gpu.rows, parsed.flags.unknown_gpu.first) == (
            2,
            "x.csv:5: gpu_type unknown:Mystery X1",
        )


def test_spot_above_on_demand_is_kept_and_flagged_with_its_line() -> None:
    rows = [CLEAN | {"instance_type": f"t{i}", "on_demand_price_per_hour": "0.1"} for i in range(6)]
    rows[3]["on_demand_price_per_hour"] = "0.03"  # line 5: below the 0.035 spot price
    rows[5]["on_demand_price_per_hour"] = "0.01"
    text = rows_text(rows)
    text = text.replace(text.splitlines()[2], "\n" + text.splitlines()[2])  # blank line 3
    fast, slow = by_file(text), by_rows(text)
    assert fast.prices == slow.prices and len(fast.prices) == 6  # kept
    for parsed in (fast, slow):
        assert parsed.flags.above_on_demand.rows == 2
        assert parsed.flags.above_on_demand.first == (
            "x.csv:6: aws/us-east-1/t3 spot 0.035 > on-demand 0.03 $/h"
        )
    assert fast.flags.unknown_gpu.rows == 0


def test_defaults_for_absent_and_blank_optional_columns(tmp_path: Path) -> None:
    parsed = parse_text(
        tmp_path,
        "provider,region,instance_type,vcpu,memory_gb,price_per_hour,arch\n"
        "aws,us-east-1,m5.large,2,8,0.035,\n",
    )
    [row] = parsed.prices
    assert (row.availability_zone, row.gpu_count, row.arch, row.os) == ("", 0, "x86_64", "linux")
    assert (row.observed_at, row.collected_at, row.source) == (NOW, NOW, "import")


def test_blank_lines_are_skipped_by_both_paths(tmp_path: Path) -> None:
    text = "provider,region,instance_type,vcpu,memory_gb,price_per_hour\n\naws,r,t,2,8,0.1\n\n"
    assert bulk(text) == by_rows(text).prices
    parsed = parse_text(tmp_path, text)
    assert (parsed.rows_read, len(parsed.prices)) == (1, 1)


def test_a_row_wider_than_the_header_is_an_error_not_ignored(tmp_path: Path) -> None:
    parsed = parse_text(
        tmp_path,
        "provider,region,instance_type,vcpu,memory_gb,price_per_hour\n"
        "aws,r,t,2,8,0.1\naws,r,u,2,8,0.1,extra\n",
    )
    assert [str(e) for e in parsed.errors] == [
        f"{tmp_path / 'f.csv'}:3: has 7 values, the header has 6"
    ]


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("provider,region,instance_type,vcpu,memory_gb,memoryGB,price_per_hour\n")
    with pytest.raises(
        DataFileError, match="'memoryGB' appears twice in the header \\(as memory_gb\\)"
    ):
        parse_file(path)


# --- a bigger file ---------------------------------------------------------------------------


def big_csv(rows: int, *, bad_line: int | None = None, quoted: bool = False) -> str:
    header = "provider,region,instance_type,vcpu,memory_gb,price_per_hour,gpu_count,gpu_type,"
    lines = [header + "interruption_rate,observed_at"]
    for i in range(rows):
        gpus = (0, 0, 1, 8)[i % 4]
        rate = "" if i % 5 == 0 else f"{(i % 20) / 20}"
        name = f'"type,{i}"' if quoted and i == rows - 1 else f"type-{i}"
        price = "nan" if bad_line == i + 2 else f"{0.01 + i / 1e5:.6f}"
        lines.append(
            f"{('aws', 'azure', 'gcp')[i % 3]},region-{i % 7},{name},{2 + i % 64},"
            f"{4 + i % 256},{price},{gpus},{'nvidia-a100' if gpus else ''},{rate},"
            f"2026-11-{1 + i % 28:02d}T00:00:00Z"
        )
    return "\n".join(lines) + "\n"


def test_a_bigger_file_parses_in_order_as_the_row_path_does(tmp_path: Path) -> None:
    text = big_csv(3000)
    parsed = parse_text(tmp_path, text)
    assert parsed.rows_read == len(parsed.prices) == 3000 and not parsed.errors
    assert parsed.prices == by_rows(text).prices  # the row-by-row reference
    assert [p.instance_type for p in parsed.prices][::999] == [
        f"type-{i}" for i in (0, 999, 1998, 2997)
    ]


def test_line_ends_byte_order_mark_and_wide_characters(tmp_path: Path) -> None:
    """CRLF line ends, a byte order mark, characters of several bytes, no final line end."""
    lines = big_csv(300).replace("type-", "typ\u00e9\u4e2d-").splitlines()
    text = "\ufeff" + "\r\n".join(lines)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    parsed = parse_file(path, now=NOW)
    assert parsed.prices == by_rows(text.removeprefix("\ufeff")).prices
    assert parsed.prices[-1].instance_type == "typ\u00e9\u4e2d-299"


@pytest.mark.parametrize("line", [10, 2990])
def test_a_bad_row_is_reported_by_its_line(tmp_path: Path, line: int) -> None:
    parsed = parse_text(tmp_path, big_csv(3000, bad_line=line))
    assert [str(e) for e in parsed.errors] == [
        f"{tmp_path / 'f.csv'}:{line}: price_per_hour: must be a finite number (got 'nan')"
    ]
    assert len(parsed.prices) == 2999


def test_a_quoted_cell_holding_a_comma(tmp_path: Path) -> None:
    text = big_csv(300, quoted=True)
    parsed = parse_text(tmp_path, text)
    assert parsed.prices[-1].instance_type == "type,299"
    assert parsed.prices == by_rows(text).prices


# --- the batch type ------------------------------------------------------------------------


def test_a_batch_reads_as_the_prices_it_holds(tmp_path: Path) -> None:
    parsed = parse_text(tmp_path, big_csv(50))
    batch = parsed.prices
    prices = list(batch)
    assert all(isinstance(p, SpotPrice) for p in prices)
    assert batch[3] == prices[3] and batch[-1] == prices[-1]
    assert list(batch[10:12]) == prices[10:12]
    assert PriceBatch.from_prices(prices) == batch
    assert PriceBatch.concat([batch[:20], batch[20:]]) == batch
    assert batch.rows == [to_row(p) for p in prices]
    assert math.isclose(sum(p.price_per_hour for p in batch), sum(r[12] for r in batch.rows))
