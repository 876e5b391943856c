"""Log writer: events per second through omnicanal's log vs pyarrow writing the same table.

Two figures, each against ``pyarrow.parquet.write_table`` of the finished table with the same
compression and row groups, in the same run:

- ``write``: from the engine's in-memory log (an ``EventLog`` holding its events) to the file,
  building the Arrow arrays included;
- ``end to end``: the events added to a fresh log as the engine adds them (``EventLog.add``),
  then written: what a run's log costs from the first event to the file.

Each is timed several times, interleaved, and the best run counts (the machine is shared).
Events come from one replication of a baseline-sized plan. It also prints the per-event cost
of the engine's append and of the old list-of-events log's, the old writer's work (events ->
columns in Python -> Parquet), and the peak memory of a child process streaming ``--copies``
times the run's events to Parquet.

    .venv/bin/python benchmarks/log_writer.py [--days 7] [--copies 100]
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan  # noqa: E402
from simulation.domain.events import Event  # noqa: E402
from simulation.engine.run import run_replication  # noqa: E402
from simulation.eventlog import (  # noqa: E402
    BATCH_ROWS,
    SCHEMA,
    EventLog,
    LogWriter,
    stream_to,
    to_table,
)

REPEATS = 15


class ListLog:
    """The log as it was before the columns: a list of event objects."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    def append(self, event: Event) -> int:
        self._events.append(event)
        return len(self._events)


def best(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """The shortest of ``repeats`` runs of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def append_cost(events: list[Event], make: Callable[[], ListLog | EventLog]) -> float:
    """Nanoseconds per append of the run's events to a fresh log (the engine's path, ``add``,
    for an ``EventLog``), best of 5."""

    def fill() -> None:
        log = make()
        if isinstance(log, EventLog):
            log.add(events, 1)
            return
        append = log.append
        for event in events:
            append(event)

    return best(fill, 5) / len(events) * 1e9


def filled(events: list[Event]) -> EventLog:
    log = EventLog()
    log.add(events, 1)
    return log


def old_writer(events: list[Event], path: Path) -> None:
    """What LogWriter did before: the per-event oracle, batch by batch."""
    with pq.ParquetWriter(path, SCHEMA, compression="zstd") as writer:
        for start in range(0, len(events), BATCH_ROWS):
            writer.write_table(to_table(events[start : start + BATCH_ROWS], first_seq=start + 1))


def writer_figures(log: EventLog, events: list[Event], tmp: Path) -> dict[str, float]:
    table = log.to_table()
    ours: list[float] = []
    reference: list[float] = []

    whole: list[float] = []

    def write_ours() -> None:
        with LogWriter(tmp / "ours.parquet") as writer:
            writer.write(log)

    def end_to_end() -> None:
        with LogWriter(tmp / "whole.parquet") as writer:
            writer.write(filled(events))

    def write_reference() -> None:
        pq.write_table(
            table, tmp / "pyarrow.parquet", compression="zstd", row_group_size=BATCH_ROWS
        )

    for _ in range(REPEATS):  # interleaved, so that a busy spell hits both
        ours.append(best(write_ours, 1))
        whole.append(best(end_to_end, 1))
        reference.append(best(write_reference, 1))
    return {
        "ours": len(log) / min(ours),
        "whole": len(log) / min(whole),
        "reference": len(log) / min(reference),
        "to_table": best(log.to_table) / len(log) * 1e9,
        "old": len(events) / best(lambda: old_writer(events, tmp / "old.parquet"), 3),
    }


def stream_child(pickled: Path, copies: int, out: Path) -> None:
    """In a fresh process: stream ``copies`` x the events to ``out``; print the figures."""
    with pickled.open("rb") as f:
        events = pickle.load(f)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with stream_to(out) as log:
        for _ in range(copies):
            log.add(events, 1)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"events": len(log), "seconds": seconds, "before": before, "peak": peak}))


def streamed(events: list[Event], copies: int, tmp: Path) -> dict[str, float]:
    pickled = tmp / "events.pickle"
    pickled.write_bytes(pickle.dumps(events))
    command = [sys.executable, __file__, "--stream-child", str(pickled), str(copies)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--copies", type=int, default=100, help="streamed: copies of the run")
    parser.add_argument("--stream-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream_child:
        pickled, copies = args.stream_child
        stream_child(Path(pickled), int(copies), Path(pickled).with_name("streamed.parquet"))
        return
    events = list(run_replication(baseline_plan(args.days, 45.0), seed=1).log)
    log = filled(events)
    old_append = append_cost(events, ListLog)
    new_append = append_cost(events, EventLog)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        w = writer_figures(log, events, tmp)
        s = streamed(events, args.copies, tmp) if args.copies > 0 else None
    print(f"events: {len(events):,}")
    print(f"append, list-of-events log (before): {old_append:,.0f} ns/event")
    print(f"append, EventLog.add (the engine's): {new_append:,.0f} ns/event")
    print(f"EventLog.to_table (events -> Arrow): {w['to_table']:,.0f} ns/event")
    print(f"old writer (events -> columns in Python -> Parquet): {w['old']:,.0f} events/s")
    print(f"LogWriter.write(EventLog) (events -> Arrow -> Parquet): {w['ours']:,.0f} events/s")
    print(f"end to end (EventLog.add, then LogWriter.write): {w['whole']:,.0f} events/s")
    print(f"pyarrow.parquet.write_table (table -> Parquet): {w['reference']:,.0f} events/s")
    print(f"ratio, write: {w['ours'] / w['reference']:.3f}")
    print(f"ratio, end to end: {w['whole'] / w['reference']:.3f}")
    if s is not None:
        mib = 1024  # ru_maxrss is in KiB on Linux
        print(
            f"streamed ({args.copies} x the run, stream_to, batches of {BATCH_ROWS:,}): "
            f"{s['events']:,.0f} events in {s['seconds']:.1f} s "
            f"({s['events'] / s['seconds']:,.0f} events/s appended and written); "
            f"peak RSS {s['peak'] / mib:,.0f} MiB "
            f"({s['before'] / mib:,.0f} MiB before streaming, the run's events loaded)"
        )


if __name__ == "__main__":
    main()
