"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

from spotarb.ingest import dataio
from spotarb.ingest.dataio import CsvWorker


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Split every file, and count the worker processes started."""
    monkeypatch.setattr(dataio, "SPLIT_MIN_CHARS", 0)
    started: list[int] = []
    original = CsvWorker.start.__func__  # type: ignore[attr-defined]

    def counting(cls: type[CsvWorker], *args: object) -> CsvWorker | None:
        worker = original(cls, *args)
        if worker is not None:
            started.append(worker.proc.pid)
        return worker

    monkeypatch.setattr(CsvWorker, "start", classmethod(counting))
    return started
