"""The PostgreSQL store passes the contract, and a follower never skips a slow commit."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from loadtests.reference_api.store import EventStore, NewEvent, StoreUnavailable
from loadtests.reference_api.store.postgres import PostgresStore
from tests.loadtests.reference_api.store_contract import EventStoreContract

pytestmark = pytest.mark.postgres


class TestPostgresStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _schema(self, postgres_schema: tuple[str, str]) -> None:
        self.dsn, self.schema = postgres_schema

    def make_store(self) -> EventStore:
        return PostgresStore(self.dsn, schema=self.schema)


def test_a_follower_never_skips_an_event_of_a_slower_transaction(
    postgres_schema: tuple[str, str],
) -> None:
    dsn, schema = postgres_schema
    store = PostgresStore(dsn, schema=schema)
    slow_started = threading.Event()

    def slow_writer() -> None:
        # Holds the append lock while "working", as a slow transaction would.
        with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(7346127)")
            slow_started.set()
            time.sleep(0.5)
            insert = psycopg.sql.SQL(
                "INSERT INTO {}.events (position, stream, version, type, data) "
                "VALUES (1, 'slow', 1, 'Slow', '{{}}')"
            )
            conn.execute(insert.format(psycopg.sql.Identifier(schema)))

    slow = threading.Thread(target=slow_writer)
    slow.start()
    slow_started.wait(timeout=5)
    fast = threading.Thread(
        target=lambda: store.append("fast", [NewEvent(type="Fast", data={})], expected_version=None)
    )
    fast.start()
    seen: list[int] = []
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        after = seen[-1] if seen else 0
        seen += [e.position for e in store.read_all(after_position=after)]
        time.sleep(0.01)
    slow.join(timeout=10)
    fast.join(timeout=10)
    # The fast append waited for the slow one's lock, so position 2 never appeared before 1.
    assert seen == [1, 2]
    assert [e.type for e in store.read_all()] == ["Slow", "Fast"]
    store.close()


def test_an_unreachable_database_is_a_store_error_that_never_shows_the_dsn() -> None:
    secret = "postgresql://someone:pa55word@127.0.0.1:1/test"
    with pytest.raises(StoreUnavailable, match="unavailable") as raised:
        PostgresStore(secret)
    assert "pa55word" not in str(raised.value)
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
