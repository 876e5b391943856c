"""Replications per second with 1 and 2 workers, local processes and a Dask LocalCluster.

Each replication is a 2-day baseline-sized plan; the ratio is the parallel speed-up, and the
efficiency that ratio divided by the number of workers.

    .venv/bin/python benchmarks/replications.py [--replications 8] [--days 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan  # noqa: E402
from simulation.experiments.replications import run_on_dask, run_replications  # noqa: E402


def rate(run: object, n: int) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--days", type=float, default=2.0)
    args = parser.parse_args()
    plan, n = baseline_plan(args.days, 45.0), args.replications
    rates = {}
    for workers in (1, 2):
        rates["local", workers] = rate(lambda w=workers: run_replications(plan, 1, n, workers=w), n)
    from distributed import LocalCluster

    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None, silence_logs=40) as cluster:  # fmt: skip
            address = cluster.scheduler_address
            rates["dask", workers] = rate(lambda a=address: run_on_dask(plan, 1, n, address=a), n)
    for kind in ("local", "dask"):
        one, two = rates[kind, 1], rates[kind, 2]
        print(f"{kind}: 1 worker {one:.2f} rep/s, 2 workers {two:.2f} rep/s, "
              f"speed-up {two / one:.2f}, efficiency {two / one / 2:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
