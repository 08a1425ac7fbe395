"""``--help`` of every command: flags show no value placeholder, options show theirs."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from spotarb.cli import app

runner = CliRunner()


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group (typer carries its own copy of click: duck-typed)."""
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_every_command_is_covered() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "serve", "collect", "place", "import", "db info"} <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "spotarb" for p, _ in COMMANDS]
)
def test_flags_show_no_value_placeholder(path: tuple[str, ...], command: Any) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    options = [p for p in command.params if p.param_type_name == "option"]
    for option in options:
        if option.hidden:
            continue
        [line] = [
            line for line in lines if option.opts[-1] in [t.rstrip(",") for t in line.split()]
        ]
        before_help = line.split("  ")[1] if line.startswith("  ") else line
        if option.is_flag:
            assert "<" not in before_help, line  # e.g. "--no-collect <bool>" reads as a value
        else:
            assert "<" in before_help or option.metavar in before_help, line
    assert "-h, --help  " in result.stdout
