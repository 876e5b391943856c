"""The columnar log against the oracle: every event type, every null, bad events, batches."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.columns import SCHEMA, Columns
from simulation.demo import run_demo
from simulation.domain.events import (
    EVENT_TYPES,
    CartOpened,
    Event,
    StockReceived,
    StockReserved,
    TouchpointVisited,
)
from simulation.engine.run import run_replication
from simulation.errors import InputError, LogFormatError
from simulation.eventlog import EventLog, LogWriter, read_log, read_table, to_table
from simulation.types import (
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    ReturnMode,
    SimTime,
    SkuId,
)
from tests import strategies as S
from tests.simulation.plans import small_plan

WORDS = st.sampled_from(["S01", "WH1", "TEE", "store", "web", ""]) | st.text(max_size=3)
NUMBERS = st.floats(allow_nan=False)  # NaN != NaN in Table.equals; the oracle keeps NaN too
VALUES: dict[Any, st.SearchStrategy[Any]] = {
    int: st.integers(min_value=-(2**63), max_value=2**63 - 1),
    float: NUMBERS,
    str: WORDS,
    SimTime: NUMBERS,
    CustomerId: S.ids,
    CartId: S.ids,
    LocationId: S.locations | WORDS,
    SkuId: S.skus | WORDS,
    Channel: S.channels | st.sampled_from(["web", "store"]),  # an enum and its value: one word
    FulfilmentMode: S.modes,
    ReturnMode: S.return_modes,
}


def _strategy(hint: Any) -> st.SearchStrategy[Any]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if len(args) == 1:  # Optional[X]
        return st.none() | _strategy(args[0])
    return VALUES.get(hint, S.ids)


def _events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: _strategy(hints[f.name]) for f in dataclasses.fields(cls)})


ANY_EVENT = st.one_of([_events_of(cls) for cls in EVENT_TYPES.values()])


def _columnar(events: list[Event], replication: int = 0) -> pa.Table:
    return EventLog(events, replication=replication).to_table()


def _reserved(i: int, **fields: Any) -> StockReserved:
    where = {"location": LocationId("S01"), "sku": SkuId("TEE"), "channel": Channel.WEB}
    return StockReserved(t=SimTime(i), qty=1, **(where | fields))


# ---------------------------------------------------------------- equal to the oracle


@settings(max_examples=200, deadline=None)
@given(events=st.lists(ANY_EVENT, max_size=30), replication=st.integers(0, 2**31 - 1))
def test_any_events_give_the_oracles_table(events: list[Event], replication: int) -> None:
    table = _columnar(events, replication)
    assert table.schema.equals(SCHEMA, check_metadata=True)
    assert table.equals(to_table(events, replication=replication))


def _opened(i: int) -> CartOpened:
    return CartOpened(t=SimTime(i), customer=CustomerId(1), cart=CartId(i), channel=Channel.APP)


@settings(max_examples=5, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_every_event_type_alone_and_with_its_optional_fields_null(
    cls: type[Event], data: st.DataObject
) -> None:
    hints = typing.get_type_hints(cls)
    full = data.draw(_events_of(cls))
    nulls: dict[str, Any] = {n: None for n, h in hints.items() if type(None) in typing.get_args(h)}
    bare = dataclasses.replace(full, **nulls)
    for events in ([full], [bare, full, bare], [full, _opened(1)], [_opened(1), bare]):
        assert _columnar(events).equals(to_table(events)), events


def test_an_empty_log_gives_the_oracles_empty_table() -> None:
    assert _columnar([]).equals(to_table([]))
    assert _columnar([]).schema.equals(SCHEMA, check_metadata=True)


def _causes(log: EventLog) -> list[int | None]:
    return log.to_table().column("command").to_pylist()


def test_the_demo_and_an_engine_run_give_the_oracles_table() -> None:
    for log in (run_demo().log, run_replication(small_plan(days=0.5), seed=2, replication=1).log):
        events = list(log)
        oracle = to_table(events, replication=log.replication, causes=_causes(log))
        assert log.to_table().equals(oracle)


def test_appended_causes_are_the_command_column() -> None:
    log = EventLog()
    log.append(_reserved(0, cart=CartId(1)), 7)
    log.extend([_reserved(1, cart=CartId(1)), _opened(2)], 8)
    log.append(_opened(3))
    assert _causes(log) == [7, 8, 8, None]
    with pytest.raises(LogFormatError, match="command"):
        log.append(_opened(4), "seven")  # type: ignore[arg-type]
    assert len(log) == 4


def test_columns_need_their_layouts_extras() -> None:
    with pytest.raises(TypeError, match=r"1 values expected beside the record \(command\)"):
        Columns().append(_opened(1))


def test_a_table_does_not_stop_the_log_from_growing() -> None:
    log = EventLog([_reserved(0, cart=CartId(1))])
    first = log.to_table()  # Arrow arrays must not pin the buffers the log appends to
    log.append(_reserved(1, order=1))
    assert first.equals(to_table([_reserved(0, cart=CartId(1))]))  # copied, not a view
    assert log.to_table().equals(to_table([_reserved(0, cart=CartId(1)), _reserved(1, order=1)]))


# ---------------------------------------------------------------- bad events


def _received(**fields: Any) -> StockReceived:
    where: dict[str, Any] = {"t": 0.0, "location": "S01", "sku": "TEE", "qty": 1}
    return StockReceived(**(where | fields))


@pytest.mark.parametrize(
    ("event", "field", "expected"),
    [
        (_received(qty="2"), "StockReceived.qty", "an integer"),
        (_received(qty=None), "StockReceived.qty", "an integer"),
        (_received(qty=2**63), "StockReceived.qty", "int64"),
        (_received(t="noon"), "StockReceived.t", "a number"),
        (_reserved(0, cart=CartId(1), until="later"), "StockReserved.until", "a number"),
    ],
)
def test_a_bad_event_names_its_field_and_leaves_the_log_as_it_was(
    event: Event, field: str, expected: str
) -> None:
    good = [_reserved(0, cart=CartId(1)), _opened(2)]
    log = EventLog(good)
    with pytest.raises(LogFormatError) as raised:
        log.append(event)
    assert raised.value.field == field
    assert expected in raised.value.expected
    assert len(log) == 2
    after = TouchpointVisited(t=SimTime(2), customer=CustomerId(1), channel=Channel.WEB, reason="x")
    assert log.append(after) == 3
    assert log.to_table().equals(to_table([*good, after]))


def test_a_bad_first_event_of_a_new_type_and_word_leaves_no_trace() -> None:
    log = EventLog([_reserved(0, cart=CartId(1))])
    bad = _received(location=LocationId("NEW"), sku=SkuId("NEWSKU"), qty=1.5)
    with pytest.raises(LogFormatError, match=r"StockReceived\.qty"):
        log.append(bad)
    later = [_reserved(2, order=1), _received(t=SimTime(3), location=LocationId("S02"))]
    log.extend(later)
    assert log.to_table().equals(to_table([_reserved(0, cart=CartId(1)), *later]))


def test_something_that_is_not_an_event_is_refused() -> None:
    with pytest.raises(LogFormatError, match="a registered event class"):
        EventLog().append(object())  # type: ignore[arg-type]


def test_flush_rows_must_be_a_positive_count() -> None:
    with pytest.raises(InputError, match="flush_rows"):
        EventLog(flush_rows=0)


# ---------------------------------------------------------------- iterating


def test_iterating_rebuilds_the_events_as_they_grow() -> None:
    events = list(run_demo().log)
    log = EventLog(events[:10])
    assert list(log) == events[:10]
    log.extend(events[10:])
    assert list(log) == events
    assert all(type(a) is type(b) for a, b in zip(log, events, strict=True))


def test_columns_count_rows() -> None:
    columns = Columns()
    assert columns.append(_reserved(0, cart=CartId(1)), None) == 1
    assert len(columns) == 1


# ---------------------------------------------------------------- files


def _oracle_file(
    path: Path, events: list[Event], batch_rows: int, causes: list[int | None] | None = None
) -> Path:
    """The file the writer wrote before the columns: the oracle's table, batch by batch."""
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for start in range(0, len(events), batch_rows):
            chunk = events[start : start + batch_rows]
            cause = causes[start : start + batch_rows] if causes is not None else None
            writer.write_table(to_table(chunk, first_seq=start + 1, causes=cause))
    return path


