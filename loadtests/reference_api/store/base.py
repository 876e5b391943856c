"""The event store interface: streams with versions, one gapless global position.

A stream is the history of one aggregate; ``version`` counts its events from 1. ``position``
numbers every event of the store from 1 with no gap, in commit order, so a reader can follow
the whole store by position. An append names the version it expects the stream to be at
(optimistic concurrency): if another writer got there first it raises :class:`VersionConflict`
and writes nothing. An append with an idempotency key that was already used returns the first
answer and writes nothing.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from simulation.errors import OmnicanalError


class StoreError(OmnicanalError):
    """The store could not do what was asked."""


class VersionConflict(StoreError):
    """Another writer appended to the stream since the caller read it."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        super().__init__(f"stream {stream!r}: expected version {expected}, found {actual}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    stream: str
    version: int
    position: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendResult:
    stream: str
    first_version: int
    last_version: int
    first_position: int
    last_position: int


Batch = Sequence[tuple[str, int | None, Sequence[NewEvent]]]
"""(stream, expected version or None for no check, events) per stream, appended atomically."""


class EventStore(ABC):
    """Append-only streams with a gapless global position."""

    @abstractmethod
    def append_many(
        self, batch: Batch, *, idempotency_key: str | None = None
    ) -> list[AppendResult]:
        """Append to several streams at once: all or nothing."""

    def append(
        self,
        stream: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        (result,) = self.append_many(
            [(stream, expected_version, events)], idempotency_key=idempotency_key
        )
        return result

    @abstractmethod
    def answer(self, idempotency_key: str) -> list[AppendResult] | None:
        """What the append made with this key returned, or None if the key is new."""

    @abstractmethod
    def read_stream(self, stream: str, from_version: int = 1) -> list[StoredEvent]: ...

    @abstractmethod
    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]: ...

    @abstractmethod
    def stream_version(self, stream: str) -> int: ...

    @abstractmethod
    def last_position(self) -> int: ...

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Closable(Protocol):
    def close(self) -> None: ...


Conn = TypeVar("Conn", bound=_Closable)


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
