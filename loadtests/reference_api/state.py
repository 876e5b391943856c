"""The reference API's state holder: the event store, the backend folded from the store's
current epoch, one lock, the clock.

Consistency, also with several server processes on one store (``serve --workers N``): the
store serialises appends and every write names the version it was decided at. Before it
decides a write or answers a read, a process folds whatever the store holds beyond what it
has seen (its own writes and every other process's), under its lock; a write decided on a
state that another process changed since is not written (:class:`VersionConflict`) and is
decided again on the new state. So every write is decided on the latest state (writes are
linearisable), and a read sees every write acknowledged before it began, by any process.

An epoch is one run's history: the initial stock is the first epoch's opening events,
appended in one transaction with the epoch's marker, so a store is either empty or fully
initialised; a reset starts a new epoch the same way. Only the current epoch is folded;
earlier ones stay in the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from loadtests.reference_api.clock import Clock
from loadtests.reference_api.problems import refusal
from loadtests.reference_api.screen import Screen
from loadtests.reference_api.store import (
    EPOCH,
    NO_EPOCH,
    Epoch,
    EventStore,
    Idempotency,
    LegacyStore,
    NewEvent,
    Recorded,
    StoredEvent,
    StoreUnavailable,
    VersionConflict,
)
from loadtests.reference_api.store.base import same_request
from simulation.domain.backend import Backend
from simulation.domain.commands import Command, ReceiveStock
from simulation.domain.errors import DomainError
from simulation.domain.events import Event
from simulation.eventlog import event_from_row
from simulation.types import LocationId, SimTime, SkuId

STREAM = "backend"
"""Every event goes to one stream: its version is the whole backend's, so one check guards all."""
ATTEMPTS = 100
"""How many times a write is decided again after other processes got there first."""
T = TypeVar("T")


