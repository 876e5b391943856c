"""The ``omnicanal`` command.

Every command prints what it did and where it wrote it; on failure it prints one line and
exits non-zero (2 for bad input, 1 for anything else omnicanal refuses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from simulation.errors import InputError, OmnicanalError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from simulation.projections import Costs
    from simulation.results import RunFolder
    from simulation.scenario import Scenario

app = typer.Typer(
    name="omnicanal",
    help="Event-sourced omnichannel simulation and load testing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

ResultsRoot = Annotated[
    Path, typer.Option("--out", help="Folder under which the run's folder is created.")
]


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an :class:`OmnicanalError` into one line on stderr and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OmnicanalError as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(e.exit_code) from e

    return run


@app.command()
@fails_cleanly
def demo(out_root: ResultsRoot = Path("results")) -> None:
    """Fold the scripted demo through the domain; write events, KPIs, figures and a report."""
    from simulation.demo import run_demo
    from simulation.results import RunFolder

    run = run_demo()
    with RunFolder(out_root, "demo") as folder:
        folder.manifest |= {
            "seed": None,
            "events": len(run.log),
            "refused_commands": [
                {"command": type(c).__name__, "rule": e.rule, "message": e.message}
                for c, e in run.refused
            ],
        }
        table = _write_outputs(folder, [run.log.to_table()])
    out.print(f"demo: {len(run.log)} events, {len(run.refused)} commands refused by the domain")
    _print_kpis(table.iloc[0].to_dict())
    out.print(f"wrote {folder.final}", soft_wrap=True, highlight=False)


def _write_outputs(
    folder: RunFolder,
    tables: list[pa.Table],
    horizon: float | None = None,
    warmup: float = 0.0,
    costs: Costs | None = None,
) -> pd.DataFrame:
    """events.parquet, kpis.csv, figures/*.png and report.html; returns the KPI table."""
    import pyarrow as pa

    from simulation.eventlog import LogWriter, table_to_frame
    from simulation.projections import kpis
    from simulation.report import figures, page
    from simulation.results import EVENTS, KPIS, REPORT

    with LogWriter(folder.path / EVENTS) as writer:
        for table in tables:
            writer.write_table(table)
    frame = table_to_frame(pa.concat_tables(tables))
    table = kpis(frame, horizon=horizon, warmup=warmup, costs=costs)
    table.to_csv(folder.path / KPIS, index=False)
    drawn = figures.render_all(frame, folder.path / "figures")
    (folder.path / REPORT).write_text(page.render(folder.manifest, table, drawn), encoding="utf-8")
    return table


@app.command()
@fails_cleanly
def validate(
    file: Annotated[Path, typer.Argument(help="A scenario file (TOML).")],
) -> None:
    """Check a scenario file; errors name the file, the line and the field."""
    from simulation.engine.compile import plan_of
    from simulation.scenario import load_scenario

    scenario = load_scenario(file)
    plan = plan_of(scenario)
    out.print(
        f"{file}: valid scenario {scenario.name!r}: {len(plan.sites)} locations, "
        f"{len(plan.skus)} skus, {len(plan.segments)} segments, {scenario.horizon_days:g} days",
        soft_wrap=True,
        highlight=False,
    )


@app.command()
@fails_cleanly
def run(
    file: Annotated[Path, typer.Argument(help="A scenario file (TOML).")],
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option(min=1, help="Independent replications.")] = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes (default: all cores).")
    ] = None,
    out_root: ResultsRoot = Path("results"),
) -> None:
    """Simulate a scenario; write events, KPIs, figures and a report to a results folder."""
    import time

    from rich.progress import Progress

    from simulation.engine.compile import plan_of
    from simulation.experiments.replications import run_replications
    from simulation.results import RunFolder
    from simulation.scenario import load_scenario

    scenario = load_scenario(file)
    plan = plan_of(scenario)
    root_seed = scenario.seed if seed is None else seed
    started = time.perf_counter()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"{scenario.name}: replications", total=replications)
        tables = run_replications(
            plan, root_seed, replications, workers=workers,
            progress=lambda done: progress.update(task, completed=done),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    with RunFolder(out_root, scenario.name) as folder:
        folder.manifest |= _run_manifest(scenario, root_seed, replications, tables, seconds)
        table = _write_outputs(
            folder, tables, horizon=plan.horizon, warmup=plan.warmup, costs=plan.costs()
        )
    events = sum(t.num_rows for t in tables)
    out.print(
        f"{scenario.name}: {replications} replication(s), {events:,} events in {seconds:.1f} s"
    )
    _print_kpis(table.mean(numeric_only=True).to_dict())
    out.print(f"wrote {folder.final}", soft_wrap=True, highlight=False)


def _run_manifest(
    scenario: Scenario, seed: int, replications: int, tables: list[pa.Table], seconds: float
) -> dict[str, object]:
    """What STRESS-DES asks a study to report: seeds, streams, run length, replications, time."""
    import os
    import platform

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


@app.command()
@fails_cleanly
def inspect(
    run: Annotated[Path, typer.Argument(help="A results folder, or an events.parquet file.")],
) -> None:
    """Check an event log (schema, seq, every row) and print its KPIs."""
    from simulation.eventlog import read_log, replay
    from simulation.projections import kpis
    from simulation.results import EVENTS

    path = run / EVENTS if run.is_dir() else run
    if not path.exists():
        raise InputError("RESULTS", "a results folder or an events.parquet file", str(run))
    log = read_log(path)
    for rep, part in log.groupby("replication", sort=True):
        replay(part)  # checks every row and folds it: a corrupt row fails here, naming it
        out.print(f"replication {rep}: {len(part)} events, {part['type'].nunique()} types")
    for row in kpis(log).to_dict("records"):
        _print_kpis(row)


def _print_kpis(row: Mapping[Hashable, object]) -> None:
    table = Table("KPI", "value", title="KPIs", title_justify="left")
    for name, value in row.items():
        shown = f"{value:,.4g}" if isinstance(value, float) else str(value)
        table.add_row(str(name), shown)
    out.print(table)


def main() -> None:  # pragma: no cover - the console script
    app()
