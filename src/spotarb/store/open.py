"""Open a store from a path or URL: ``/path/x.db``, ``sqlite:///x.db``, ``:memory:``,
``postgresql://user@host:5432/db``."""

from __future__ import annotations

from spotarb.core.errors import StoreError
from spotarb.store.base import PriceStore


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def open_store(target: str) -> PriceStore:
    """Open (creating and migrating as needed) the store at ``target``."""
    if is_postgres_url(target):
        from spotarb.store.postgres import PostgresStore

        return PostgresStore(target)
    from spotarb.store.sqlite import SqliteStore

    if target.startswith("sqlite://"):
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db.
        path = target.removeprefix("sqlite://").removeprefix("/")
        if not path:
            raise StoreError(f"invalid SQLite URL {target!r}: no path")
        return SqliteStore(path)
    if "://" in target:
        raise StoreError(
            f"unsupported database URL {target!r}; use a path, sqlite:///PATH "
            "or postgresql://USER@HOST:PORT/DB"
        )
    return SqliteStore(target)


def sqlite_file(target: str) -> str | None:
    """The file a SQLite path or ``sqlite:///`` URL names; None for ``:memory:`` or a server."""
    if target.startswith("sqlite://"):
        target = target.removeprefix("sqlite://").removeprefix("/")
    elif "://" in target:
        return None
    return None if target in ("", ":memory:") else target
