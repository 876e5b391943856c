"""The in-memory store passes the contract."""

from __future__ import annotations

from loadtests.reference_api.store import EventStore, MemoryStore
from tests.loadtests.reference_api.store_contract import EventStoreContract


class TestMemoryStore(EventStoreContract):
    def make_store(self) -> EventStore:
        return MemoryStore()
