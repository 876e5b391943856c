"""A streamed log: full batches go to the sink, seq stays gapless, nothing is held whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simulation.demo import run_demo
from simulation.domain.events import Event
from simulation.eventlog import (
    EventLog,
    LogStreamedError,
    iter_events,
    read_log,
    stream_to,
    to_table,
)


class Batches:
    """A sink that keeps what it is given."""

    def __init__(self) -> None:
        self.batches: list[pa.RecordBatch] = []

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self.batches.append(batch)


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return list(run_demo().log)


def test_full_batches_go_to_the_sink_numbered_on(events: list[Event]) -> None:
    sink = Batches()
    log = EventLog(replication=2, sink=sink, flush_rows=7)
    seqs = [log.append(e) for e in events[:30]]
    assert seqs == list(range(1, 31))
    assert [b.num_rows for b in sink.batches] == [7, 7, 7, 7]
    assert (len(log), log.last_seq, log.flushed) == (30, 30, 28)
    log.flush()
    log.flush()  # nothing left: no empty batch
    assert [b.num_rows for b in sink.batches] == [7, 7, 7, 7, 2]
    for i, batch in enumerate(sink.batches):
        chunk = events[7 * i : min(7 * i + 7, 30)]
        expected = to_table(chunk, first_seq=7 * i + 1, replication=2)
        assert pa.Table.from_batches([batch]).equals(expected), i


def test_extend_flushes_as_it_goes(events: list[Event]) -> None:
    sink = Batches()
    log = EventLog(events[:10], sink=sink, flush_rows=4)
    log.extend(events[10:21])
    assert [b.num_rows for b in sink.batches] == [4] * 5
    assert len(log) == 21


@pytest.mark.parametrize("use", ["__iter__", "to_table", "to_frame", "write", "columns"])
def test_a_streamed_log_refuses_to_give_what_it_no_longer_holds(
    events: list[Event], use: str, tmp_path: Path
) -> None:
    log = EventLog(events[:5], sink=Batches(), flush_rows=3)
    calls = {
        "__iter__": lambda: list(log),
        "to_table": log.to_table,
        "to_frame": log.to_frame,
        "write": lambda: log.write(tmp_path / "e.parquet"),
        "columns": log.columns,
    }
    with pytest.raises(LogStreamedError, match=r"streamed 3 events to its sink") as raised:
        calls[use]()
    assert raised.value.flushed == 3
    assert not (tmp_path / "e.parquet").exists()


def test_before_its_first_batch_a_streamed_log_is_whole(events: list[Event]) -> None:
    log = EventLog(events[:5], sink=Batches(), flush_rows=100)
    assert list(log) == events[:5]


def test_a_log_without_a_sink_keeps_everything_on_flush(events: list[Event]) -> None:
    log = EventLog(events[:5])
    log.flush()
    assert list(log) == events[:5]


def test_stream_to_writes_the_file_in_row_groups_of_flush_rows(
    events: list[Event], tmp_path: Path
) -> None:
    path = tmp_path / "events.parquet"
    with stream_to(path, replication=1, flush_rows=16) as log:
        log.extend(events)
        assert not path.exists()
    frame = read_log(path)
    assert list(iter_events(frame)) == events
    assert frame["seq"].tolist() == list(range(1, len(events) + 1))
    assert set(frame["replication"]) == {1}
    assert pq.ParquetFile(path).metadata.num_row_groups == -(-len(events) // 16)


def test_stream_to_leaves_nothing_when_the_run_fails(events: list[Event], tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"

    def run() -> None:
        with stream_to(path, flush_rows=4) as log:
            log.extend(events[:10])
            raise RuntimeError("engine crashed")

    with pytest.raises(RuntimeError, match="engine crashed"):
        run()
    assert list(tmp_path.iterdir()) == []
