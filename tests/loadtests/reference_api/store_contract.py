"""EventStoreContract: what every event store must do, written once, run by every backend:
positions, versions, atomic batches, idempotent appends bound to a fingerprint, epochs.

A backend's test module subclasses :class:`EventStoreContract` and defines ``make_store``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

import pytest

from loadtests.reference_api.store import (
    EPOCH,
    NO_EPOCH,
    Epoch,
    EventStore,
    Idempotency,
    IdempotencyKeyReused,
    NewEvent,
    Recorded,
    VersionConflict,
)


def together(count: int, action: Callable[[int], None]) -> None:
    """Run ``action(0)`` ... ``action(count - 1)`` in threads released at the same moment."""
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait(timeout=30)
        action(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)


def events(*kinds: str) -> list[NewEvent]:
    return [NewEvent(type=k, data={"n": i, "kind": k}) for i, k in enumerate(kinds)]


class EventStoreContract(ABC):
    @abstractmethod
    def make_store(self) -> EventStore: ...

    def test_append_and_read_back(self) -> None:
        store = self.make_store()
        result = store.append("cart-1", events("CartOpened", "CartItemAdded"), expected_version=0)
        assert (result.first_version, result.last_version) == (1, 2)
        assert (result.first_position, result.last_position) == (1, 2)
        read = store.read_stream("cart-1")
        assert [(e.version, e.position, e.type, e.data) for e in read] == [
            (1, 1, "CartOpened", {"n": 0, "kind": "CartOpened"}),
            (2, 2, "CartItemAdded", {"n": 1, "kind": "CartItemAdded"}),
        ]
        assert store.stream_version("cart-1") == 2
        assert store.stream_version("cart-2") == 0
        store.close()

    def test_order_within_streams_and_globally(self) -> None:
        store = self.make_store()
        store.append("a", events("A1"), expected_version=0)
        store.append("b", events("B1", "B2"), expected_version=0)
        store.append("a", events("A2"), expected_version=1)
        assert [e.type for e in store.read_all()] == ["A1", "B1", "B2", "A2"]
        assert [e.type for e in store.read_stream("a")] == ["A1", "A2"]
        assert [e.type for e in store.read_stream("a", from_version=2)] == ["A2"]
        store.close()

    def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(self) -> None:
        store = self.make_store()
        store.append("order-1", events("OrderPlaced"), expected_version=0)
        with pytest.raises(VersionConflict) as raised:
            store.append("order-1", events("PaymentCaptured"), expected_version=0)
        assert (raised.value.expected, raised.value.actual) == (0, 1)
        assert store.last_position() == 1
        store.close()

    def test_a_batch_over_streams_is_all_or_nothing(self) -> None:
        store = self.make_store()
        store.append("stock-S01-TEE", events("StockReceived"), expected_version=0)
        batch = [("cart-1", 0, events("CartOpened")), ("stock-S01-TEE", 0, events("StockReserved"))]
        with pytest.raises(VersionConflict):
            store.append_many(batch)
        assert store.stream_version("cart-1") == 0
        assert store.last_position() == 1
        results = store.append_many(
            [("cart-1", 0, events("CartOpened")), ("stock-S01-TEE", 1, events("StockReserved"))]
        )
        assert [(r.first_position, r.last_position) for r in results] == [(2, 2), (3, 3)]
        store.close()

    def test_an_idempotency_key_writes_once_and_answers_the_same(self) -> None:
        store = self.make_store()
        once = Idempotency(key="k1", fingerprint="POST /carts {1}", answer={"status": 200})
        first = store.append_once([("cart-1", 0, events("CartOpened"))], once)
        retried = Idempotency(key="k1", fingerprint="POST /carts {1}", answer={"status": 409})
        again = store.append_once([("cart-1", 0, events("CartOpened"))], retried)
        assert first == again
        assert again.answer == {"status": 200}  # the first answer, not the retry's own
        assert [(r.first_position, r.last_position) for r in again.results] == [(1, 1)]
        assert store.last_position() == 1
        assert store.recorded("k1") == first
        assert store.recorded("k2") is None
        store.close()

    def test_a_key_reused_for_another_request_is_refused_and_writes_nothing(self) -> None:
        store = self.make_store()
        store.append_once(
            [("cart-1", 0, events("CartOpened"))], Idempotency(key="k", fingerprint="one")
        )
        with pytest.raises(IdempotencyKeyReused) as raised:
            store.append_once(
                [("cart-2", 0, events("CartOpened"))], Idempotency(key="k", fingerprint="two")
            )
        assert raised.value.key == "k"
        assert "'k'" in str(raised.value)
        assert store.last_position() == 1
        assert store.stream_version("cart-2") == 0
        store.close()

    def test_an_answer_without_events_is_kept_at_the_position_it_was_decided(self) -> None:
        store = self.make_store()
        store.append("s", events("A", "B"), expected_version=0)
        refusal = Idempotency(key="r", fingerprint="f", answer={"status": 409, "rule": "x"})
        kept = store.append_once([("s", 2, [])], refusal)
        assert kept.answer == {"status": 409, "rule": "x"}
        assert kept.results[0].last_position == 2
        assert store.last_position() == 2
        with pytest.raises(VersionConflict):  # an empty append still checks the version
            store.append_once([("s", 1, [])], Idempotency(key="r2", fingerprint="f"))
        assert store.recorded("r2") is None
        store.close()

    def test_concurrent_copies_of_one_request_get_one_answer(self) -> None:
        store = self.make_store()
        answers: list[Recorded] = []

        def copy(i: int) -> None:
            answer = {"copy": i}
            once = Idempotency(key="same", fingerprint="same request", answer=answer)
            answers.append(store.append_once([("cart-1", None, events("CartOpened"))], once))

        together(6, copy)
        assert len(answers) == 6
        assert len({a.answer["copy"] for a in answers}) == 1  # the same winner for every copy
        assert store.last_position() == 1
        store.close()

    def test_a_new_store_has_no_epoch(self) -> None:
        store = self.make_store()
        assert store.epoch() == NO_EPOCH
        store.close()

    def test_an_epoch_starts_with_its_marker_and_keeps_the_history(self) -> None:
        store = self.make_store()
        first = store.start_epoch("backend", events("Stocked"), expected_version=0)
        assert first == Epoch(number=1, position=1)
        store.append("backend", events("Sold"), expected_version=2)
        second = store.start_epoch(
            "backend", events("Restocked", "Fenced"), expected_version=3, note={"t": 90.5}
        )
        assert second == Epoch(number=2, position=4)
        assert store.epoch() == second
        everything = store.read_all()
        assert [e.type for e in everything] == [
            EPOCH, "Stocked", "Sold", EPOCH, "Restocked", "Fenced"
        ]  # fmt: skip
        markers = [e.data for e in everything if e.type == EPOCH]
        assert markers == [{"epoch": 1}, {"epoch": 2, "t": 90.5}]
        current = store.read_all(after_position=second.position - 1)
        assert [e.type for e in current] == [EPOCH, "Restocked", "Fenced"]
        assert store.stream_version("backend") == 6
        store.close()

    def test_an_epoch_starts_all_at_once_or_not_at_all(self) -> None:
        store = self.make_store()
        store.append("backend", events("Sold"), expected_version=0)
        with pytest.raises(VersionConflict):
            store.start_epoch("backend", events("Stocked"), expected_version=0)
        assert store.epoch() == NO_EPOCH
        assert store.last_position() == 1
        store.close()

    def test_racing_epoch_starts_make_one_epoch(self) -> None:
        store = self.make_store()
        outcomes: list[str] = []

        def starter(i: int) -> None:
            try:
                store.start_epoch("backend", events(f"Stock{i}", "More"), expected_version=0)
                outcomes.append("started")
            except VersionConflict:
                outcomes.append("conflict")

        together(4, starter)
        assert sorted(outcomes) == ["conflict"] * 3 + ["started"]
        assert store.epoch() == Epoch(number=1, position=1)
        assert store.last_position() == 3
        store.close()

    def test_paging_by_global_position(self) -> None:
        store = self.make_store()
        for i in range(25):
            store.append(f"s{i % 3}", events(f"E{i}"), expected_version=None)
        pages, after = [], 0
        while page := store.read_all(after_position=after, limit=10):
            pages.append([e.position for e in page])
            after = page[-1].position
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [p for page in pages for p in page] == list(range(1, 26))
        store.close()

    def test_concurrent_appenders_leave_no_gap_and_no_duplicate(self) -> None:
        store = self.make_store()
        errors: list[BaseException] = []

        def writer(w: int) -> None:
            try:
                for i in range(40):
                    store.append(f"w{w}-{i % 4}", events(f"W{w}.{i}"), expected_version=None)
            except BaseException as e:
                errors.append(e)

        together(6, writer)
        assert not errors, errors
        everything = store.read_all(limit=10_000)
        assert [e.position for e in everything] == list(range(1, 241))
        assert len({e.type for e in everything}) == 240
        for w in range(6):
            for s in range(4):
                assert [e.version for e in store.read_stream(f"w{w}-{s}")] == list(range(1, 11))
        store.close()

    def test_racing_writers_on_one_version_exactly_one_wins(self) -> None:
        store = self.make_store()
        store.append("order-9", events("OrderPlaced"), expected_version=0)
        outcomes: list[str] = []

        def racer(i: int) -> None:
            try:
                store.append("order-9", events(f"Paid{i}"), expected_version=1)
                outcomes.append("won")
            except VersionConflict:
                outcomes.append("conflict")

        together(5, racer)
        assert sorted(outcomes) == ["conflict"] * 4 + ["won"]
        assert store.stream_version("order-9") == 2
        store.close()
