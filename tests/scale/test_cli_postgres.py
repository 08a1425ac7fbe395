"""The data commands on a postgresql:// URL: the same behaviour as on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.store import open_store
from spotarb.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

runner = CliRunner()

CSV = (
    "provider,region,availability_zone,instance_type,vcpu,memory_gb,gpu_count,gpu_type,"
    "price_per_hour,observed_at\n"
    "aws,us-east-1,us-east-1a,m5.large,2,8,0,,0.035,2026-11-01T12:00:00Z\n"
    "aws,us-east-1,us-east-1a,p4d.24xlarge,96,1152,8,nvidia-a100,9.8,2026-11-01T12:00:00Z\n"
    "gcp,us-central1,,n2-standard-8,8,32,,,0.08,2026-11-01T12:00:00+00:00\n"
)


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_prices_export_and_info_on_postgres(pg_url: str, tmp_path: Path) -> None:
    src = tmp_path / "prices.csv"
    src.write_text(CSV)
    code, out, err = run("import", str(src), "--db", pg_url)
    assert code == 0, err
    assert "3 rows read, 3 inserted, 0 changed, 0 unchanged, 3 history rows added" in out
    code, out, _ = run("import", str(src), "--db", pg_url)
    assert "0 inserted, 0 changed, 3 unchanged, 0 history rows added" in out
    code, out, _ = run("prices", "--db", pg_url, "--max-price", "0.05", "--json")
    assert [r["instanceType"] for r in json.loads(out)] == ["m5.large"]
    code, out, _ = run("db", "info", "--db", pg_url, "--json")
    info = json.loads(out)
    assert info["schemaVersion"] == 2 and info["currentRows"] == 3 and info["runs"] == 2
    assert info["database"].startswith("postgresql://***@127.0.0.1")
    exported = tmp_path / "out.jsonl"
    code, _, err = run("export", "--format", "jsonl", "-o", str(exported), "--db", pg_url)
    assert code == 0 and "Wrote 3 rows" in err
    sqlite_db = str(tmp_path / "copy.db")
    assert run("import", str(exported), "--db", sqlite_db)[0] == 0
    copy, original = open_store(sqlite_db), open_store(pg_url)
    assert copy.current_prices() == original.current_prices()
    copy.close()
    original.close()
    place = ("place", "--cpu", "8", "--memory", "32", "--max-age", "1000d", "--json")
    code, out, err = run(*place, "--db", pg_url)
    assert code == 0, err
    assert json.loads(out)["instanceType"] == "n2-standard-8"


def test_spotarb_db_may_be_a_postgres_url(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTARB_DB", pg_url)
    src = tmp_path / "prices.csv"
    src.write_text(CSV)
    assert run("import", str(src))[0] == 0
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore) and len(store.current_prices()) == 3
    store.close()


def test_bad_input_leaves_postgres_untouched(pg_url: str, tmp_path: Path) -> None:
    src = tmp_path / "prices.csv"
    src.write_text(CSV)
    run("import", str(src), "--db", pg_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV.replace("0.08", "-1"))
    code, _, err = run("import", str(bad), "--db", pg_url)
    assert code == 2 and "bad.csv:4: price_per_hour" in err
    store = open_store(pg_url)
    assert store.info().runs == 1 and len(store.current_prices()) == 3
    store.close()


def test_an_unreachable_server_is_one_clear_line_without_the_password() -> None:
    url = "postgresql://spot:s3cret-pw@127.0.0.1:1/prices"
    code, out, err = run("db", "info", "--db", url)
    assert code == 1
    assert "cannot open database postgresql://spot:***@127.0.0.1:1/prices" in err
    assert "s3cret-pw" not in out + err
