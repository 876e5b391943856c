"""Studies over scenarios: paired comparisons, sweeps and selection, as results folders.

The work behind ``omnicanal compare``, ``sweep`` and ``select`` and the Python API's
:func:`simulation.api.compare` and :func:`simulation.api.sweep`: replicate every scenario (or
grid point) on common random numbers, project each replication's KPIs from its log, and, given
``out``, write a results folder (the manifest, the tables, the logs, figures and a report). The
command line only parses its options and prints what comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from simulation import projections
from simulation.api import ScenarioLike, replicate_logs, scenario_of
from simulation.engine.compile import plan_of
from simulation.engine.plan import Plan
from simulation.errors import InputError
from simulation.eventlog import LogWriter, table_to_frame
from simulation.results import KPIS, REPORT, RunFolder

Tick = Callable[[str], None]
"""Told what has just been done (``"baseline: 5 replications"``): a progress line or bar."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """Where replications run: local processes (``workers``) or the Dask cluster at
    ``address``."""

    workers: int | None = None
    executor: str = "local"
    address: str | None = None


def kpis_of(plan: Plan, tables: Sequence[pa.Table]) -> pd.DataFrame:
    """One KPI row per replication's log, projected with the plan's horizon, warm-up and costs."""
    return pd.concat(
        [
            projections.kpis(
                table_to_frame(t), horizon=plan.horizon, warmup=plan.warmup, costs=plan.costs()
            )
            for t in tables
        ],
        ignore_index=True,
    )


def unique(names: Sequence[str]) -> list[str]:
    """Names made unique by a position suffix (two files may name the same scenario)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


# ---------------------------------------------------------------- compare


@dataclass(frozen=True, slots=True)
class Comparison:
    """A paired comparison: the per-KPI table, each scenario's KPIs per replication, how many
    replications ran, and the results folder when one was written."""

    table: pd.DataFrame
    kpis: dict[str, pd.DataFrame]
    replications: int
    folder: Path | None


def compare(
    scenarios: Sequence[ScenarioLike],
    *,
    replications: int = 5,
    half_width: float | None = None,
    kpis: Sequence[str] = ("net_value", "fill_rate", "orders"),
    max_replications: int = 50,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    run: Execution = Execution(),
    out: Path | None = None,
    tick: Tick | None = None,
) -> Comparison:
    """Compare ``scenarios`` on common random numbers: ``replications`` each, or, with
    ``half_width``, more until every one of ``kpis`` has a relative CI half-width at most it."""
    from simulation.experiments.compare import comparison, until_precise

    if len(scenarios) < 2:
        raise InputError("scenarios", "two or more scenarios", len(scenarios))
    if replications < 2:
        raise InputError("replications", "at least 2 (a CI needs them)", replications)
    chosen = [scenario_of(s, overrides) for s in scenarios]
    names = unique([s.name for s in chosen])
    plans = dict(zip(names, (plan_of(s) for s in chosen), strict=True))
    root_seed = chosen[0].seed if seed is None else seed
    logs: dict[str, list[pa.Table]] = {name: [] for name in names}
    done = [0]

    def more(n: int) -> dict[str, pd.DataFrame]:
        numbers = list(range(done[0], done[0] + n))
        done[0] += n
        found = {}
        for name, plan in plans.items():
            tables = replicate_logs(
                plan, root_seed, numbers, workers=run.workers, executor=run.executor,
                address=run.address,
            )  # fmt: skip
            logs[name] += tables
            found[name] = kpis_of(plan, tables)
            if tick is not None:
                tick(f"{name}: {done[0]} replications")
        return found

    started = time.perf_counter()
    if half_width is None:
        tables, count = more(replications), replications
    else:
        tables, count = until_precise(
            more, kpis, target=half_width, start=replications, step=max(2, run.workers or 2),
            most=max_replications,
        )  # fmt: skip
    result = comparison(tables)
    folder = None
    if out is not None:
        manifest = {
            "scenarios": {n: _source(s) for n, s in zip(names, scenarios, strict=True)},
            "seed": root_seed, "replications": count,
            "replications_rule": f"until relative half-width <= {half_width} on {list(kpis)}"
            if half_width else "fixed",
            "run_seconds": round(time.perf_counter() - started, 3),
        }  # fmt: skip
        folder = _write_comparison(out, manifest, result, tables, logs)
    return Comparison(result, tables, count, folder)


def compare_results(folders: Sequence[Path]) -> Comparison:
    """The paired comparison of finished runs, read from their ``kpis.csv`` (the first is the
    reference), over the replications they share; no simulation is run. The pairing is on
    common random numbers when the runs share a seed."""
    from simulation.experiments.compare import comparison
    from simulation.results import read_manifest

    if len(folders) < 2:
        raise InputError("results", "two or more results folders", len(folders))
    for folder in folders:
        if not (Path(folder) / KPIS).is_file():
            raise InputError("results", "a folder written by omnicanal run (kpis.csv)", str(folder))
    names = unique([str(read_manifest(f).get("scenario", Path(f).name)) for f in folders])
    tables = {n: pd.read_csv(Path(f) / KPIS) for n, f in zip(names, folders, strict=True)}
    shared = sorted(set.intersection(*(set(t["replication"]) for t in tables.values())))
    if len(shared) < 2:
        raise InputError("results", "runs sharing at least 2 replication numbers", shared)
    paired = {n: t[t["replication"].isin(shared)].reset_index(drop=True) for n, t in tables.items()}
    return Comparison(comparison(paired), paired, len(shared), None)


