from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proxy_server import ProxyProcess, start_proxy
from tests.recorded import require_root

#: The local PostgreSQL fixtures (``pg_url``) for any test package.
pytest_plugins = ["tests.pg"]


@pytest.fixture(autouse=True)
def _clean_spotarb_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's SPOTARB_* settings, config file or proxies."""
    import os

    for name in list(os.environ):
        if name.startswith("SPOTARB_") or name.lower() in {
            "http_proxy",
            "https_proxy",
            "all_proxy",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPOTARB_CONFIG", str(tmp_path / "no-config.toml"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """A real proxy.py process; its access log shows every request sent through it."""
    process = start_proxy(tmp_path_factory.mktemp("proxy"))
    yield process
    process.stop()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The recorded cloud payloads beside the checkout (:mod:`tests.recorded`); else skip."""
    return require_root()
