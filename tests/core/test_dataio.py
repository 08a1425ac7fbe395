"""The CSV reader's paths must agree: the fast path (a generated row builder, split over two
processes for a big file) accepts exactly what ``SpotPrice`` accepts, and stores the same values.
"""

from __future__ import annotations

import csv
import io
import math
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotarb.core.errors import DataFileError
from spotarb.core.models import SpotPrice
from spotarb.core.rows import PriceBatch, from_row, to_row
from spotarb.ingest import dataio
from spotarb.ingest.dataio import (
    CsvWorker,
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


# --- a big file is parsed by two processes ------------------------------------------------


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


def test_a_split_parse_equals_a_single_process_parse(
    tmp_path: Path, split_always: list[int]
) -> None:
    text = big_csv(3000)
    parsed = parse_text(tmp_path, text)
    assert len(split_always) == 1
    assert parsed.rows_read == len(parsed.prices) == 3000
    # The worker's rows wait in its staging file; their keys are already here.
    (staged,) = parsed.prices.staged
    assert 0 < len(staged) < 3000
    reference = by_rows(text).prices
    assert list(parsed.prices.keys()) == list(reference.keys())
    assert parsed.prices == bulk(text)  # the fast path in one process
    assert parsed.prices == reference  # the row-by-row reference
    # The rows stay in file order across the split.
    assert [p.instance_type for p in parsed.prices][::999] == [
        f"type-{i}" for i in (0, 999, 1998, 2997)
    ]


def test_a_split_finds_record_boundaries_in_bytes(tmp_path: Path, split_always: list[int]) -> None:
    """CRLF line ends, a byte order mark, characters of several bytes, no final line end."""
    lines = big_csv(3000).replace("type-", "typ\u00e9\u4e2d-").splitlines()
    text = "\ufeff" + "\r\n".join(lines)
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    parsed = parse_file(path, now=NOW)
    assert len(split_always) == 1 and parsed.prices.staged
    assert parsed.prices == by_rows(text.removeprefix("\ufeff")).prices
    assert parsed.prices[-1].instance_type == "typ\u00e9\u4e2d-2999"


@pytest.mark.parametrize("where", ["first part", "worker's part"])
def test_a_bad_row_in_either_part_is_reported_by_its_line(
    tmp_path: Path, split_always: list[int], where: str
) -> None:
    line = 10 if where == "first part" else 2990
    parsed = parse_text(tmp_path, big_csv(3000, bad_line=line))
    assert split_always, "the file was split"
    assert [str(e) for e in parsed.errors] == [
        f"{tmp_path / 'f.csv'}:{line}: price_per_hour: must be a finite number (got 'nan')"
    ]
    assert len(parsed.prices) == 2999


def test_a_file_with_quotes_is_not_split(tmp_path: Path, split_always: list[int]) -> None:
    text = big_csv(3000, quoted=True)
    parsed = parse_text(tmp_path, text)
    assert split_always == []
    assert parsed.prices[-1].instance_type == "type,2999"
    assert parsed.prices == by_rows(text).prices


def test_a_worker_that_fails_is_replaced_by_this_process(
    tmp_path: Path, split_always: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CsvWorker, "MODULE", "spotarb.no_such_module")
    text = big_csv(3000)
    parsed = parse_text(tmp_path, text)
    assert len(split_always) == 1  # it started, failed, and its part was parsed here
    assert parsed.prices == by_rows(text).prices


def test_a_worker_that_cannot_start_is_not_an_error(
    tmp_path: Path, split_always: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataio.sys, "executable", str(tmp_path / "no-python"))
    text = big_csv(3000)
    parsed = parse_text(tmp_path, text)
    assert split_always == []
    assert parsed.prices == by_rows(text).prices


def test_a_worker_that_fails_after_validating_is_replaced_by_this_process(
    tmp_path: Path,
    split_always: list[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The worker validates its rows and sends their keys, then cannot write its staging file.
    monkeypatch.setattr(dataio, "reserve_stage_file", lambda: tmp_path / "gone" / "stage.db")
    text = big_csv(3000)
    parsed = parse_text(tmp_path, text)
    assert len(split_always) == 1 and parsed.prices.staged
    assert parsed.prices == by_rows(text).prices  # its part was parsed again, here
    assert "the CSV worker process failed (exit 1)" in caplog.text


def test_a_staging_file_is_deleted_with_its_batch(tmp_path: Path, split_always: list[int]) -> None:
    parsed = parse_text(tmp_path, big_csv(3000))
    (staged,) = parsed.prices.staged
    assert staged.finished() and staged.path.stat().st_size > 0
    path = staged.path
    del parsed, staged
    assert not path.exists()


def test_discarding_a_staged_part_stops_its_worker_and_deletes_its_file(
    tmp_path: Path, split_always: list[int]
) -> None:
    parsed = parse_text(tmp_path, big_csv(3000))
    (staged,) = parsed.prices.staged
    path = staged.path
    staged.discard()  # whether or not the worker was done, it is gone with its file
    assert not path.exists()
    with pytest.raises(ChildProcessError):
        os.waitpid(split_always[0], os.WNOHANG)  # already reaped


def test_small_files_are_not_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(CsvWorker, "start", classmethod(lambda cls, *a: started.append(a)))
    parse_text(tmp_path, big_csv(3000))
    assert len(big_csv(3000)) < dataio.SPLIT_MIN_CHARS
    assert started == []


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
    assert list(batch.keys()) == [p.key for p in prices]
    assert math.isclose(sum(p.price_per_hour for p in batch), sum(r[12] for r in batch.rows))