def test_files_from_the_log_read_back_as_the_oracles_files(tmp_path: Path) -> None:
    log = run_replication(small_plan(days=0.5), seed=4).log
    events = list(log)
    caused = _oracle_file(tmp_path / "caused.parquet", events, 100, _causes(log))
    uncaused = _oracle_file(tmp_path / "uncaused.parquet", events, batch_rows=100)
    with LogWriter(tmp_path / "log.parquet", batch_rows=100) as writer:
        writer.write(log)
    with LogWriter(tmp_path / "list.parquet", batch_rows=100) as writer:
        writer.write(events)  # events alone: their causes are unknown
    for path, old in ((tmp_path / "log.parquet", caused), (tmp_path / "list.parquet", uncaused)):
        assert read_table(path).to_pylist() == read_table(old).to_pylist()
        pd.testing.assert_frame_equal(read_log(path), read_log(old), check_exact=True)
        assert pq.read_schema(path).equals(pq.read_schema(old), check_metadata=True)
        assert pq.ParquetFile(path).metadata.num_row_groups == -(-len(events) // 100)


def test_writing_a_log_numbers_after_what_the_writer_wrote(tmp_path: Path) -> None:
    events = [_reserved(i, cart=CartId(i)) for i in range(5)]
    with LogWriter(tmp_path / "e.parquet", batch_rows=2) as writer:
        writer.write(EventLog(events[:3], replication=1))
        writer.write(events[:2], replication=1)
        writer.write(EventLog(events[:2]), replication=4)
    frame = read_log(tmp_path / "e.parquet")
    assert frame["seq"].tolist() == [1, 2, 3, 4, 5, 1, 2]
    assert frame["replication"].tolist() == [1] * 5 + [4] * 2


def test_a_batch_of_another_schema_is_refused(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pydict({"seq": [1]})
    with LogWriter(tmp_path / "e.parquet") as writer, pytest.raises(LogFormatError, match="schema"):
        writer.write_batch(batch)


def test_a_log_survives_pickling_and_keeps_growing() -> None:
    events = list(run_demo().log)
    log = pickle.loads(pickle.dumps(EventLog(events[:20], replication=3)))
    assert list(log) == events[:20]
    log.extend(events[20:])
    assert log.to_table().equals(to_table(events, replication=3))
    assert copy.deepcopy(log).to_table().equals(log.to_table())


def test_an_unregistered_event_class_is_refused() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Unregistered(Event):
        qty: int

    with pytest.raises(LogFormatError, match="a registered event class"):
        EventLog().append(Unregistered(t=SimTime(0), qty=1))
