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

    from simulation.eventlog import EventLog
    from simulation.results import RunFolder

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
        table = _write_outputs(folder, [run.log])
    out.print(f"demo: {len(run.log)} events, {len(run.refused)} commands refused by the domain")
    _print_kpis(table.iloc[0].to_dict())
    out.print(f"wrote {folder.final}", soft_wrap=True, highlight=False)


def _write_outputs(folder: RunFolder, logs: list[EventLog]) -> pd.DataFrame:
    """events.parquet, kpis.csv, figures/*.png and report.html; returns the KPI table."""
    import pandas as pd

    from simulation.eventlog import LogWriter
    from simulation.projections import kpis
    from simulation.report import figures, page
    from simulation.results import EVENTS, KPIS, REPORT

    with LogWriter(folder.path / EVENTS) as writer:
        for log in logs:
            writer.write(list(log), replication=log.replication)
    frame = pd.concat([log.to_frame() for log in logs], ignore_index=True)
    table = kpis(frame)
    table.to_csv(folder.path / KPIS, index=False)
    drawn = figures.render_all(frame, folder.path / "figures")
    (folder.path / REPORT).write_text(page.render(folder.manifest, table, drawn), encoding="utf-8")
    return table


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
