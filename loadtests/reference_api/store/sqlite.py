"""An event store in one SQLite file: embedded, durable, the reference API's default.

Durability: WAL journal with ``synchronous=FULL`` by default (a commit survives power loss);
``NORMAL`` may lose the last commits on power loss but never corrupts. Concurrency: every
append runs in ``BEGIN IMMEDIATE``, which takes SQLite's single write lock at once, so the
version checks and the writes of one append see no other writer, and ``position`` (the rowid,
without AUTOINCREMENT) is max + 1 inside that lock: gapless, in commit order, also when an
append rolls back. Each thread gets its own connection (``threading.local``), as a connection
is not shared between threads (``close`` alone touches them all, hence
``check_same_thread=False``).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Literal

from loadtests.reference_api.store.base import (
    AppendResult,
    Batch,
    EventStore,
    PerThread,
    StoredEvent,
    StoreError,
    VersionConflict,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, result TEXT NOT NULL);
"""


_SELECT = "SELECT stream, version, position, type, data FROM events"


class SQLiteStore(EventStore):
    def __init__(
        self, path: str | Path, *, synchronous: Literal["FULL", "NORMAL"] = "FULL"
    ) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self._connections = PerThread(self._connect)
        self._conn().executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, isolation_level=None, timeout=30.0, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open SQLite store {self.path}: {e}") from e
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def append_many(
        self, batch: Batch, *, idempotency_key: str | None = None
    ) -> list[AppendResult]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                results = self._append(conn, batch, idempotency_key)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise StoreError(f"SQLite store {self.path}: {e}") from e
        return results

    def _append(
        self, conn: sqlite3.Connection, batch: Batch, key: str | None
    ) -> list[AppendResult]:
        if key is not None:
            found = conn.execute("SELECT result FROM idempotency WHERE key = ?", (key,)).fetchone()
            if found is not None:
                return [AppendResult(**r) for r in json.loads(found[0])]
        for stream, expected, _ in batch:
            actual = self._version(conn, stream)
            if expected is not None and expected != actual:
                raise VersionConflict(stream, expected, actual)
        results = []
        for stream, _, events in batch:
            first_version = self._version(conn, stream) + 1
            first_position = self._position(conn) + 1
            conn.executemany(
                "INSERT INTO events (position, stream, version, type, data) VALUES (?, ?, ?, ?, ?)",
                [
                    (first_position + i, stream, first_version + i, e.type, json.dumps(e.data))
                    for i, e in enumerate(events)
                ],
            )
            results.append(
                AppendResult(
                    stream=stream, first_version=first_version,
                    last_version=first_version + len(events) - 1,
                    first_position=first_position, last_position=first_position + len(events) - 1,
                )
            )  # fmt: skip
        if key is not None:
            rows = [dataclasses.asdict(r) for r in results]
            conn.execute(
                "INSERT INTO idempotency (key, result) VALUES (?, ?)", (key, json.dumps(rows))
            )
        return results

    @staticmethod
    def _version(conn: sqlite3.Connection, stream: str) -> int:
        row = conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream = ?", (stream,)
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _position(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT COALESCE(MAX(position), 0) FROM events").fetchone()[0])

    def answer(self, idempotency_key: str) -> list[AppendResult] | None:
        found = (
            self._conn()
            .execute("SELECT result FROM idempotency WHERE key = ?", (idempotency_key,))
            .fetchone()
        )
        return None if found is None else [AppendResult(**r) for r in json.loads(found[0])]

    def read_stream(self, stream: str, from_version: int = 1) -> list[StoredEvent]:
        rows = self._conn().execute(
            f"{_SELECT} WHERE stream = ? AND version >= ? ORDER BY version",
            (stream, from_version),
        )
        return [_stored(r) for r in rows]

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        rows = self._conn().execute(
            f"{_SELECT} WHERE position > ? ORDER BY position LIMIT ?",
            (after_position, limit),
        )
        return [_stored(r) for r in rows]

    def stream_version(self, stream: str) -> int:
        return self._version(self._conn(), stream)

    def last_position(self) -> int:
        return self._position(self._conn())

    def close(self) -> None:
        self._connections.close_all()


def _stored(row: tuple[str, int, int, str, str]) -> StoredEvent:
    stream, version, position, kind, data = row
    return StoredEvent(
        stream=stream, version=version, position=position, type=kind, data=json.loads(data)
    )
