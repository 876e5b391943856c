"""The SQLite store passes the contract, and what it wrote is there after a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.reference_api.store import (
    EPOCH,
    Epoch,
    EventStore,
    Idempotency,
    SQLiteStore,
    StoreError,
    StoreUnavailable,
)
from tests.loadtests.reference_api.store_contract import EventStoreContract, events


class TestSQLiteStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_store(self) -> EventStore:
        return SQLiteStore(self.folder / "events.db")


def test_a_reopened_file_has_every_event(tmp_path: Path) -> None:
    once = Idempotency(key="k", fingerprint="f", answer={"status": 200})
    with SQLiteStore(tmp_path / "events.db") as store:
        store.start_epoch("backend", events("StockReceived"), expected_version=0)
        store.append_once([("cart-1", 0, events("CartOpened", "CartItemAdded"))], once)
    with SQLiteStore(tmp_path / "events.db", synchronous="NORMAL") as again:
        assert [e.type for e in again.read_all()] == [
            EPOCH, "StockReceived", "CartOpened", "CartItemAdded"
        ]  # fmt: skip
        assert again.stream_version("cart-1") == 2
        assert again.epoch() == Epoch(number=1, position=1)
        repeat = again.append_once([("cart-1", 0, events("CartOpened"))], once)
        assert repeat.answer == {"status": 200}
        assert repeat.results[0].last_position == 4
        assert again.last_position() == 4


def test_driver_errors_come_out_as_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="SQLite store"):
        SQLiteStore(tmp_path / "no-such-folder" / "events.db")
    (tmp_path / "events.db").write_bytes(b"not a database, but long enough to look like one" * 20)
    with pytest.raises(StoreError, match=r"SQLite store .*events\.db") as raised:
        SQLiteStore(tmp_path / "events.db")
    assert raised.value.__cause__ is not None  # the driver's error, kept as the cause
