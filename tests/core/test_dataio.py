"""The CSV reader's paths must agree: the fast path (a generated row builder) accepts exactly
what ``SpotPrice`` accepts, and stores the same values.
"""

from __future__ import annotations

import csv
import io
import math
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
    _parse_csv_bulk,
    _parse_csv_rows,
    parse_file,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)

valid_cells = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(["aws", "azure", "gcp"]),
        "region": st.sampled_from(["us-east-1", "eastus", " padded "]),
        "instance_type": st.sampled_from(["m5.large", "e2-micro"]),
        "vcpu": st.sampled_from(["2", "0.25", "96", " 4 "]),
        "memory_gb": st.sampled_from(["8", "1", "1152.0"]),
        "price_per_hour": st.sampled_from(["0.035", "1e-3", "31.17"]),
        "availability_zone": st.sampled_from(["", "us-east-1a"]),
        "gpu_count": st.sampled_from(["", "0"]),
        "interruption_rate": st.sampled_from(["", "0.05", "1"]),
        "on_demand_price_per_hour": st.sampled_from(["", "0.1"]),
        "arch": st.sampled_from(["", "arm64"]),
        "observed_at": st.sampled_from(["", "2026-11-01T12:00:00Z", "2026-11-01T14:00:00+02:00"]),
    }
)

# Each column offers good cells and the ways a cell goes wrong (or is merely unusual:
# padding, blanks, another spelling), so both paths are compared on refusals too.
any_cells = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(["aws", "gcp", " azure", "AWS", "", "oracle"]),
        "region": st.sampled_from(["us-east-1", " eastus ", "", "  ", "\tx"]),
        "instance_type": st.sampled_from(["m5.large", "", " e2-micro"]),
        "vcpu": st.sampled_from(["2", "0.25", " 4 ", "0", "-1", "nan", "inf", "", "x", "1_0"]),
        "memory_gb": st.sampled_from(["8", "1e3", "0", "-inf", ""]),
        "price_per_hour": st.sampled_from(["0.035", "1e-3", "0", "-0.1", "NaN", "", " "]),
        "availability_zone": st.sampled_from(["", "us-east-1a", " ", " z "]),
        "gpu_count": st.sampled_from(["", "0", "1", "8", "-1", "2.0", "1.5", " ", " 2 "]),
        "gpu_type": st.sampled_from(["", "nvidia-a100", " ", " nvidia-t4 "]),
        "gpu_memory_gb": st.sampled_from(["", "40", "0", "nan", " "]),
        "network_bandwidth_gbps": st.sampled_from(["", "10", "-5", "inf"]),
        "interruption_rate": st.sampled_from(["", "0", "0.05", "1", "1.01", "-0.0", "-0.1"]),
        "on_demand_price_per_hour": st.sampled_from(["", "0.1", "0", "nan"]),
        "arch": st.sampled_from(["", "arm64", "x86_64", "sparc", " arm64 "]),
        "os": st.sampled_from(["", "linux", "windows", "macos"]),
        "source": st.sampled_from(["", "bench", " "]),
        "interruption_source": st.sampled_from(["", "advisor", " "]),
        "observed_at": st.sampled_from(
            ["", " ", "2026-11-01T12:00:00Z", "2026-11-01T14:00:00+02:00", "2026-11-01", "soon"]
        ),
        "collected_at": st.sampled_from(["", "2026-11-01T12:00:00+00:00", "2026-11-01T12:00:00"]),
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
    # Every stored row is what a SpotPrice of the same values stores.
    for row in reference.prices.rows:
        assert to_row(SpotPrice(**from_row(row).to_dict())) == row


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
