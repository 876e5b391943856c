"""An event store in memory: the reference for the others, and fast tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from loadtests.reference_api.store.base import (
    EPOCH,
    NO_EPOCH,
    Epoch,
    EventStore,
    Recorded,
    Session,
    StoredEvent,
)


class _MemorySession:
    """The store's lists, read and written while the store's lock is held."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def version(self, stream: str) -> int:
        return self._store.versions.get(stream, 0)

    def position(self) -> int:
        return len(self._store.events)

    def epoch(self) -> Epoch:
        return self._store.epochs[-1] if self._store.epochs else NO_EPOCH

    def recorded(self, key: str) -> Recorded | None:
        return self._store.answers.get(key)

    def read_stream(self, stream: str, from_version: int) -> list[StoredEvent]:
        return [e for e in self._store.events if e.stream == stream and e.version >= from_version]

    def read_all(self, after_position: int, limit: int) -> list[StoredEvent]:
        return self._store.events[after_position : after_position + limit]

    def insert(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            self._store.events.append(event)
            self._store.versions[event.stream] = event.version
            if event.type == EPOCH:
                self._store.epochs.append(
                    Epoch(number=int(event.data["epoch"]), position=event.position)
                )

    def record(self, key: str, recorded: Recorded) -> None:
        self._store.answers[key] = recorded


class MemoryStore(EventStore):
    """All events in one list; one lock makes every append atomic and positions gapless.

    An append that fails half-way (a version conflict is checked before anything is written)
    cannot leave a trace: the only writes are list appends after every check passed.
    """

    name = "memory store"

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self.versions: dict[str, int] = {}
        self.epochs: list[Epoch] = []
        self.answers: dict[str, Recorded] = {}
        self._lock = threading.RLock()

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with self._lock:
            yield _MemorySession(self)

    def _writing(self) -> AbstractContextManager[Session]:
        return self._reading()

    def close(self) -> None:
        """Nothing to release."""
