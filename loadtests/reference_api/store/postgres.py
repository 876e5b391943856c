"""An event store in PostgreSQL (psycopg 3), for servers that share one database.

The in-flight sequence gap: with a SEQUENCE or IDENTITY column, transaction A can take
position 7, transaction B position 8, and B commit first; a reader following positions sees 8,
moves on, and never sees 7 when A commits. Mature stores avoid this by serialising the moment
positions are assigned. Here every append takes a transaction-scoped advisory lock
(``pg_advisory_xact_lock``) first and assigns position = max + 1 under it, so positions are
given and become visible in commit order with no gap; the lock is released at COMMIT or
ROLLBACK. Appends are therefore one at a time, which a reference API can afford. A unique
(stream, version) constraint backs the optimistic concurrency check, and idempotency answers
are stored in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from loadtests.reference_api.store.base import IntegrityError, StoreError, StoreUnavailable
from loadtests.reference_api.store.sql import Queries, SQLStore

LOCK = 7_346_127
"""The advisory lock key of appends (any fixed bigint)."""

_SCHEMA = (
    "CREATE SCHEMA IF NOT EXISTS {schema}",
    """CREATE TABLE IF NOT EXISTS {events} (
        position BIGINT PRIMARY KEY,
        stream TEXT NOT NULL,
        version BIGINT NOT NULL,
        type TEXT NOT NULL,
        data JSONB NOT NULL,
        UNIQUE (stream, version)
    )""",
    "CREATE INDEX IF NOT EXISTS events_by_type ON {events} (type, position)",
    """CREATE TABLE IF NOT EXISTS {answers} (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        answer JSONB NOT NULL,
        results JSONB NOT NULL
    )""",
)


def _quoted(name: str) -> str:
    """An SQL identifier, quoted as PostgreSQL quotes them."""
    return '"' + name.replace('"', '""') + '"'


class PostgresStore(SQLStore[psycopg.Connection[Any]]):
    """Events in ``<schema>.events``; one connection per thread."""

    def __init__(self, dsn: str, *, schema: str = "omnicanal") -> None:
        tables = {
            "schema": _quoted(schema),
            "events": f"{_quoted(schema)}.events",
            "answers": f"{_quoted(schema)}.answers",
        }
        super().__init__(Queries.over(tables["events"], tables["answers"], "%s"))
        self._dsn = dsn  # kept private: a DSN may hold a password, never print it
        self.schema = schema
        self.name = f"PostgreSQL store (schema {schema})"
        with self._writing() as _:
            conn = self._connections.get()
            for statement in _SCHEMA:
                conn.execute(statement.format(**tables))

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)

    @contextmanager
    def _transaction(self, conn: psycopg.Connection[Any]) -> Iterator[None]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
            yield

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg.errors.IntegrityError as e:
            raise IntegrityError(f"{self.name}: {type(e).__name__}: {e}") from e
        except psycopg.OperationalError as e:  # cannot connect, connection lost, shutting down
            detail = f"the database is unavailable ({type(e).__name__})"
            raise StoreUnavailable(f"{self.name}: {detail}") from e
        except psycopg.Error as e:
            raise StoreError(f"{self.name}: {type(e).__name__}: {e}") from e
