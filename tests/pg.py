"""The local PostgreSQL server for tests: one database per test run, one schema per test.

Tests that need it take the ``pg_url`` fixture and are marked ``postgres``. When the
server is unreachable they fail under CI (``CI=true``: the CI script starts it) and
skip elsewhere, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

HOST = os.environ.get("SPOTARB_TEST_PG_HOST", "127.0.0.1")
PORT = int(os.environ.get("SPOTARB_TEST_PG_PORT", "5432"))
USER = "postgres"


def admin_url(db: str = "postgres") -> str:
    return f"postgresql://{USER}@{HOST}:{PORT}/{db}"


def schema_url(db: str, schema: str) -> str:
    """A URL whose connections create and find their tables in ``schema``."""
    return f"{admin_url(db)}?options={quote(f'-csearch_path={schema}')}"


def unreachable(reason: str) -> None:
    message = f"PostgreSQL at {HOST}:{PORT} is not reachable ({reason})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; CI must start it (.ci/run does)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A new database for this test run (dropped at the end); its name."""
    name = f"spotarb_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin_url(), autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unreachable(str(exc).splitlines()[0])
    yield name
    with psycopg.connect(admin_url(), autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A URL of an empty schema of its own in the run's database (dropped after the test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(pg_database), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield schema_url(pg_database, schema)
    with psycopg.connect(admin_url(pg_database), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
