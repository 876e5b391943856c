"""An event store in one SQLite file: embedded, durable, the reference API's default.

Durability: WAL journal with ``synchronous=FULL`` by default (a commit survives power loss);
``NORMAL`` may lose the last commits on power loss but never corrupts. Concurrency: every
append runs in ``BEGIN IMMEDIATE``, which takes SQLite's single write lock at once, so the
version checks and the writes of one append see no other writer, and ``position`` (the rowid,
without AUTOINCREMENT) is max + 1 inside that lock: gapless, in commit order, also when an
append rolls back. Each thread gets its own connection, as a connection is not shared between
threads (``close`` alone touches them all, hence ``check_same_thread=False``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from loadtests.reference_api.store.base import IntegrityError, StoreError, StoreUnavailable
from loadtests.reference_api.store.sql import Queries, SQLStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, position);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    answer TEXT NOT NULL,
    results TEXT NOT NULL
);
"""
_QUERIES = Queries.over(events="events", answers="answers", placeholder="?")


class SQLiteStore(SQLStore[sqlite3.Connection]):
    def __init__(
        self, path: str | Path, *, synchronous: Literal["FULL", "NORMAL"] = "FULL"
    ) -> None:
        super().__init__(_QUERIES)
        self.path = str(path)
        self.name = f"SQLite store {self.path}"
        self.synchronous = synchronous
        with self._translated():
            self._connections.get().executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=30.0, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as e:
            raise IntegrityError(f"{self.name}: {e}") from e
        except sqlite3.OperationalError as e:  # locked past the timeout, disk, permissions
            raise StoreUnavailable(f"{self.name}: {e}") from e
        except sqlite3.Error as e:
            raise StoreError(f"{self.name}: {e}") from e
