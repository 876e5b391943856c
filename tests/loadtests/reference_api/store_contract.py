"""EventStoreContract: what every event store must do, written once, run by every backend.

A backend's test module subclasses :class:`EventStoreContract` and defines ``make_store``.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

import pytest

from loadtests.reference_api.store import EventStore, NewEvent, VersionConflict


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
        first = store.append(
            "cart-1", events("CartOpened"), expected_version=0, idempotency_key="k1"
        )
        again = store.append(
            "cart-1", events("CartOpened"), expected_version=0, idempotency_key="k1"
        )
        assert first == again
        assert store.last_position() == 1
        assert store.answer("k1") == [first]
        assert store.answer("k2") is None
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

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
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
        barrier = threading.Barrier(5)

        def racer(i: int) -> None:
            barrier.wait()
            try:
                store.append("order-9", events(f"Paid{i}"), expected_version=1)
                outcomes.append("won")
            except VersionConflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(outcomes) == ["conflict"] * 4 + ["won"]
        assert store.stream_version("order-9") == 2
        store.close()