class StockLine(Protocol):
    """A line of initial stock (the API's ``Receipt`` body is one)."""

    @property
    def location(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def qty(self) -> int: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A write's answer: its status, its JSON body, and the store position it was decided at
    (for a write, its last event's)."""

    status: int
    body: dict[str, Any]
    position: int


def event_json(event: Event) -> dict[str, Any]:
    """An event as the API answers and stores it: its type and its fields that are set."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"type": event.TYPE, **{k: v for k, v in fields.items() if v is not None}}


class ServerState:
    """What one server process holds; every method is safe to call from many threads."""

    def __init__(
        self,
        store: EventStore,
        *,
        token: str | None,
        screen: Screen | None = None,
        new_backend: Callable[[], Backend] = Backend,
        clock: Clock | None = None,
    ) -> None:
        self.store, self.token = store, token
        self.screen = screen or Screen()
        self.new_backend = new_backend
        self.backend = new_backend()
        self.clock = clock or Clock()
        self.epoch = NO_EPOCH
        self.version = 0  # of STREAM, as far as this process has folded it
        self.position = 0  # the last store position folded into the backend
        self.lock = threading.Lock()

    def open(self, initial: Sequence[StockLine]) -> None:
        """Fold the store's current epoch; an empty store first gets ``initial`` as its first
        epoch. A store written by an older version, without epochs, is refused."""
        with self.lock:
            if self.store.epoch() == NO_EPOCH:
                self._refuse_legacy(initial)
                # Another process on the same store may start it first: then fold that one.
                with contextlib.suppress(VersionConflict):
                    self.store.start_epoch(STREAM, _receipts(initial), expected_version=0)
            self.position = self.store.epoch().position - 1
            self._catch_up()
            self.clock.resume()

    def write(
        self, build: Callable[[SimTime], Command], sent: float | None, key: Idempotency | None
    ) -> Answer:
        """Decide the command ``build`` makes for the write's time, on the latest state, and
        append its events; a refusal is an answer too, kept under ``key`` like a success."""
        with self.lock:
            return self._until_written(lambda: self._write_once(build, sent, key))

    def reset(self, stock: Sequence[StockLine]) -> Epoch:
        """Start a new epoch whose opening events receive ``stock``; the old ones are kept."""
        for i, line in enumerate(stock):
            self.screen.check_id("location", line.location, f"stock[{i}].location")
            self.screen.check_id("sku", line.sku, f"stock[{i}].sku")
        receipts = _receipts(stock)
        with self.lock:
            epoch = self._until_written(
                lambda: self.store.start_epoch(
                    STREAM, receipts, expected_version=self.version, note={"t": self.clock.now()}
                )
            )
            self._catch_up()
            return epoch

    def view(self, read: Callable[[Backend], T]) -> tuple[T, int]:
        """What ``read`` sees of the latest state, and the store position it is at."""
        with self.lock:
            self._catch_up()
            return read(self.backend), self.position

    def _until_written(self, attempt: Callable[[], T]) -> T:
        for _ in range(ATTEMPTS):
            self._catch_up()
            try:
                return attempt()
            except VersionConflict:
                continue  # another process wrote since the catch-up: again, on its state
        raise StoreUnavailable(f"{self.store.name}: {ATTEMPTS} other writes came first")

    def _write_once(
        self, build: Callable[[SimTime], Command], sent: float | None, key: Idempotency | None
    ) -> Answer:
        if key is not None and (earlier := self.store.recorded(key.key)) is not None:
            return _answer_of(same_request(earlier, key))
        command = build(self.clock.at(sent))
        self.screen.check(command)
        status, body, events = _decided(self.backend, command)
        written = body["events"] if events else []  # the events as the answer shows them
        batch = [(STREAM, self.version, [NewEvent(type=d["type"], data=d) for d in written])]
        if key is not None:
            kept = {"status": status, "body": body}
            answer = _answer_of(
                self.store.append_once(batch, dataclasses.replace(key, answer=kept))
            )
            self._catch_up()  # the answer kept may be another process's, for its copy
            return answer
        if events:
            (result,) = self.store.append_many(batch)
            for event in events:  # appended right after what was folded: fold them as they are
                self.backend.evolve(event)
                self.clock.saw(event.t)
            self.position, self.version = result.last_position, result.last_version
        return Answer(status=status, body=body, position=self.position)

    def _catch_up(self) -> None:
        for stored in self.store.follow(self.position):
            self._fold(stored)

    def _fold(self, stored: StoredEvent) -> None:
        if stored.type == EPOCH:
            self.backend = self.new_backend()
            self.epoch = Epoch(number=int(stored.data["epoch"]), position=stored.position)
            self.clock.saw(float(stored.data.get("t", 0.0)))
        else:
            where = f"{self.store.name}, position {stored.position}"
            event = event_from_row(stored.data, where=where)
            self.backend.evolve(event)
            self.clock.saw(event.t)
        self.position = stored.position
        if stored.stream == STREAM:
            self.version = stored.version

    def _refuse_legacy(self, initial: Sequence[StockLine]) -> None:
        held = self.store.last_position()
        if held == 0 or self.store.epoch() != NO_EPOCH:
            return
        first = self.store.read_all(limit=len(initial) + 1)
        lines = sum(e.type == "StockReceived" and e.data.get("reason") == "initial" for e in first)
        raise LegacyStore(
            f"{self.store.name} holds {held} events but no epoch marker: an older omnicanal "
            f"wrote it, one initial stock line at a time, and it has {lines} of the scenario's "
            f"{len(initial)} initial stock lines, so its stock may be partial; it is left as it "
            "is and not served: start on a fresh --db"
        )


def _decided(backend: Backend, command: Command) -> tuple[int, dict[str, Any], list[Event]]:
    """The status and body of the answer to ``command``, and its events (none if refused)."""
    try:
        events = backend.decide(command)
    except DomainError as error:
        body = refusal(error)
        return int(body["status"]), body, []
    return 200, {"events": [event_json(e) for e in events]}, events


def _answer_of(kept: Recorded) -> Answer:
    answer = kept.answer
    return Answer(
        status=int(answer["status"]), body=answer["body"], position=kept.results[-1].last_position
    )


def _receipts(stock: Sequence[StockLine]) -> list[NewEvent]:
    """The events that receive ``stock`` as a run's initial stock, at time 0."""
    backend = Backend()
    events = [
        event
        for line in stock
        for event in backend.handle(
            ReceiveStock(
                at=SimTime(0.0), location=LocationId(line.location), sku=SkuId(line.sku),
                qty=line.qty, reason="initial",
            )
        )
    ]  # fmt: skip
    return [NewEvent(type=e.TYPE, data=event_json(e)) for e in events]
