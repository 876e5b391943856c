"""Replications of a plan: independent streams per replication, run in parallel processes.

Replication r of seed s draws from ``SeedSequence(s, spawn_key=(r, ...))`` (see
:mod:`simulation.engine.streams`), so replications are independent, and two plans run with the
same seed see the same customers replication by replication (common random numbers). Each
replication returns its event log (and, with :func:`run_logs`, its command log too) as Arrow
tables, which are cheap to send between processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import pyarrow as pa

from simulation.engine.plan import Plan
from simulation.engine.run import run_replication

Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Logs:
    """One replication's event log and command log, as tables."""

    events: pa.Table
    commands: pa.Table


def replicate(plan: Plan, seed: int, replication: int) -> pa.Table:
    """One replication's event log, as a table."""
    return run_replication(plan, seed, replication).log.to_table()


def replicate_with_commands(plan: Plan, seed: int, replication: int) -> Logs:
    """One replication's event and command logs."""
    world = run_replication(plan, seed, replication)
    return Logs(world.log.to_table(), world.commands.to_table())


def run_replications(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[pa.Table]:
    """The event logs of ``replications`` (a count, or the replication numbers), in order."""
    return _local(replicate, plan, seed, replications, workers, progress)


def run_logs(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[Logs]:
    """The event and command logs of ``replications``, in order."""
    return _local(replicate_with_commands, plan, seed, replications, workers, progress)


def _local(  # noqa: PLR0917
    task: Callable[[Plan, int, int], T],
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    workers: int | None,
    progress: Progress | None,
) -> list[T]:
    numbers = list(range(replications)) if isinstance(replications, int) else list(replications)
    workers = min(workers or os.cpu_count() or 1, len(numbers)) or 1
    if workers == 1:
        return list(_tick((task(plan, seed, r) for r in numbers), progress))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = pool.map(task, [plan] * len(numbers), [seed] * len(numbers), numbers)
        return list(_tick(jobs, progress))


def run_on_dask(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    address: str,
    progress: Progress | None = None,
) -> list[pa.Table]:
    """The same logs as :func:`run_replications`, computed on a Dask cluster at ``address``."""
    return _on_dask(replicate, plan, seed, replications, address, progress)


def logs_on_dask(
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    *,
    address: str,
    progress: Progress | None = None,
) -> list[Logs]:
    """The same logs as :func:`run_logs`, computed on a Dask cluster at ``address``."""
    return _on_dask(replicate_with_commands, plan, seed, replications, address, progress)


def _on_dask(  # noqa: PLR0917
    task: Callable[[Plan, int, int], T],
    plan: Plan,
    seed: int,
    replications: Sequence[int] | int,
    address: str,
    progress: Progress | None,
) -> list[T]:
    """Every task gets its seed and replication number explicitly, and is submitted with
    ``pure=False``: Dask would otherwise reuse a cached result for repeated arguments."""
    from distributed import Client

    numbers = list(range(replications)) if isinstance(replications, int) else list(replications)
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        futures = [client.submit(task, plan, seed, r, pure=False) for r in numbers]
        return list(_tick((f.result() for f in futures), progress))


def _tick(results: Iterable[T], progress: Progress | None) -> Iterable[T]:
    for i, result in enumerate(results, start=1):
        if progress is not None:
            progress(i)
        yield result
