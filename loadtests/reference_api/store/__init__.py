"""Event stores for the reference API: in memory, SQLite and PostgreSQL, behind one interface.

Every error a store raises on purpose is a :class:`StoreError`.
"""

from __future__ import annotations

from loadtests.reference_api.store.base import (
    EPOCH,
    NO_EPOCH,
    AppendResult,
    Epoch,
    EventStore,
    Idempotency,
    IdempotencyKeyReused,
    IntegrityError,
    LegacyStore,
    NewEvent,
    Recorded,
    StoredEvent,
    StoreError,
    StoreUnavailable,
    VersionConflict,
)
from loadtests.reference_api.store.memory import MemoryStore
from loadtests.reference_api.store.sqlite import SQLiteStore

__all__ = [
    "EPOCH",
    "NO_EPOCH",
    "AppendResult",
    "Epoch",
    "EventStore",
    "Idempotency",
    "IdempotencyKeyReused",
    "IntegrityError",
    "LegacyStore",
    "MemoryStore",
    "NewEvent",
    "Recorded",
    "SQLiteStore",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "VersionConflict",
]
