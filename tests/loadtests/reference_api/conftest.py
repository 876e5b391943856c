"""PostgreSQL for the store tests: the server on 127.0.0.1:5432, a fresh schema per test;
and ``durable``: each durable store in turn (SQLite, PostgreSQL), reopened as a restart would.

Without a reachable server the PostgreSQL tests are skipped with the reason; under CI
(``CI=true``) a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from loadtests.reference_api.store import EventStore, SQLiteStore

DSN = os.environ.get("OMNICANAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """(dsn, schema): a schema that exists for this test only."""
    try:
        admin = psycopg.connect(DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        reason = f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(e).__name__})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; under CI it must be there")
        pytest.skip(reason)
    schema = f"omnicanal_test_{uuid.uuid4().hex[:12]}"
    try:
        yield DSN, schema
    finally:
        admin.execute(
            psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                psycopg.sql.Identifier(schema)
            )
        )
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def durable(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], EventStore]:
    """A durable store, as a function that opens it again (a restarted server's store)."""
    if request.param == "sqlite":
        return lambda: SQLiteStore(tmp_path / "events.db")
    dsn, schema = request.getfixturevalue("postgres_schema")
    from loadtests.reference_api.store.postgres import PostgresStore

    return lambda: PostgresStore(dsn, schema=schema)
