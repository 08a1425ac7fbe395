from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spotarb.cli import app
from spotarb.core.config import load_settings
from spotarb.core.errors import ConfigError


def test_env_overrides_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "spotarb.toml"
    config.write_text(
        'db = "/srv/spotarb.db"\naws_regions = ["us-east-1", "eu-west-1"]\nread_timeout = 12.5\n'
        'gcp_api_key = "AIza-from-file"\n'
    )
    monkeypatch.setenv("SPOTARB_CONFIG", str(config))
    monkeypatch.setenv("SPOTARB_READ_TIMEOUT", "7")
    settings = load_settings()
    assert settings.db == "/srv/spotarb.db"
    assert settings.aws_regions == ["us-east-1", "eu-west-1"]
    assert settings.read_timeout == 7.0
    assert settings.gcp_api_key is not None
    assert "AIza-from-file" not in repr(settings)  # secrets are masked
    assert load_settings(db="/tmp/x.db").db == "/tmp/x.db"  # --db beats both


def test_comma_lists_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTARB_AZURE_REGIONS", "eastus, westeurope,,")
    monkeypatch.setenv("SPOTARB_FEEDS", "aws,gcp")
    settings = load_settings()
    assert settings.azure_regions == ["eastus", "westeurope"]
    assert settings.feeds == ["aws", "gcp"]


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SPOTARB_MAX_RETRIES", "many", "max_retries"),
        ("SPOTARB_CONNECT_TIMEOUT", "-1", "connect_timeout"),
        ("SPOTARB_FEEDS", "aws,oracle", "unknown feed"),
    ],
)
def test_bad_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str, tmp_path: Path
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()
    result = CliRunner().invoke(app, ["prices", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_a_broken_toml_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("db = [unclosed\n")
    monkeypatch.setenv("SPOTARB_CONFIG", str(config))
    with pytest.raises(ConfigError, match="cannot read settings"):
        load_settings()


def test_python_dash_m_and_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "spotarb", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("spotarb ")
