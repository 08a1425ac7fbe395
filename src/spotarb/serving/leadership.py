"""Who collects: one elected collector per store, whatever the number of ``serve`` processes.

- PostgreSQL: an advisory lock and a fenced lease (:mod:`spotarb.serving.pg_leadership`).
- SQLite: an exclusive ``flock`` on ``<db>.collector.lock`` (released by the OS when
  the process dies). A second ``serve`` on the same file serves the API only.
- ``:memory:``: one process, always the leader.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

logger = logging.getLogger(__name__)


class Leadership(Protocol):
    """One instance's view of the election."""

    @property
    def leading(self) -> bool:
        """True while this instance is the collector (as of the last check)."""
        ...

    def try_lead(self) -> bool:
        """Become the collector if nobody is; check the hold if we are. True if leading."""
        ...

    def leader_id(self) -> str | None:
        """The instance that collects now, or None when nobody does."""
        ...

    def close(self) -> None:
        """Resign (if leading) and release what the election holds."""
        ...


class FileLockLeadership:
    """An exclusive ``flock`` on a file beside the SQLite database; it names its holder."""

    def __init__(self, lock_path: str | Path, instance_id: str) -> None:
        self.path = Path(lock_path)
        self.instance_id = instance_id
        self._file: IO[str] | None = None

    @property
    def leading(self) -> bool:
        return self._file is not None

    def try_lead(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(self.instance_id)
        handle.flush()
        self._file = handle
        logger.warning("%s is now the collector for %s", self.instance_id, self.path)
        return True

    def leader_id(self) -> str | None:
        if self._file is not None:
            return self.instance_id
        try:
            handle = self.path.open()
        except FileNotFoundError:
            return None
        with handle:
            try:  # a shared lock is granted only while nobody holds the exclusive one
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return handle.read().strip() or None
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None


class SoleLeadership:
    """A store only this process can see (``:memory:``): it always collects."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id

    @property
    def leading(self) -> bool:
        return True

    def try_lead(self) -> bool:
        return True

    def leader_id(self) -> str | None:
        return self.instance_id

    def close(self) -> None:
        pass


def default_instance_id() -> str:
    return f"{os.uname().nodename}-{os.getpid()}"
