"""The README stays true: its library example runs and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.main import get_command

from spotarb.cli import app
from spotarb.core.models import SpotPrice

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_library_example_runs() -> None:
    [block] = re.findall(r"```python\n(.*?)```", README, re.S)
    prices = [
        SpotPrice("aws", "us-east-1", "p4d.24xlarge", 96, 1152, 9.8, gpu_count=8,
                  gpu_type="nvidia-a100", availability_zone="us-east-1a"),
        SpotPrice("gcp", "us-central1", "a2-highgpu-1g", 12, 85, 1.1, gpu_count=1,
                  gpu_type="nvidia-a100"),
    ]  # fmt: skip
    namespace: dict[str, object] = {"prices": prices, "print": lambda *a: None}
    exec(compile(block, "README.md", "exec"), namespace)
    decision = namespace["decision"]
    assert decision.instance_type == "a2-highgpu-1g"


def _commands(group: typer.Typer) -> list[str]:
    root = get_command(group)
    names: list[str] = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return names


def test_every_command_is_in_the_readme() -> None:
    commands = _commands(app)
    assert {"serve", "place", "collect", "import", "export", "prices", "feeds", "db info"} <= set(
        commands
    )
    for name in commands:
        assert f"`spotarb {name}" in README, f"README does not document `spotarb {name}`"
