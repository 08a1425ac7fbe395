"""A read command given a database path that does not exist says so and creates nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.store import open_store, sqlite_file

runner = CliRunner()

GOOD = (
    "provider,region,instance_type,vcpu,memory_gb,price_per_hour,observed_at\n"
    "aws,us-east-1,m5.large,2,8,0.035,2026-11-01T12:00:00Z\n"
)

READ_COMMANDS = [
    ["prices"],
    ["db", "info"],
    ["export"],
    ["export", "--format", "jsonl", "--output", "OUT"],
    ["place", "--cpu", "2", "--memory", "4"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("form", ["path", "url"])
def test_a_read_command_on_a_missing_database_fails_and_creates_nothing(
    tmp_path: Path, command: list[str], form: str
) -> None:
    missing = tmp_path / "typo" / "spotarb.db"
    target = str(missing) if form == "path" else f"sqlite:///{missing}"
    args = [str(tmp_path / "out.jsonl") if a == "OUT" else a for a in command]
    result = runner.invoke(app, [*args, "--db", target])
    assert result.exit_code == 1, result.stdout
    assert f"no database at {missing} (run spotarb import or collect first)" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no directory, no output file


def test_the_default_database_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTARB_DB", str(tmp_path / "env.db"))
    result = runner.invoke(app, ["db", "info"])
    assert result.exit_code == 1
    assert f"no database at {tmp_path / 'env.db'}" in result.stderr
    assert not (tmp_path / "env.db").exists()


def test_import_creates_the_database_and_read_commands_then_work(tmp_path: Path) -> None:
    db = tmp_path / "new" / "spotarb.db"
    data = tmp_path / "good.csv"
    data.write_text(GOOD)
    assert runner.invoke(app, ["import", str(data), "--db", str(db)]).exit_code == 0
    assert db.exists()
    for command in READ_COMMANDS[:3]:
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 0, (command, result.stderr)
    assert "m5.large" in runner.invoke(app, ["prices", "--db", f"sqlite:///{db}"]).stdout
    assert len(open_store(str(db)).current_prices()) == 1


@pytest.mark.parametrize(
    ("target", "path"),
    [
        ("/data/x.db", "/data/x.db"),
        ("rel/x.db", "rel/x.db"),
        ("sqlite:///rel/x.db", "rel/x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        (":memory:", None),
        ("sqlite:///:memory:", None),
        ("postgresql://user@127.0.0.1:5432/test", None),
        ("postgres://127.0.0.1/test", None),
    ],
)
def test_which_targets_name_a_sqlite_file(target: str, path: str | None) -> None:
    # A server URL is never checked for a file: the server knows whether its database exists.
    assert sqlite_file(target) == path
