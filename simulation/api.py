"""The Python API: what the command line does, as functions a notebook can call.

    >>> from simulation import load_scenario, run, compare, sweep      # doctest: +SKIP
    >>> done = run("scenarios/baseline.toml", replications=2, overrides={"horizon_days": 7})
    >>> done.kpis[["orders", "fill_rate"]]                              # one row per replication
    >>> done.log                                                        # the event log (pandas)
    >>> compare("scenarios/baseline.toml", "scenarios/pooled-vs-siloed.toml", replications=5)

A scenario may be given as a path or a :class:`~simulation.scenario.Scenario`; ``overrides``
changes dotted fields (``{"policies.fulfilment.max_legs": 1}``) with the same checks as a file.
Replications run in local processes (``workers``) or on a Dask cluster (``executor="dask"``).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from simulation import projections
from simulation.customers import cohorts
from simulation.customers.kpis import LOOP_EVENTS, experience_table, surveys
from simulation.engine.compile import plan_of
from simulation.engine.plan import Plan
from simulation.errors import InputError
from simulation.eventlog import LogWriter, read_log, table_to_frame
from simulation.experiments.replications import Logs
from simulation.projections import Costs
from simulation.results import COHORTS, COMMANDS, EVENTS, KPIS, REPORT, RunFolder
from simulation.scenario import Scenario, load_scenario

ScenarioLike = Scenario | str | Path


def scenario_of(scenario: ScenarioLike, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario from a path or as given, with dotted ``overrides`` applied and checked."""
    chosen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return chosen.with_overrides(overrides) if overrides else chosen


