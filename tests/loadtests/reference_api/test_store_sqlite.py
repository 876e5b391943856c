"""The SQLite store passes the contract, and what it wrote is there after a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.reference_api.store import EventStore, SQLiteStore
from tests.loadtests.reference_api.store_contract import EventStoreContract, events


class TestSQLiteStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _folder(self, tmp_path: Path) -> None:
        self.folder = tmp_path

    def make_store(self) -> EventStore:
        return SQLiteStore(self.folder / "events.db")


def test_a_reopened_file_has_every_event(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "events.db") as store:
        store.append(
            "cart-1", events("CartOpened", "CartItemAdded"), expected_version=0, idempotency_key="k"
        )
    with SQLiteStore(tmp_path / "events.db", synchronous="NORMAL") as again:
        assert [e.type for e in again.read_all()] == ["CartOpened", "CartItemAdded"]
        assert again.stream_version("cart-1") == 2
        repeat = again.append(
            "cart-1", events("CartOpened"), expected_version=0, idempotency_key="k"
        )
        assert repeat.last_position == 2
        assert again.last_position() == 2
