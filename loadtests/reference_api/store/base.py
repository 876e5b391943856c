"""The event store interface: streams with versions, one gapless global position, epochs.

A stream is the history of one aggregate; ``version`` counts its events from 1. ``position``
numbers every event of the store from 1 with no gap, in commit order, so a reader can follow
the whole store by position. An append names the version it expects the stream to be at
(optimistic concurrency): if another writer got there first it raises :class:`VersionConflict`
and writes nothing.

An append made once (:meth:`EventStore.append_once`) carries an idempotency key, the
fingerprint of the request it answers and that answer: a later append with the same key and
fingerprint writes nothing and gets the first answer back; with another fingerprint it raises
:class:`IdempotencyKeyReused`. The key is checked inside the append's transaction, so
concurrent copies of one request get one answer.

An epoch starts with a marker event (type :data:`EPOCH`) appended together with the events
that open it, in one transaction: a reader folds from the last marker on and ignores what came
before, which stays in the store (nothing is ever deleted).

Every backend implements the same small :class:`Session` (the queries) and says how to open
one for reading and one for writing; the append itself, its checks and the epochs are written
once, here. Driver errors become :class:`StoreError` subclasses in each backend's one
``_translated`` boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

from simulation.errors import OmnicanalError

EPOCH = "EpochStarted"
"""The type of the marker event that starts an epoch; its data has ``"epoch": n``."""


class StoreError(OmnicanalError):
    """The store could not do what was asked."""


class StoreUnavailable(StoreError):
    """The database could not be reached, or was too busy to take the work."""


class IntegrityError(StoreError):
    """The database refused a write that breaks one of its constraints."""


class VersionConflict(StoreError):
    """Another writer appended to the stream since the caller read it."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
        super().__init__(f"stream {stream!r}: expected version {expected}, found {actual}")


class IdempotencyKeyReused(StoreError):
    """An idempotency key that already stands for another request."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"Idempotency-Key {key!r} was first used for another request (its method, path or "
            "body differ); a key stands for one request: use a new key for a new request"
        )


class LegacyStore(StoreError):
    """A store that holds events but no epoch marker: written by an older version, whose
    initial stock load was not atomic, so its stock may be partial."""

    exit_code = 2


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
    """Where an append went. An append of no events (a pure check) has ``last_version``
    and ``last_position`` at the stream's and the store's current ones."""

    stream: str
    first_version: int
    last_version: int
    first_position: int
    last_position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Epoch:
    """The ``number``-th epoch, whose marker is at ``position`` (0 and 0: none yet)."""

    number: int
    position: int


NO_EPOCH = Epoch(number=0, position=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Idempotency:
    """An append's idempotency key, its request's fingerprint, and the answer kept for it
    (any JSON object: the store keeps it, never reads it)."""

    key: str
    fingerprint: str
    answer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """What an append made once wrote: the request's fingerprint, its answer, its results."""

    fingerprint: str
    answer: dict[str, Any]
    results: tuple[AppendResult, ...]


Batch = Sequence[tuple[str, int | None, Sequence[NewEvent]]]
"""(stream, expected version or None for no check, events) per stream, appended atomically."""


class Session(Protocol):
    """The queries of one backend, over one connection (inside a transaction when writing)."""

    def version(self, stream: str) -> int: ...
    def position(self) -> int: ...
    def epoch(self) -> Epoch: ...
    def recorded(self, key: str) -> Recorded | None: ...
    def read_stream(self, stream: str, from_version: int) -> list[StoredEvent]: ...
    def read_all(self, after_position: int, limit: int) -> list[StoredEvent]: ...
    def insert(self, events: Sequence[StoredEvent]) -> None: ...
    def record(self, key: str, recorded: Recorded) -> None: ...


