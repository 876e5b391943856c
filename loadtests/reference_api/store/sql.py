"""What the SQL stores (SQLite, PostgreSQL) share: the queries, one session type, one
connection per thread.

Both keep two tables: ``events`` (position, stream, version, type, data; unique (stream,
version); an index on (type, position) finds the last epoch marker) and ``answers``
(idempotency key, fingerprint, answer, results). A backend says how to connect, how to open a
write transaction that holds the store's one write lock, and how its driver's errors become
:class:`StoreError` (its ``_translated`` boundary); everything else is here.
"""

from __future__ import annotations

import json
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Generic, Protocol, TypeVar

from loadtests.reference_api.store.base import (
    EPOCH,
    NO_EPOCH,
    Epoch,
    EventStore,
    Recorded,
    Session,
    StoredEvent,
    recorded_from,
)


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def executemany(self, query: Any, params: Any) -> Any: ...
    def close(self) -> None: ...


class Connection(Protocol):
    """What both sqlite3 and psycopg connections offer, as the queries use it."""

    def execute(self, query: Any, params: Any = ...) -> Any: ...
    def cursor(self) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Queries:
    """Every statement of the SQL stores, for one dialect's tables and placeholder."""

    version: str
    position: str
    epoch: str
    recorded: str
    read_stream: str
    read_all: str
    insert: str
    record: str

    @classmethod
    def over(cls, events: str, answers: str, placeholder: str) -> Queries:
        """The statements over the tables ``events`` and ``answers`` (already quoted)."""
        select = f"SELECT stream, version, position, type, data FROM {events}"
        texts = {
            "version": f"SELECT COALESCE(MAX(version), 0) FROM {events} WHERE stream = ?",
            "position": f"SELECT COALESCE(MAX(position), 0) FROM {events}",
            "epoch": f"SELECT position, data FROM {events} WHERE type = ? "
            "ORDER BY position DESC LIMIT 1",
            "recorded": f"SELECT fingerprint, answer, results FROM {answers} WHERE key = ?",
            "read_stream": f"{select} WHERE stream = ? AND version >= ? ORDER BY version",
            "read_all": f"{select} WHERE position > ? ORDER BY position LIMIT ?",
            "insert": f"INSERT INTO {events} (position, stream, version, type, data) "
            "VALUES (?, ?, ?, ?, ?)",
            "record": f"INSERT INTO {answers} (key, fingerprint, answer, results) "
            "VALUES (?, ?, ?, ?)",
        }
        return cls(**{name: text.replace("?", placeholder) for name, text in texts.items()})


def _json(value: Any) -> Any:
    # SQLite hands a JSON column back as text, PostgreSQL's JSONB as Python values.
    return json.loads(value) if isinstance(value, str) else value


class SQLSession:
    """The :class:`Session` of both SQL stores, over one connection."""

    def __init__(self, conn: Connection, queries: Queries) -> None:
        self._conn, self._q = conn, queries

    def _one(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(query, tuple(params)).fetchone()

    def version(self, stream: str) -> int:
        return int(self._one(self._q.version, (stream,))[0])

    def position(self) -> int:
        return int(self._one(self._q.position)[0])

    def epoch(self) -> Epoch:
        row = self._one(self._q.epoch, (EPOCH,))
        if row is None:
            return NO_EPOCH
        return Epoch(number=int(_json(row[1])["epoch"]), position=int(row[0]))

    def recorded(self, key: str) -> Recorded | None:
        row = self._one(self._q.recorded, (key,))
        return None if row is None else recorded_from(row[0], _json(row[1]), _json(row[2]))

    def read_stream(self, stream: str, from_version: int) -> list[StoredEvent]:
        rows = self._conn.execute(self._q.read_stream, (stream, from_version)).fetchall()
        return [_stored(r) for r in rows]

    def read_all(self, after_position: int, limit: int) -> list[StoredEvent]:
        rows = self._conn.execute(self._q.read_all, (after_position, limit)).fetchall()
        return [_stored(r) for r in rows]

    def insert(self, events: Sequence[StoredEvent]) -> None:
        rows = [(e.position, e.stream, e.version, e.type, json.dumps(e.data)) for e in events]
        if rows:
            cursor = self._conn.cursor()
            cursor.executemany(self._q.insert, rows)
            cursor.close()

    def record(self, key: str, recorded: Recorded) -> None:
        results = json.dumps([asdict(r) for r in recorded.results])
        answer = json.dumps(recorded.answer)
        self._conn.execute(self._q.record, (key, recorded.fingerprint, answer, results))


def _stored(row: Sequence[Any]) -> StoredEvent:
    stream, version, position, kind, data = row
    return StoredEvent(
        stream=stream, version=int(version), position=int(position), type=kind, data=_json(data)
    )


Conn = TypeVar("Conn", bound=Connection)


class PerThread(Generic[Conn]):
    """One database connection per thread, opened on first use; ``close_all`` closes them all.

    A driver connection must not be shared between threads (the API serves requests from a
    thread pool), but the store as a whole is closed from one place.
    """

    def __init__(self, connect: Callable[[], Conn]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._all: list[Conn] = []
        self._guard = threading.Lock()

    def get(self) -> Conn:
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._guard:
                self._all.append(conn)
        return conn

    def close_all(self) -> None:
        with self._guard:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class SQLStore(EventStore, Generic[Conn]):
    """An event store in a SQL database: a backend gives its connection, its write
    transaction and its error translation."""

    def __init__(self, queries: Queries) -> None:
        self._queries = queries
        self._connections: PerThread[Conn] = PerThread(self._connect)

    @abstractmethod
    def _connect(self) -> Conn:
        """A new connection (driver errors are translated by the caller)."""

    @abstractmethod
    def _translated(self) -> AbstractContextManager[None]:
        """The one boundary where the driver's errors become :class:`StoreError`."""

    @abstractmethod
    def _transaction(self, conn: Conn) -> AbstractContextManager[None]:
        """A transaction on ``conn`` that holds the store's write lock from its start."""

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._translated():
            yield SQLSession(self._connections.get(), self._queries)

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._translated():
            conn = self._connections.get()
            with self._transaction(conn):
                yield SQLSession(conn, self._queries)

    def close(self) -> None:
        with self._translated():
            self._connections.close_all()
