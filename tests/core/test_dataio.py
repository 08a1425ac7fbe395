"""The CSV reader's two paths (whole columns, row by row) must agree on every valid file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from spotarb.dataio import (
    ParsedFile,
    _BulkRejected,
    _column_names,
    _parse_csv_bulk,
    _parse_csv_rows,
    parse_file,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)

cells = st.fixed_dictionaries(
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


def rows_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=80, deadline=None)
@given(st.lists(cells, min_size=1, max_size=20))
def test_bulk_and_row_paths_agree(rows: list[dict[str, str]]) -> None:
    text = rows_text(rows)
    by_row = ParsedFile()
    _parse_csv_rows(io.StringIO(text), Path("x.csv"), NOW, by_row)
    assert not by_row.errors
    reader = list(csv.reader(io.StringIO(text)))
    try:
        bulk = _parse_csv_bulk(reader[1:], _column_names(reader[0]), NOW)
    except _BulkRejected:  # it may decline (padded text cells); then the row path decides
        bulk = None
    if bulk is not None:
        assert bulk == by_row.prices
    assert parse_file_text(text) == by_row.prices


def parse_file_text(text: str) -> list[object]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_text(text)
        return list(parse_file(path, now=NOW).prices)


def test_defaults_for_absent_and_blank_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "provider,region,instance_type,vcpu,memory_gb,price_per_hour,arch\n"
        "aws,us-east-1,m5.large,2,8,0.035,\n"
    )
    [row] = parse_file(path, now=NOW).prices
    assert (row.availability_zone, row.gpu_count, row.arch, row.os) == ("", 0, "x86_64", "linux")
    assert (row.observed_at, row.collected_at, row.source) == (NOW, NOW, "import")
