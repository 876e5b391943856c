"""Replications of a plan: independent streams per replication, run in parallel processes.

Replication r of seed s draws from ``SeedSequence(s, spawn_key=(r, ...))`` (see
:mod:`simulation.engine.streams`), so replications are independent, and two plans run with the
same seed see the same customers replication by replication (common random numbers). Each
replication returns its log as an Arrow table in the log schema, which is cheap to send
between processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from simulation.engine.plan import Plan
from simulation.engine.run import run_replication

Progress = Callable[[int], None]


def replicate(plan: Plan, seed: int, replication: int) -> pa.Table:
    """One replication's event log, as a table."""
    return run_replication(plan, seed, replication).log.to_table()


def run_replications(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[pa.Table]:
    """The logs of ``replications`` (a count, or the replication numbers), in order."""
    numbers = list(range(replications)) if isinstance(replications, int) else list(replications)
    workers = min(workers or os.cpu_count() or 1, len(numbers)) or 1
    if workers == 1:
        return list(_tick((replicate(plan, seed, r) for r in numbers), progress))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = pool.map(replicate, [plan] * len(numbers), [seed] * len(numbers), numbers)
        return list(_tick(jobs, progress))


def run_on_dask(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    address: str,
    progress: Progress | None = None,
) -> list[pa.Table]:
    """The same logs as :func:`run_replications`, computed on a Dask cluster at ``address``.

    Every task gets its seed and replication number explicitly, and is submitted with
    ``pure=False``: Dask would otherwise reuse a cached result for repeated arguments.
    """
    from distributed import Client

    numbers = list(range(replications)) if isinstance(replications, int) else list(replications)
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(replicate, plan, seed, r, pure=False) for r in numbers]
        return list(_tick((f.result() for f in futures), progress))


def _tick(tables: Iterable[pa.Table], progress: Progress | None) -> Iterable[pa.Table]:
    for i, table in enumerate(tables, start=1):
        if progress is not None:
            progress(i)
        yield table
