"""The event log: Parquet round trip, schema version, gapless seq, bad rows, atomic writes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.demo import run_demo
from simulation.domain import Backend, DomainError
from simulation.domain.events import SCHEMA_VERSION, CartOpened, Event, StockReceived
from simulation.errors import LogFormatError
from simulation.eventlog import (
    SCHEMA,
    VERSION_KEY,
    EventLog,
    LogWriter,
    event_from_row,
    iter_events,
    read_log,
    read_table,
    rebuild,
)
from simulation.types import CartId, Channel, CustomerId, LocationId, SimTime, SkuId
from tests import strategies as S


@pytest.fixture(scope="module")
def demo_log() -> EventLog:
    return run_demo().log


def _events(commands: list[object]) -> list[Event]:
    backend, events = Backend(), []
    for command in commands:
        with contextlib.suppress(DomainError):
            events += backend.handle(command)  # type: ignore[arg-type]
    return events


def test_round_trip_with_pandas_is_identical(demo_log: EventLog, tmp_path: Path) -> None:
    path = demo_log.write(tmp_path / "events.parquet")
    back = read_log(path)
    pd.testing.assert_frame_equal(back, demo_log.to_frame(), check_exact=True)
    assert list(iter_events(back)) == list(demo_log)


def test_round_trip_with_duckdb_is_identical(demo_log: EventLog, tmp_path: Path) -> None:
    path = demo_log.write(tmp_path / "events.parquet")
    table = duckdb.sql(f"select * from read_parquet('{path}') order by seq").to_arrow_table()
    assert table.column_names == SCHEMA.names
    # DuckDB reads dictionary columns back as plain strings; the values are the same.
    expected = demo_log.to_table()
    for name in SCHEMA.names:
        assert table[name].to_pylist() == expected[name].to_pylist(), name
    assert list(iter_events(table)) == list(demo_log)


@settings(max_examples=30, deadline=None)
@given(commands=st.lists(S.commands(), max_size=40))
def test_any_log_survives_parquet(
    commands: list[object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = EventLog(_events(commands), replication=3)
    path = log.write(tmp_path_factory.mktemp("log") / "events.parquet")
    back = read_log(path)
    assert list(iter_events(back)) == list(log)
    assert back["seq"].tolist() == list(range(1, len(log) + 1))
    assert set(back["replication"]) <= {3}


def test_schema_version_is_in_the_file_metadata(demo_log: EventLog, tmp_path: Path) -> None:
    path = demo_log.write(tmp_path / "events.parquet")
    assert pq.read_schema(path).metadata[VERSION_KEY] == str(SCHEMA_VERSION).encode()


def test_replay_rebuilds_the_demo_backend(demo_log: EventLog, tmp_path: Path) -> None:
    run = run_demo()
    assert rebuild(read_log(demo_log.write(tmp_path / "e.parquet"))) == run.backend


def test_writer_continues_seq_across_batches_and_replications(tmp_path: Path) -> None:
    events = [
        StockReceived(t=SimTime(i), location=LocationId("S01"), sku=SkuId("TEE"), qty=1)
        for i in range(7)
    ]
    with LogWriter(tmp_path / "e.parquet", batch_rows=3) as writer:
        writer.write(events[:5], replication=0)
        writer.write(events[:4], replication=1)
        writer.write(events[5:], replication=0)
    frame = read_log(tmp_path / "e.parquet")
    assert frame["seq"].tolist() == [1, 2, 3, 4, 5, 1, 2, 3, 4, 6, 7]
    assert frame["replication"].tolist() == [0] * 5 + [1] * 4 + [0] * 2
    assert pq.ParquetFile(tmp_path / "e.parquet").metadata.num_row_groups == 5


def test_read_log_refuses_a_gap_in_seq(tmp_path: Path, demo_log: EventLog) -> None:
    table = demo_log.to_table()
    seq = table["seq"].to_pylist()
    seq[10] += 1
    broken = table.set_column(0, "seq", pa.array(seq, pa.int64()))
    pq.write_table(broken, tmp_path / "gap.parquet")
    with pytest.raises(LogFormatError) as raised:
        read_log(tmp_path / "gap.parquet")
    assert raised.value.field == "seq"
    assert "row 10" in str(raised.value)
    assert "expected 11" in str(raised.value)


def test_read_log_refuses_another_schema_version(tmp_path: Path, demo_log: EventLog) -> None:
    table = demo_log.to_table().replace_schema_metadata({VERSION_KEY: b"99"})
    pq.write_table(table, tmp_path / "v99.parquet")
    with pytest.raises(LogFormatError, match=r"expected schema version 1 or 2, got '99'"):
        read_table(tmp_path / "v99.parquet")


def test_read_log_refuses_a_missing_column(tmp_path: Path, demo_log: EventLog) -> None:
    pq.write_table(demo_log.to_table().drop_columns(["sku"]), tmp_path / "nosku.parquet")
    with pytest.raises(LogFormatError, match="column sku"):
        read_table(tmp_path / "nosku.parquet")


def test_read_log_refuses_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "e.parquet").write_text("seq,t,type\n1,0,StockReceived\n")
    with pytest.raises(LogFormatError, match="a Parquet event log"):
        read_log(tmp_path / "e.parquet")


GOOD_ROW = {"seq": 4, "type": "CartOpened", "t": 1.5, "customer": 7, "cart": 3, "channel": "app"}


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"type": "CartExploded"}, "type", "event types"),
        ({"type": None}, "type", "event types"),
        ({"customer": None}, "customer", "an integer id for CartOpened"),
        ({"customer": 7.5}, "customer", "an integer id"),
        ({"channel": "tiktok"}, "channel", "one of ['instagram'"),
        ({"t": float("nan")}, "t", "a number for CartOpened"),
        ({"t": "noon"}, "t", "a number"),
    ],
)
def test_a_bad_row_names_the_field_and_what_was_expected(
    change: dict[str, object], field: str, expected: str
) -> None:
    with pytest.raises(LogFormatError) as raised:
        event_from_row({**GOOD_ROW, **change}, where="events.parquet: row 3 (seq 4)")
    assert raised.value.field == field
    assert expected in raised.value.expected
    assert str(raised.value).startswith("events.parquet: row 3 (seq 4): ")


def test_a_good_row_reads_back() -> None:
    assert event_from_row(GOOD_ROW) == CartOpened(
        t=SimTime(1.5), customer=CustomerId(7), cart=CartId(3), channel=Channel.APP
    )


def test_a_bad_row_in_a_file_is_named_by_row_and_seq(tmp_path: Path, demo_log: EventLog) -> None:
    frame = demo_log.to_frame()
    frame["qty"] = frame["qty"].astype("Float64")
    frame.loc[5, "qty"] = 2.5
    with pytest.raises(LogFormatError, match=r"row 5 \(seq 6\): qty: expected an integer"):
        list(iter_events(frame, where="e.parquet"))


def _crash_while_writing(path: Path, events: list[Event], error: BaseException) -> None:
    with LogWriter(path) as writer:
        writer.write(events)
        raise error


def test_a_crash_while_writing_leaves_nothing_under_the_final_name(
    tmp_path: Path, demo_log: EventLog
) -> None:
    final = tmp_path / "events.parquet"
    with pytest.raises(RuntimeError, match="engine crashed"):
        _crash_while_writing(final, list(demo_log)[:50], RuntimeError("engine crashed"))
    assert not final.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_crash_keeps_the_previous_file(tmp_path: Path, demo_log: EventLog) -> None:
    final = demo_log.write(tmp_path / "events.parquet")
    before = final.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        _crash_while_writing(final, list(demo_log)[:10], KeyboardInterrupt())
    assert final.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["events.parquet"]


def test_an_event_log_is_append_only() -> None:
    log = EventLog()
    first = StockReceived(t=SimTime(0), location=LocationId("S01"), sku=SkuId("TEE"), qty=1)
    assert log.append(first) == 1
    assert log.last_seq == 1
    assert not hasattr(log, "__setitem__")
    assert not hasattr(log, "__delitem__")
    with pytest.raises(AttributeError):
        first.qty = 2  # type: ignore[misc]
