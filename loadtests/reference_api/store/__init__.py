"""Event stores for the reference API: in memory and SQLite, behind one interface."""

from __future__ import annotations

from loadtests.reference_api.store.base import (
    AppendResult,
    EventStore,
    NewEvent,
    StoredEvent,
    StoreError,
    VersionConflict,
)
from loadtests.reference_api.store.memory import MemoryStore
from loadtests.reference_api.store.sqlite import SQLiteStore

__all__ = [
    "AppendResult",
    "EventStore",
    "MemoryStore",
    "NewEvent",
    "SQLiteStore",
    "StoreError",
    "StoredEvent",
    "VersionConflict",
]