def _source(scenario: ScenarioLike) -> str:
    return str(scenario) if isinstance(scenario, str | Path) else scenario.name


def _write_comparison(
    out: Path,
    manifest: dict[str, Any],
    result: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    logs: Mapping[str, list[pa.Table]],
) -> Path:
    from simulation.report import figures, page

    with RunFolder(out, "compare") as folder:
        folder.manifest |= manifest
        result.to_csv(folder.path / "comparison.csv", index=False)
        pd.concat([t.assign(scenario=n) for n, t in tables.items()]).to_csv(
            folder.path / KPIS, index=False
        )
        for name, parts in logs.items():
            with LogWriter(folder.path / "events" / f"{name}.parquet") as writer:
                for part in parts:
                    writer.write_table(part)
        drawn = figures.render_comparison(result, folder.path / "figures")
        (folder.path / REPORT).write_text(
            page.render_comparison(folder.manifest, result, drawn), encoding="utf-8"
        )
    return folder.final


# ---------------------------------------------------------------- sweep


@dataclass(frozen=True, slots=True)
class Sweep:
    """A sweep: one KPI row per point and replication, the summary per point (means and
    CIs), and the results folder when one was written."""

    table: pd.DataFrame
    summary: pd.DataFrame
    folder: Path | None


def sweep(
    scenario: ScenarioLike,
    grid: Mapping[str, Sequence[Any]],
    *,
    replications: int = 3,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    run: Execution = Execution(),
    out: Path | None = None,
    tick: Tick | None = None,
) -> Sweep:
    """Every point of ``grid`` (dotted field -> values), each replicated on the same seeds;
    every point is checked before anything runs."""
    from simulation.experiments import sweep as sweeps

    base = scenario_of(scenario, overrides)
    source = _source(scenario)
    values = {k: list(v) for k, v in grid.items()}
    points = sweeps.points(values)
    for point in points:
        base.with_overrides(point, source=source)
    root_seed = base.seed if seed is None else seed

    def run_point(point: dict[str, Any]) -> pd.DataFrame:
        plan = plan_of(base.with_overrides(point, source=source))
        tables = replicate_logs(
            plan, root_seed, replications, workers=run.workers, executor=run.executor,
            address=run.address,
        )  # fmt: skip
        if tick is not None:
            tick(f"point {point}")
        return kpis_of(plan, tables)

    table = sweeps.sweep(values, run_point)
    summary = sweeps.summarise(table, list(values))
    folder = None
    if out is not None:
        manifest = {
            "scenario_file": source, "grid": values, "seed": root_seed,
            "replications": replications, "points": len(points),
        }  # fmt: skip
        folder = _write_sweep(out, base.name, manifest, table, summary, list(values))
    return Sweep(table, summary, folder)


def _write_sweep(  # noqa: PLR0917
    out: Path,
    name: str,
    manifest: dict[str, Any],
    table: pd.DataFrame,
    summary: pd.DataFrame,
    params: list[str],
) -> Path:
    from simulation.report import figures, page

    with RunFolder(out, f"sweep-{name}") as folder:
        folder.manifest |= manifest
        table.to_csv(folder.path / "sweep.csv", index=False)
        table.to_parquet(folder.path / "sweep.parquet", index=False)
        summary.to_csv(folder.path / "summary.csv", index=False)
        drawn = figures.render_sweep(summary, params, folder.path / "figures")
        report = page.render_sweep(folder.manifest, summary, drawn)
        (folder.path / REPORT).write_text(report, encoding="utf-8")
    return folder.final


# ---------------------------------------------------------------- select


@dataclass(frozen=True, slots=True)
class Selection:
    """The scenario KN selection names best, with each scenario's mean and replications."""

    names: list[str]
    best: int
    means: list[float]
    replications: list[int]


def select(
    scenarios: Sequence[ScenarioLike],
    *,
    kpi: str = "net_value",
    delta: float = 1000.0,
    alpha: float = 0.05,
    n0: int = 10,
    minimise: bool = False,
    seed: int | None = None,
    workers: int | None = None,
) -> Selection:
    """Which scenario is best on ``kpi``, with probability 1 - ``alpha`` if it leads by
    ``delta`` (the KN procedure, on common random numbers)."""
    from simulation.experiments.replications import run_replications
    from simulation.experiments.selection import kn_select

    chosen = [scenario_of(s) for s in scenarios]
    plans = [plan_of(s) for s in chosen]
    root_seed = chosen[0].seed if seed is None else seed
    values: dict[tuple[int, int], float] = {}

    def measure(i: int, numbers: list[int]) -> None:
        found = kpis_of(plans[i], run_replications(plans[i], root_seed, numbers, workers=workers))
        if kpi not in found.columns:
            raise InputError("--kpi", f"a KPI column such as {sorted(found.columns)[:6]}...", kpi)
        values.update({(i, r): float(v) for r, v in zip(numbers, found[kpi], strict=True)})

    for i in range(len(plans)):
        measure(i, list(range(n0)))

    def sample(i: int, r: int) -> float:
        if (i, r) not in values:
            measure(i, [r])
        return values[i, r]

    choice = kn_select(sample, len(plans), delta=delta, alpha=alpha, n0=n0, maximise=not minimise)
    return Selection(
        [s.name for s in chosen], choice.best, list(choice.means), list(choice.replications)
    )
