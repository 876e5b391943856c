"""An event store in memory: the reference for the others, and fast tests."""

from __future__ import annotations

import threading

from loadtests.reference_api.store.base import (
    AppendResult,
    Batch,
    EventStore,
    StoredEvent,
    VersionConflict,
)


class MemoryStore(EventStore):
    """All events in one list; one lock makes every append atomic and positions gapless."""

    def __init__(self) -> None:
        self._events: list[StoredEvent] = []
        self._versions: dict[str, int] = {}
        self._answers: dict[str, list[AppendResult]] = {}
        self._lock = threading.Lock()

    def append_many(
        self, batch: Batch, *, idempotency_key: str | None = None
    ) -> list[AppendResult]:
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._answers:
                return self._answers[idempotency_key]
            for stream, expected, _ in batch:
                actual = self._versions.get(stream, 0)
                if expected is not None and expected != actual:
                    raise VersionConflict(stream, expected, actual)
            results = []
            for stream, _, events in batch:
                first_version = self._versions.get(stream, 0) + 1
                first_position = len(self._events) + 1
                for i, event in enumerate(events):
                    self._events.append(
                        StoredEvent(
                            stream=stream, version=first_version + i, position=first_position + i,
                            type=event.type, data=dict(event.data),
                        )
                    )  # fmt: skip
                self._versions[stream] = first_version + len(events) - 1
                results.append(
                    AppendResult(
                        stream=stream, first_version=first_version,
                        last_version=first_version + len(events) - 1,
                        first_position=first_position, last_position=len(self._events),
                    )
                )  # fmt: skip
            if idempotency_key is not None:
                self._answers[idempotency_key] = results
            return results

    def answer(self, idempotency_key: str) -> list[AppendResult] | None:
        with self._lock:
            return self._answers.get(idempotency_key)

    def read_stream(self, stream: str, from_version: int = 1) -> list[StoredEvent]:
        with self._lock:
            return [e for e in self._events if e.stream == stream and e.version >= from_version]

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        with self._lock:
            return self._events[after_position : after_position + limit]

    def stream_version(self, stream: str) -> int:
        with self._lock:
            return self._versions.get(stream, 0)

    def last_position(self) -> int:
        with self._lock:
            return len(self._events)

    def close(self) -> None:
        """Nothing to release."""
