from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.ingest.dataio import parse_file
from spotarb.store import open_store

runner = CliRunner()

HEADER = "provider,region,availability_zone,instance_type,vcpu,memory_gb,gpu_count,gpu_type,price_per_hour,observed_at\n"  # noqa: E501
GOOD = (
    HEADER
    + "aws,us-east-1,us-east-1a,m5.large,2,8,0,,0.035,2026-11-01T12:00:00Z\n"
    + "aws,us-east-1,us-east-1a,p4d.24xlarge,96,1152,8,nvidia-a100,9.8,2026-11-01T12:00:00Z\n"
    + "gcp,us-central1,,n2-standard-8,8,32,,,0.08,2026-11-01T12:00:00+00:00\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "spotarb.db")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_good_csv_then_unchanged_then_changed(tmp_path: Path, db: str) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    code, out, _ = run("import", str(good), "--db", db)
    assert code == 0, out
    assert "3 rows read, 3 inserted, 0 changed, 0 unchanged, 3 history rows added" in out
    code, out, _ = run("import", str(good), "--db", db)
    assert "0 inserted, 0 changed, 3 unchanged, 0 history rows added" in out
    changed = write(
        tmp_path,
        "changed.csv",
        GOOD.replace("0.035,2026-11-01T12:00:00Z", "0.05,2026-11-01T13:00:00Z"),
    )
    code, out, _ = run("import", str(changed), "--db", db, "--json")
    assert json.loads(out) | {"database": ""} == {
        "rowsRead": 3, "invalid": 0, "inserted": 0, "changed": 1, "unchanged": 2,
        "historyAdded": 1, "database": "",
        "unknownGpu": {"rows": 0, "first": None},
        "spotAboveOnDemand": {"rows": 0, "first": None},
    }  # fmt: skip
    store = open_store(db)
    assert store.info().history_rows == 4
    [p4d] = [p for p in store.current_prices() if p.instance_type == "p4d.24xlarge"]
    assert (p4d.gpu_count, p4d.gpu_type, p4d.source) == (8, "nvidia-a100", "import")


def test_import_jsonl_with_camel_case_keys_and_missing_times(tmp_path: Path, db: str) -> None:
    lines = [
        {"provider": "azure", "region": "eastus", "instanceType": "Standard_D2s_v3",
         "vcpu": 2, "memoryGB": 8, "pricePerHour": 0.02, "interruptionRate": 0.05},
        {"provider": "gcp", "region": "us-central1", "instance_type": "e2-micro",
         "vcpu": 0.25, "memory_gb": 1, "price_per_hour": 0.0025},
    ]  # fmt: skip
    path = write(tmp_path, "rows.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    code, _out, err = run("import", str(path), "--db", db)
    assert code == 0, err
    rows = {p.instance_type: p for p in open_store(db).current_prices()}
    assert rows["Standard_D2s_v3"].interruption_rate == 0.05
    assert rows["e2-micro"].vcpu == 0.25


def test_bad_rows_refuse_the_whole_import_and_report_line_numbers(tmp_path: Path, db: str) -> None:
    run("import", str(write(tmp_path, "good.csv", GOOD)), "--db", db)
    before = open_store(db).current_prices()
    bad = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "aws,us-east-1,us-east-1a,m5.large,2,8,0,,0.99,2026-11-02T00:00:00Z\n"  # fine
        + "oracle,x,,y,1,1,0,,0.1,\n"  # line 3: provider
        + "aws,us-east-1,,m5.large,2,8,0,,NaN,\n"  # line 4: NaN price
        + "aws,us-east-1,,m5.large,two,8,0,,0.1,\n"  # line 5: vcpu
        + "aws,us-east-1,,m5.large,2,8,0,,0.1,2026-11-01T12:00:00\n",  # line 6: naive time
    )
    code, out, err = run("import", str(bad), "--db", db)
    assert code == 2
    assert "bad.csv:3: provider: must be one of aws, azure, gcp (got 'oracle')" in err
    assert "bad.csv:4: price_per_hour: must be a finite number (got 'NaN')" in err
    assert "bad.csv:5: vcpu: must be a number (got 'two')" in err
    assert "bad.csv:6: observed_at: must carry a time zone" in err
    assert "import refused: 4 of 5 rows are invalid; nothing was written" in err
    assert "Traceback" not in err + out
    assert open_store(db).current_prices() == before  # 0.99 was not written


def test_skip_invalid_imports_the_good_rows(tmp_path: Path, db: str) -> None:
    bad = write(tmp_path, "mixed.csv", GOOD + "aws,us-east-1,,x.large,0,8,0,,0.1,\n")
    code, out, err = run("import", str(bad), "--skip-invalid", "--db", db)
    assert code == 0
    assert "mixed.csv:5: vcpu: must be > 0" in err
    assert "3 inserted" in out and "1 invalid skipped" in out
    assert len(open_store(db).current_prices()) == 3


def test_only_the_first_twenty_errors_are_listed(tmp_path: Path, db: str) -> None:
    text = HEADER + "".join(f"aws,r,,t{i},1,1,0,,-1,\n" for i in range(25))
    code, _, err = run("import", str(write(tmp_path, "many.csv", text)), "--db", db)
    assert code == 2
    assert err.count("price_per_hour: must be > 0") == 20
    assert "... and 5 more invalid rows" in err


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("cols.csv", "provider,region,pricePerHr\n", "unknown column 'pricePerHr'"),
        ("data.xlsx", "x", "unknown file type"),
        ("broken.jsonl", '{"provider": "aws"\n', "broken.jsonl:1: not valid JSON"),
        ("list.jsonl", "[1, 2]\n", "a line must hold one JSON object"),
        ("missing-col.csv", "provider,region\naws,x\n", "instance_type: is required"),
    ],
)
def test_bad_files_give_one_clear_line(
    tmp_path: Path, db: str, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    code, _out, err = run("import", str(path), "--db", db)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unwritable_database_path(tmp_path: Path) -> None:
    blocker = write(tmp_path, "blocker", "x")
    code, _, err = run("import", str(write(tmp_path, "g.csv", GOOD)), "--db", f"{blocker}/x/y.db")
    assert code == 1
    assert "cannot create database directory" in err


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_import_round_trip(tmp_path: Path, db: str, fmt: str) -> None:
    run("import", str(write(tmp_path, "good.csv", GOOD)), "--db", db)
    out_file = tmp_path / f"out.{fmt}"
    code, _, err = run("export", "--format", fmt, "--output", str(out_file), "--db", db)
    assert code == 0 and "Wrote 3 rows" in err
    other = str(tmp_path / "other.db")
    code, out, _ = run("import", str(out_file), "--db", other)
    assert code == 0, out
    assert open_store(other).current_prices() == open_store(db).current_prices()


def test_export_to_stdout_has_the_normalized_header(tmp_path: Path, db: str) -> None:
    run("import", str(write(tmp_path, "good.csv", GOOD)), "--db", db)
    code, out, _ = run("export", "--db", db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3
    assert list(rows[0])[:4] == ["provider", "region", "instance_type", "vcpu"]
    assert {r["instance_type"] for r in rows} == {"m5.large", "p4d.24xlarge", "n2-standard-8"}


def test_history_export_round_trips_into_history(tmp_path: Path, db: str) -> None:
    run("import", str(write(tmp_path, "a.csv", GOOD)), "--db", db)
    run("import", str(write(tmp_path, "b.csv", GOOD.replace("0.035,2026-11-01T12:00:00Z",
                                                           "0.05,2026-11-01T13:00:00Z"))),
        "--db", db)  # fmt: skip
    hist = tmp_path / "hist.csv"
    run("export", "--history", "-o", str(hist), "--db", db)
    assert len(parse_file(hist).prices) == 4
    other = str(tmp_path / "other.db")
    code, out, _ = run("import", str(hist), "--db", other)
    assert code == 0 and "4 history rows added; 1 row repeated a key (the newest" in out
    assert open_store(other).all_history() == open_store(db).all_history()

    def current(path: str) -> list[tuple[object, ...]]:
        return [(p.key, p.price_per_hour, p.observed_at) for p in open_store(path).current_prices()]

    # History rows carry the collection time of their change, so compare what they observed.
    assert current(other) == current(db)


def test_prices_table_json_and_csv(tmp_path: Path, db: str) -> None:
    run("import", str(write(tmp_path, "good.csv", GOOD)), "--db", db)
    code, out, _ = run("prices", "--db", db)
    assert code == 0
    assert "m5.large" in out and "8×a100" in out and "9.8000" in out
    code, out, _ = run("prices", "--db", db, "--gpu", "A100", "--json")
    [row] = json.loads(out)
    assert row["instanceType"] == "p4d.24xlarge" and row["gpuCount"] == 8
    assert row["memoryGB"] == 1152
    code, out, _ = run("prices", "--db", db, "--provider", "gcp", "--csv")
    assert out.splitlines()[1].startswith("gcp,us-central1,n2-standard-8")
    code, out, _ = run("prices", "--db", db, "--max-price", "0.05", "--min-vcpu", "2", "--json")
    assert [r["instanceType"] for r in json.loads(out)] == ["m5.large"]
    code, _, err = run("prices", "--db", db, "--gpu", "a1000")
    assert code == 2 and "did you mean" in err and "nvidia-a100" in err


def test_db_info(tmp_path: Path, db: str) -> None:
    run("import", str(write(tmp_path, "good.csv", GOOD)), "--db", db)
    code, out, _ = run("db", "info", "--db", db)
    assert code == 0
    assert "Schema version: 2" in out and "3 current" in out and "2026-11-01 12:00:00Z" in out
    data = json.loads(run("db", "info", "--db", db, "--json")[1])
    assert {p["provider"]: p["rows"] for p in data["providers"]} == {"aws": 2, "gcp": 1}


def test_every_command_has_help() -> None:
    for command in (["import"], ["export"], ["prices"], ["db", "info"], ["feeds"], ["collect"]):
        code, out, _ = run(*command, "--help")
        assert code == 0 and "Usage" in out, command


def test_spotarb_db_env_var_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTARB_DB", str(tmp_path / "env.db"))
    code, _, _ = run("import", str(write(tmp_path, "good.csv", GOOD)))
    assert code == 0
    assert len(open_store(str(tmp_path / "env.db")).current_prices()) == 3


def test_an_import_and_its_unchanged_reimport_write_no_scratch_files(
    tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    lines = [
        f"aws,us-east-1,us-east-1a,m{i}.large,2,8,0,,{0.01 + i / 1e4:.4f},2026-11-01T12:00:00Z"
        for i in range(3000)
    ]
    path = write(tmp_path, "big.csv", HEADER + "\n".join(lines) + "\n")
    code, out, _ = run("import", str(path), "--db", db, "--json")
    assert code == 0, out
    assert json.loads(out)["inserted"] == 3000
    code, out, _ = run("import", str(path), "--db", db, "--json")
    assert (json.loads(out)["unchanged"], json.loads(out)["historyAdded"]) == (3000, 0)
    assert list(scratch.iterdir()) == []  # rows are held in memory only
    assert open_store(db).info().history_rows == 3000
    prices = open_store(db).current_prices()
    assert sorted(p.instance_type for p in prices) == sorted(f"m{i}.large" for i in range(3000))
