"""The import boundaries in pyproject.toml ([tool.importlinter]) hold: one test per contract.

``uv run lint-imports`` runs the same check (CI runs it too); here it runs once,
and each contract's verdict becomes its own test so a break names the boundary.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = [
    c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
]


@pytest.fixture(scope="module")
def report() -> str:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Contracts:" in done.stdout, done.stdout + done.stderr
    return done.stdout


def test_the_boundaries_of_the_layout_are_all_declared() -> None:
    sources = " | ".join(CONTRACTS)
    for part in ("feeds", "placement", "dashboard", "CLI", "core"):
        assert part in sources


@pytest.mark.parametrize("name", CONTRACTS)
def test_contract_is_kept(name: str, report: str) -> None:
    [verdict] = [
        line.removeprefix(name).strip()
        for line in report.splitlines()
        if line.startswith(name) and line.endswith(("KEPT", "BROKEN"))
    ]
    assert verdict == "KEPT", report[report.find("Broken contracts") :]