class EventStore(ABC):
    """Append-only streams with a gapless global position, idempotent appends and epochs."""

    name: str = "event store"
    """What the store is, for messages: never a secret such as a DSN."""

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Session]:
        """A session for queries; driver errors come out as :class:`StoreError`."""

    @abstractmethod
    def _writing(self) -> AbstractContextManager[Session]:
        """A session holding the store's one write lock, committed at the end or rolled back
        on any error; driver errors come out as :class:`StoreError`."""

    @abstractmethod
    def close(self) -> None:
        """Release the store's resources."""

    def append_many(self, batch: Batch) -> list[AppendResult]:
        """Append to several streams at once: all or nothing."""
        with self._writing() as session:
            return _append(session, batch)

    def append(
        self, stream: str, events: Sequence[NewEvent], *, expected_version: int | None
    ) -> AppendResult:
        (result,) = self.append_many([(stream, expected_version, events)])
        return result

    def append_once(self, batch: Batch, idempotency: Idempotency) -> Recorded:
        """Append ``batch`` and keep ``idempotency``'s answer under its key, or, if the key was
        used before for the same fingerprint, write nothing and return what that append kept.

        Raises :class:`IdempotencyKeyReused` if the key was used for another fingerprint, and
        :class:`VersionConflict` (writing nothing) as :meth:`append_many` does.
        """
        with self._writing() as session:
            earlier = session.recorded(idempotency.key)
            if earlier is not None:
                return same_request(earlier, idempotency)
            results = _append(session, batch)
            kept = Recorded(
                fingerprint=idempotency.fingerprint,
                answer=dict(idempotency.answer),
                results=tuple(results),
            )
            session.record(idempotency.key, kept)
            return kept

    def start_epoch(
        self,
        stream: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
        note: Mapping[str, Any] | None = None,
    ) -> Epoch:
        """Start the next epoch: its marker (``{"epoch": n}`` and the ``note``), then
        ``events``, appended to ``stream`` at once."""
        with self._writing() as session:
            number = session.epoch().number + 1
            marker = NewEvent(type=EPOCH, data={**(note or {}), "epoch": number})
            (result,) = _append(session, [(stream, expected_version, [marker, *events])])
        return Epoch(number=number, position=result.first_position)

    def epoch(self) -> Epoch:
        """The current epoch: the last one started (:data:`NO_EPOCH` if none was)."""
        with self._reading() as session:
            return session.epoch()

    def recorded(self, idempotency_key: str) -> Recorded | None:
        """What the append made once with this key kept, or None if the key is new."""
        with self._reading() as session:
            return session.recorded(idempotency_key)

    def read_stream(self, stream: str, from_version: int = 1) -> list[StoredEvent]:
        with self._reading() as session:
            return session.read_stream(stream, from_version)

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[StoredEvent]:
        with self._reading() as session:
            return session.read_all(after_position, limit)

    def follow(self, after_position: int = 0, page: int = 10_000) -> Iterator[StoredEvent]:
        """Every event after ``after_position``, in position order, a page at a time."""
        while events := self.read_all(after_position, page):
            yield from events
            if len(events) < page:
                return  # the last page: no need to ask again
            after_position = events[-1].position

    def stream_version(self, stream: str) -> int:
        with self._reading() as session:
            return session.version(stream)

    def last_position(self) -> int:
        with self._reading() as session:
            return session.position()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def same_request(earlier: Recorded, idempotency: Idempotency) -> Recorded:
    """``earlier`` if it was kept for the same request, else :class:`IdempotencyKeyReused`."""
    if earlier.fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReused(idempotency.key)
    return earlier


def _append(session: Session, batch: Batch) -> list[AppendResult]:
    """The one append of every backend: check every expected version, then write each
    stream's events at the next positions. Runs inside the session's write transaction."""
    for stream, expected, _ in batch:
        actual = session.version(stream)
        if expected is not None and expected != actual:
            raise VersionConflict(stream, expected, actual)
    position = session.position()
    results = []
    for stream, _, events in batch:
        version = session.version(stream)
        rows = [
            StoredEvent(
                stream=stream, version=version + i, position=position + i, type=e.type,
                data=dict(e.data),
            )
            for i, e in enumerate(events, start=1)
        ]  # fmt: skip
        session.insert(rows)
        results.append(
            AppendResult(
                stream=stream, first_version=version + 1, last_version=version + len(rows),
                first_position=position + 1, last_position=position + len(rows),
            )
        )  # fmt: skip
        position += len(rows)
    return results


def recorded_from(fingerprint: str, answer: Any, results: Any) -> Recorded:
    """A :class:`Recorded` from its stored JSON parts (the SQL backends keep it so)."""
    return Recorded(
        fingerprint=fingerprint,
        answer=dict(answer),
        results=tuple(AppendResult(**r) for r in results),
    )
