"""A running service serves what another process committed within about a second (SQLite)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from spotarb.core.config import load_settings
from spotarb.core.http import OutboundClients
from spotarb.ingest.aggregator import Aggregator
from spotarb.serving.service import Service
from spotarb.store.sqlite import SqliteStore
from tests.service.conftest import row

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_an_import_by_another_process_is_served_within_two_seconds(tmp_path: Path) -> None:
    from spotarb.api import create_app

    db = str(tmp_path / "prices.db")
    settings = load_settings(db=db, max_retries=0, feeds="aws")
    service = Service(settings, SqliteStore(db), clients=OutboundClients(settings))
    with TestClient(create_app(settings, service=service, collect=False)) as client:
        assert client.get("/v1/prices").json()["prices"] == []
        other = SqliteStore(db)  # what `spotarb import` in another process opens
        Aggregator(other).write("import", [row(source="import", instance_type="m7i.large")])
        version = other.data_version()
        written = time.monotonic()
        while client.get("/v1/cluster").json()["dataVersion"] != version:
            assert time.monotonic() - written < 2.0, "the service never saw the import"
            time.sleep(0.05)
        prices = client.get("/v1/prices").json()["prices"]
        assert [p["instanceType"] for p in prices] == ["m7i.large"]
        other.close()
