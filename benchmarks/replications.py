"""Replications per second with 1 and 2 workers: worker processes, and a Dask LocalCluster.

Each replication is a baseline-sized plan of ``--days``; the ratio is the parallel speed-up, and
the efficiency that ratio divided by the number of workers. Three figures:

- process pool, warm: 1 worker process against 2, each pool started and its workers' imports
  done before the clock starts (issue #9's figure: the work itself, in parallel); best of
  ``--repeats`` runs of each, interleaved, as this machine's speed drifts by 20% within minutes;
- run_replications: what ``omnicanal run --replications R`` does, 1 worker in this process
  against a pool of 2 started for the call, so the pool's start-up is in the figure;
- dask: a LocalCluster of 1 and 2 single-threaded workers on loopback.

    .venv/bin/python benchmarks/replications.py [--replications 8] [--days 7] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan  # noqa: E402
from simulation.engine.plan import Plan  # noqa: E402
from simulation.experiments.replications import (  # noqa: E402
    replicate,
    run_on_dask,
    run_replications,
)


def rate(run: object, n: int) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return n / (time.perf_counter() - start)


def _warm(_: int) -> None:
    """A worker's first job: its imports and a tiny run, before the clock starts."""
    replicate(baseline_plan(0.01, 45.0), 1, 0)


def warm_pool_rate(plan: Plan, n: int, workers: int) -> float:
    """Replications per second of a pool of ``workers`` processes, started beforehand."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_warm, range(workers)))
        start = time.perf_counter()
        list(pool.map(replicate, [plan] * n, [1] * n, range(n)))
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--repeats", type=int, default=3, help="of the warm pool figure")
    args = parser.parse_args()
    plan, n = baseline_plan(args.days, 45.0), args.replications
    rates: dict[tuple[str, int], float] = {}
    for _ in range(args.repeats):  # interleaved, best of each: a drifting machine cancels out
        for workers in (1, 2):
            best = max(
                rates.get(("process pool, warm", workers), 0.0), warm_pool_rate(plan, n, workers)
            )
            rates["process pool, warm", workers] = best
    for workers in (1, 2):
        rates["run_replications", workers] = rate(
            lambda w=workers: run_replications(plan, 1, n, workers=w), n
        )
    from distributed import LocalCluster

    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None, silence_logs=40) as cluster:  # fmt: skip
            address = cluster.scheduler_address
            rates["dask", workers] = rate(lambda a=address: run_on_dask(plan, 1, n, address=a), n)
    for kind in ("process pool, warm", "run_replications", "dask"):
        one, two = rates[kind, 1], rates[kind, 2]
        print(f"{kind}: 1 worker {one:.2f} rep/s, 2 workers {two:.2f} rep/s, "
              f"speed-up {two / one:.2f}, efficiency {two / one / 2:.0%}")  # fmt: skip


if __name__ == "__main__":
    main()
