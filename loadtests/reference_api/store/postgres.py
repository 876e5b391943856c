"""An event store in PostgreSQL (psycopg 3), for servers that share one database.

The in-flight sequence gap: with a SEQUENCE or IDENTITY column, transaction A can take
position 7, transaction B position 8, and B commit first; a reader following positions sees 8,
moves on, and never sees 7 when A commits. Mature stores avoid this by serialising the moment
positions are assigned. Here every append takes a transaction-scoped advisory lock
(``pg_advisory_xact_lock``) first and assigns position = max + 1 under it, so positions are
given and become visible in commit order with no gap; the lock is released at COMMIT or
ROLLBACK. Appends are therefore one at a time, which a reference API can afford. A unique
(stream, version) constraint backs the optimistic concurrency check, and idempotency keys are
stored in the same transaction. Connection errors become :class:`StoreUnavailable` at this one
boundary.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import psycopg
from psycopg import sql

from loadtests.reference_api.store.base import (
    AppendResult,
    Batch,
    EventStore,
    PerThread,
    StoredEvent,
    StoreError,
    VersionConflict,
)

_LOCK = 7_346_127  # the advisory lock key of appends (any fixed bigint)
_EVENTS = """
CREATE TABLE IF NOT EXISTS {}.events (
    position BIGINT PRIMARY KEY,
    stream TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    data JSONB NOT NULL,
    UNIQUE (stream, version)
)"""
_IDEMPOTENCY = (
    "CREATE TABLE IF NOT EXISTS {}.idempotency (key TEXT PRIMARY KEY, result JSONB NOT NULL)"
)
_INSERT = "INSERT INTO {} (position, stream, version, type, data) VALUES (%s, %s, %s, %s, %s)"
_SELECT = "SELECT stream, version, position, type, data FROM {}"


class StoreUnavailable(StoreError):
    """The database could not be reached or refused the work."""


class PostgresStore(EventStore):
    """Events in ``<schema>.events``; one connection per thread."""

    def __init__(self, dsn: str, *, schema: str = "omnicanal") -> None:
        self._dsn = dsn  # kept private: a DSN may hold a password, never print it
        self.schema = schema
        self._connections: PerThread[psycopg.Connection[Any]] = PerThread(self._connect)
        s = sql.Identifier(schema)
        with self._conn().transaction():
            conn = self._conn()
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
            conn.execute(sql.SQL(_EVENTS).format(s))
            conn.execute(sql.SQL(_IDEMPOTENCY).format(s))

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._dsn, autocommit=True)
        except psycopg.Error as e:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {type(e).__name__}") from e

    def _conn(self) -> psycopg.Connection[Any]:
        return self._connections.get()

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(name))

    def append_many(
        self, batch: Batch, *, idempotency_key: str | None = None
    ) -> list[AppendResult]:
        conn = self._conn()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                return self._append(conn, batch, idempotency_key)
        except psycopg.errors.UniqueViolation as e:
            raise StoreError(f"concurrent append to the same stream version: {e}") from e
        except psycopg.OperationalError as e:
            raise StoreUnavailable(f"PostgreSQL: {type(e).__name__}") from e

    def _append(
        self, conn: psycopg.Connection[Any], batch: Batch, key: str | None
    ) -> list[AppendResult]:
        if key is not None:
            found = conn.execute(
                sql.SQL("SELECT result FROM {} WHERE key = %s").format(self._table("idempotency")),
                (key,),
            ).fetchone()
            if found is not None:
                return [AppendResult(**r) for r in found[0]]
        for stream, expected, _ in batch:
            actual = self._version(conn, stream)
            if expected is not None and expected != actual:
                raise VersionConflict(stream, expected, actual)
        results = []
        for stream, _, events in batch:
            first_version = self._version(conn, stream) + 1
            first_position = self._position(conn) + 1
            rows = [
                (first_position + i, stream, first_version + i, e.type, json.dumps(e.data))
                for i, e in enumerate(events)
            ]
            with conn.cursor() as cursor:
                cursor.executemany(sql.SQL(_INSERT).format(self._table("events")), rows)
            results.append(
                AppendResult(
                    stream=stream, first_version=first_version,
                    last_version=first_version + len(events) - 1, first_position=first_position,
                    last_position=first_position + len(events) - 1,
                )
            )  # fmt: skip
        if key is not None:
            conn.execute(
                sql.SQL("INSERT INTO {} (key, result) VALUES (%s, %s)").format(
                    self._table("idempotency")
                ),
                (key, json.dumps([dataclasses.asdict(r) for r in results])),
            )
        return results

    def _version(self, conn: psycopg.Connection[Any], stream: str) -> int:
        query = sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {} WHERE stream = %s").format(
            self._table("events")
        )
        row = conn.execute(query, (stream,)).fetchone()
        return int(row[0]) if row else 0

    def _position(self, conn: psycopg.Connection[Any]) -> int:
        row = conn.execute(
            sql.SQL("SELECT COALESCE(MAX(position), 0) FROM {}").format(self._table("events"))
        ).fetchone()
        return int(row[0]) if row else 0

    def answer(self, idempotency_key: str) -> list[AppendResult] | None:
        query = sql.SQL("SELECT result FROM {} WHERE key = %s").format(self._table("idempotency"))
        found = self._conn().execute(query, (idempotency_key,)).fetchone()
        return None if found is None else [AppendResult(**r) for r in found[0]]

    def read_stream(self, stream: str, from_version: int = 1) -> list[StoredEvent]:
        where = " WHERE stream = %s AND version >= %s ORDER BY version"
        query = sql.SQL(_SELECT + where).format(self._table("events"))
        return [_stored(r) for r in self._conn().execute(query, (stream, from_version))]

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        where = " WHERE position > %s ORDER BY position LIMIT %s"
        query = sql.SQL(_SELECT + where).format(self._table("events"))
        return [_stored(r) for r in self._conn().execute(query, (after_position, limit))]

    def stream_version(self, stream: str) -> int:
        return self._version(self._conn(), stream)

    def last_position(self) -> int:
        return self._position(self._conn())

    def close(self) -> None:
        self._connections.close_all()


def _stored(row: tuple[Any, ...]) -> StoredEvent:
    stream, version, position, kind, data = row
    return StoredEvent(
        stream=stream, version=int(version), position=int(position), type=kind, data=data
    )