def replicate_logs(
    plan: Plan,
    seed: int,
    replications: int | Sequence[int],
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[pa.Table]:
    """The event logs of ``replications`` on local processes, or on the Dask cluster at
    ``address``: the same tables either way."""
    from simulation.experiments.replications import run_on_dask, run_replications

    if _executor(executor, address) == "local":
        return run_replications(plan, seed, replications, workers=workers, progress=progress)
    return run_on_dask(plan, seed, replications, address=str(address), progress=progress)


def replicate_all(
    plan: Plan,
    seed: int,
    replications: int | Sequence[int],
    *,
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Logs]:
    """As :func:`replicate_logs`, each replication's command log beside its event log."""
    from simulation.experiments.replications import logs_on_dask, run_logs

    if _executor(executor, address) == "local":
        return run_logs(plan, seed, replications, workers=workers, progress=progress)
    return logs_on_dask(plan, seed, replications, address=str(address), progress=progress)


def _executor(executor: str, address: str | None) -> str:
    if executor not in ("local", "dask"):
        raise InputError("--executor", "local or dask", executor)
    if executor == "dask" and not address:
        raise InputError("--address", "a Dask scheduler address such as tcp://HOST:8786", address)
    return executor


def write_outputs(  # noqa: PLR0917
    folder: RunFolder,
    tables: list[pa.Table],
    horizon: float | None = None,
    warmup: float = 0.0,
    costs: Costs | None = None,
    commands: list[pa.Table] | None = None,
) -> pd.DataFrame:
    """events.parquet, commands.parquet (given ``commands``), kpis.csv, cohorts.csv,
    campaigns.csv (with campaigns), surveys.csv and experience.csv (with the customer loop),
    figures/*.png and report.html; returns the KPI table."""
    from simulation.commandlog import COMMAND_SCHEMA
    from simulation.report import figures, page

    with LogWriter(folder.path / EVENTS) as writer:
        for table in tables:
            writer.write_table(table)
    if commands is not None:
        with LogWriter(folder.path / COMMANDS, schema=COMMAND_SCHEMA) as writer:
            for table in commands:
                writer.write_table(table)
    frame = table_to_frame(pa.concat_tables(tables))
    table = projections.kpis(frame, horizon=horizon, warmup=warmup, costs=costs)
    table.to_csv(folder.path / KPIS, index=False)
    measured = frame[frame["t"] >= warmup]
    projections.conversion(measured).to_csv(folder.path / "conversion.csv", index=False)
    projections.stockouts(frame, since=warmup).to_csv(folder.path / "stockouts.csv", index=False)
    if costs is not None and costs.campaigns:
        from simulation.customers.marketing import campaign_table

        campaign_table(measured, costs.campaigns).to_csv(folder.path / "campaigns.csv", index=False)
    if frame["type"].isin(LOOP_EVENTS).any():  # a scenario with a satisfaction table
        surveys(measured).to_csv(folder.path / "surveys.csv", index=False)
        experience_table(measured).to_csv(folder.path / "experience.csv", index=False)
    drawn = figures.render_all(frame, folder.path / "figures")
    weeks = cohorts.whole_weeks(frame, horizon, warmup)
    by_cohort = cohorts.cohorts(cohorts.visit_weeks(frame, warmup), weeks)
    by_cohort.to_csv(folder.path / COHORTS, index=False)
    retention = figures.retention_plot(by_cohort, folder.path / "figures")
    drawn += [retention] if retention is not None else []
    if horizon is not None:
        from simulation.experiments.warmup import steady_state, suggest_days

        welch = figures.welch_plot(frame, horizon, folder.path / "figures")
        drawn += [welch] if welch is not None else []
        folder.manifest["warmup_suggestion_days"] = round(suggest_days(frame, horizon), 3)
        if len(tables) == 1:  # one long run: steady-state estimates by batch means instead
            steady_state(frame, horizon, warmup).to_csv(
                folder.path / "batch_means.csv", index=False
            )
    (folder.path / REPORT).write_text(page.render(folder.manifest, table, drawn), encoding="utf-8")
    return table


def run_manifest(
    scenario: Scenario, seed: int, replications: int, tables: list[pa.Table], seconds: float
) -> dict[str, object]:
    """What STRESS-DES asks a study to report: seeds, streams, run length, replications, time."""
    return {
        "seed": seed,
        "streams": (
            "numpy SeedSequence(seed, spawn_key=(replication, blake2b(stream name)"
            "[, customer, visit, part]))"
        ),
        "replications": replications,
        "horizon_days": scenario.horizon_days,
        "warmup_days": scenario.warmup_days,
        "events": sum(t.num_rows for t in tables),
        "run_seconds": round(seconds, 3),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "scenario_file": scenario.model_dump(mode="json"),
    }


@dataclass
class Run:
    """A finished run: its KPIs (one row per replication) and, when written, its folder."""

    scenario: Scenario
    seed: int
    kpis: pd.DataFrame
    folder: Path | None = None
    tables: list[pa.Table] = field(default_factory=list, repr=False)

    @property
    def log(self) -> pd.DataFrame:
        """The event log of every replication, as a pandas frame."""
        if self.folder is not None:
            return read_log(self.folder / EVENTS)
        return table_to_frame(pa.concat_tables(self.tables))


def run(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    replications: int = 1,
    overrides: Mapping[str, Any] | None = None,
    out: str | Path | None = "results",
    workers: int | None = None,
    executor: str = "local",
    address: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Simulate a scenario, as ``omnicanal run`` does; with ``out=None`` nothing is written."""
    chosen = scenario_of(scenario, overrides)
    plan = plan_of(chosen)
    root_seed = chosen.seed if seed is None else seed
    started = time.perf_counter()
    logs = replicate_all(
        plan, root_seed, replications, workers=workers, executor=executor, address=address,
        progress=progress,
    )  # fmt: skip
    tables, commands = [x.events for x in logs], [x.commands for x in logs]
    seconds = time.perf_counter() - started
    if out is None:
        frames = [table_to_frame(t) for t in tables]
        table = pd.concat(
            [
                projections.kpis(f, horizon=plan.horizon, warmup=plan.warmup, costs=plan.costs())
                for f in frames
            ],
            ignore_index=True,
        )
        return Run(chosen, root_seed, table, None, tables)
    with RunFolder(Path(out), chosen.name) as folder:
        folder.manifest |= run_manifest(chosen, root_seed, replications, tables, seconds)
        folder.manifest["commands"] = sum(c.num_rows for c in commands)
        folder.manifest["overrides"] = dict(overrides or {})
        if chosen.lifetime is not None:
            folder.manifest["cltv"] = chosen.lifetime.model_dump()  # days, discount_rate
        table = write_outputs(
            folder, tables, horizon=plan.horizon, warmup=plan.warmup, costs=plan.costs(),
            commands=commands,
        )  # fmt: skip
    return Run(chosen, root_seed, table, folder.final)


def compare(
    *scenarios: ScenarioLike,
    replications: int = 5,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Paired comparison with common random numbers, as ``omnicanal compare`` prints it: per
    KPI and scenario the mean and 95% CI, and the paired difference to the first scenario.
    ``overrides`` apply to every scenario (a shorter horizon, say)."""
    from simulation import studies

    return studies.compare(
        scenarios, replications=replications, seed=seed, overrides=overrides,
        run=studies.Execution(workers=workers),
    ).table  # fmt: skip


def sweep(
    scenario: ScenarioLike,
    grid: Mapping[str, Sequence[Any]],
    *,
    replications: int = 3,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Every point of ``grid`` (dotted field -> values), each replicated on the same seeds: one
    row per point and replication, as ``omnicanal sweep`` writes ``sweep.csv``."""
    from simulation import studies

    return studies.sweep(
        scenario, grid, replications=replications, seed=seed, overrides=overrides,
        run=studies.Execution(workers=workers),
    ).table  # fmt: skip
