"""Log writer: events per second through omnicanal's LogWriter vs pyarrow writing the same table.

The reference writes the finished Arrow table with ``pyarrow.parquet.write_table`` (same
compression); the figure includes turning event objects into columns, which is the writer's
real work. Events come from one replication of a baseline-sized plan.

    .venv/bin/python benchmarks/log_writer.py [--days 7]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan  # noqa: E402
from simulation.engine.run import run_replication  # noqa: E402
from simulation.eventlog import LogWriter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    events = list(run_replication(baseline_plan(args.days, 45.0), seed=1).log)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with LogWriter(Path(tmp) / "ours.parquet") as writer:
            writer.write(events)
        ours = len(events) / (time.perf_counter() - start)
        table = pq.read_table(Path(tmp) / "ours.parquet")
        start = time.perf_counter()
        pq.write_table(table, Path(tmp) / "pyarrow.parquet", compression="zstd")
        reference = len(events) / (time.perf_counter() - start)
    print(f"events: {len(events):,}")
    print(f"LogWriter (events -> columns -> Parquet): {ours:,.0f} events/s")
    print(f"pyarrow.parquet.write_table (table -> Parquet): {reference:,.0f} events/s")
    print(f"ratio: {ours / reference:.3f}")


if __name__ == "__main__":
    main()
