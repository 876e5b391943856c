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
from rich.markup import escape
from rich.table import Table

from simulation.errors import InputError, OmnicanalError
from simulation.validation import command as validation_command

if TYPE_CHECKING:
    import pandas as pd


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
SCENARIO_HELP = (
    "A scenario file (TOML), or the name of a shipped one (baseline, black-friday, ...)."
)


def fails_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an :class:`OmnicanalError` into one line on stderr and its exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except OmnicanalError as e:
            # escaped: a message quoting "[network]" or "[[segments]]" is text, not markup
            err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
            raise typer.Exit(e.exit_code) from e

    return run


@app.command()
@fails_cleanly
def demo(out_root: ResultsRoot = Path("results")) -> None:
    """Fold the scripted demo through the domain; write events, KPIs, figures and a report."""
    from simulation.api import write_outputs
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
        events = run.log.to_table()
        table = write_outputs(folder, [events], commands=[run.commands.to_table(events)])
    out.print(f"demo: {len(run.log)} events, {len(run.refused)} commands refused by the domain")
    _print_kpis(table.iloc[0].to_dict())
    out.print(f"wrote {folder.final}", soft_wrap=True, highlight=False)


@app.command()
@fails_cleanly
def validate(
    file: Annotated[Path, typer.Argument(help=SCENARIO_HELP)],
) -> None:
    """Check a scenario file and estimate its run; errors name the file, the line and the field."""
    from simulation.engine.compile import plan_of
    from simulation.scenario import load_scenario
    from simulation.scenario.estimate import check_size

    scenario = load_scenario(file)
    plan = plan_of(scenario)
    out.print(
        f"{file}: valid scenario {scenario.name!r}: {len(plan.sites)} locations, "
        f"{len(plan.skus)} skus, {len(plan.segments)} segments, {scenario.horizon_days:g} days",
        soft_wrap=True,
        highlight=False,
    )
    out.print(f"one replication: {check_size(scenario).summary()}", soft_wrap=True, highlight=False)


@app.command()
@fails_cleanly
def run(
    file: Annotated[Path, typer.Argument(help=SCENARIO_HELP)],
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option(min=1, help="Independent replications.")] = 1,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="path=value (repeatable): change a field, checked as in a file."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes (default: all cores).")
    ] = None,
    out_root: ResultsRoot = Path("results"),
    executor: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    address: Annotated[str | None, typer.Option(help="Dask scheduler, tcp://HOST:8786.")] = None,
) -> None:
    """Simulate a scenario; write events, KPIs, figures and a report to a results folder."""
    import time

    from rich.progress import Progress

    from simulation.api import run as simulate
    from simulation.engine.compile import plan_of
    from simulation.experiments.sweep import parse_overrides
    from simulation.results import read_manifest
    from simulation.scenario import load_scenario
    from simulation.scenario.estimate import check_size

    scenario = load_scenario(file)
    overrides = parse_overrides(set_ or [])
    chosen = scenario.with_overrides(overrides, source="--set") if overrides else scenario
    check_size(chosen, replications)
    plan_of(chosen)  # its checks too (policy parameters), before the progress bar starts
    started = time.perf_counter()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"{scenario.name}: replications", total=replications)
        done = simulate(
            scenario, seed=seed, replications=replications, overrides=overrides, out=out_root,
            workers=workers, executor=executor, address=address,
            progress=lambda n: progress.update(task, completed=n),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    assert done.folder is not None
    events = int(read_manifest(done.folder)["events"])
    out.print(
        f"{scenario.name}: {replications} replication(s), {events:,} events in {seconds:.1f} s"
    )
    table, folder_final = done.kpis, done.folder
    _print_kpis(table.mean(numeric_only=True).to_dict())
    out.print(f"wrote {folder_final}", soft_wrap=True, highlight=False)


@app.command()
@fails_cleanly
def compare(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Two or more scenario files or shipped names; the first is the reference."
        ),
    ],
    replications: Annotated[
        int, typer.Option(min=2, help="Replications per scenario (the start, with --half-width).")
    ] = 5,
    half_width: Annotated[
        str | None,
        typer.Option(
            help="Add replications until each --kpi's relative CI half-width is at most this (1%)."
        ),
    ] = None,
    kpi: Annotated[
        list[str] | None, typer.Option(help="KPIs for --half-width (repeatable).")
    ] = None,
    max_replications: Annotated[int, typer.Option(min=2)] = 50,
    seed: Annotated[
        int | None, typer.Option(help="Root seed, shared by all scenarios (CRN).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1)] = None,
    out_root: ResultsRoot = Path("results"),
    executor: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    address: Annotated[str | None, typer.Option(help="Dask scheduler, tcp://HOST:8786.")] = None,
) -> None:
    """Paired comparison of scenarios with common random numbers and 95% confidence intervals."""
    from simulation import studies

    if len(files) < 2:
        raise InputError("FILES", "two or more scenario files", [str(f) for f in files])
    chosen = kpi or ["net_value", "fill_rate", "orders"]
    done = studies.compare(
        files, replications=replications, kpis=chosen, max_replications=max_replications,
        half_width=_percent(half_width) if half_width is not None else None, seed=seed,
        run=studies.Execution(workers=workers, executor=executor, address=address),
        out=out_root, tick=lambda line: err.print(line, highlight=False),
    )  # fmt: skip
    _print_comparison(done.table, chosen)
    out.print(f"wrote {done.folder}", soft_wrap=True, highlight=False)


@app.command()
@fails_cleanly
def sweep(
    file: Annotated[Path, typer.Argument(help=SCENARIO_HELP)],
    set_: Annotated[
        list[str], typer.Option("--set", help="path=v1,v2,... (repeatable): the grid.")
    ],
    replications: Annotated[int, typer.Option(min=1)] = 3,
    seed: Annotated[
        int | None, typer.Option(help="Root seed, shared by every point (CRN).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1)] = None,
    out_root: ResultsRoot = Path("results"),
    executor: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    address: Annotated[str | None, typer.Option(help="Dask scheduler, tcp://HOST:8786.")] = None,
) -> None:
    """Run a grid of parameter values, each point replicated: a tidy table and figures."""
    from rich.progress import Progress

    from simulation import studies
    from simulation.experiments import sweep as sweeps

    grid = sweeps.parse_sets(set_)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("sweep", total=len(sweeps.points(grid)))
        done = studies.sweep(
            file, grid, replications=replications, seed=seed, out=out_root,
            run=studies.Execution(workers=workers, executor=executor, address=address),
            tick=lambda _: progress.advance(task),
        )  # fmt: skip
    points = len(sweeps.points(grid))
    out.print(f"sweep: {points} points x {replications} replications")
    out.print(f"wrote {done.folder}", soft_wrap=True, highlight=False)


app.command("validate-model", epilog=validation_command.EPILOG)(
    fails_cleanly(validation_command.validate_model)
)


@app.command()
@fails_cleanly
def export(
    run: Annotated[Path, typer.Argument(help="A results folder, or an events.parquet file.")],
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="ocel (OCEL 2.0), csv (flat), or rfm (one row per buyer: customer_id, "
            "frequency, recency, T in days, monetary_value, as lifetimes and PyMC-Marketing "
            "read it).",
        ),
    ] = "ocel",
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write; ocel: .json or .jsonocel (JSON), .sqlite (SQLite); rfm: .csv.",
        ),
    ] = None,
    replication: Annotated[int | None, typer.Option(help="ocel, rfm: which replication.")] = None,
    period_days: Annotated[
        float | None,
        typer.Option(help="rfm: the purchase period in days (default 1; 0.0416667: hours)."),
    ] = None,
) -> None:
    """Write the event log as OCEL 2.0 JSON or SQLite (process mining), flat CSV, or the
    buyers' RFM table (BTYD models)."""
    from simulation.export import export_run

    target, counts = export_run(
        run, format_, out_file, replication=replication, period_days=period_days
    )
    out.print(f"export: {counts}", highlight=False)
    out.print(f"wrote {target}", soft_wrap=True, highlight=False)


@app.command()
@fails_cleanly
def serve(
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="Catalogue, locations and initial stock from here: a file or a shipped name "
            "(default: the shipped baseline)."
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    token_file: Annotated[
        Path | None, typer.Option(help="File holding the bearer token for writes.")
    ] = None,
    db: Annotated[
        str,
        typer.Option(help="Event store: a SQLite path, sqlite:///PATH, postgresql://..., memory."),
    ] = "results/reference-api.db",
    workers: Annotated[int, typer.Option(min=1, help="Server processes sharing the store.")] = 1,
) -> None:
    """Serve the reference API (the domain behind HTTP) with the scenario's initial stock.

    The bearer token comes from --token-file, the file OMNICANAL_API_TOKEN_FILE names, or
    OMNICANAL_API_TOKEN; never the command line.
    """
    from loadtests.reference_api.serve import serve as serve_api
    from simulation.scenario.library import scenario_file, shipped_folder

    chosen = shipped_folder() / "baseline.toml" if scenario is None else scenario_file(scenario)
    serve_api(
        chosen, host=host, port=port, token_file=token_file, db=db, workers=workers,
        announce=lambda line: out.print(line, highlight=False),
    )  # fmt: skip


@app.command()
@fails_cleanly
def studio(
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Serve only; do not open a browser.")
    ] = False,
    out_root: ResultsRoot = Path("results"),
) -> None:
    """Serve the what-if studio on 127.0.0.1: build, run and compare scenarios in a browser."""
    from simulation.studio.server import serve as serve_studio

    serve_studio(
        port=port, open_browser=not no_browser, results=out_root,
        announce=lambda line: out.print(line, highlight=False, soft_wrap=True),
    )  # fmt: skip


@app.command()
@fails_cleanly
def replay(
    results: Annotated[Path, typer.Argument(help="A results folder (holds events.parquet).")],
    target: Annotated[
        str, typer.Option(help="Base URL of the API under test.")
    ] = "http://127.0.0.1:8000",
    speedup: Annotated[
        float, typer.Option(help="Simulated time / wall time: 60 plays an hour in a minute.")
    ] = 60.0,
    users: Annotated[
        int, typer.Option(help="Most journeys in flight at once; beyond, starts are late.")
    ] = 1000,
    adapter: Annotated[
        str | None,
        typer.Option(help="'reference' (default), a mapping .toml, or package.module:Class."),
    ] = None,
    run_time: Annotated[
        float | None,
        typer.Option(
            help="Seconds of load, a hard bound: nothing is sent after it, a request in flight"
            " gets 1 s more, and what was not sent is counted as not run."
        ),
    ] = None,
    gates: Annotated[
        Path | None, typer.Option(help="SLO gates (TOML); default: no discrepancies.")
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option(help="File holding the API token (or OMNICANAL_API_TOKEN).")
    ] = None,
    replication: Annotated[
        int | None, typer.Option(help="Which replication's journeys (default: the first).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write (default RESULTS/loadtest).")
    ] = None,
    check: Annotated[
        str,
        typer.Option(
            help="rules: each answer against the simulation's decision and the final state "
            "against the fold of what the target accepted; invariants: only the target's own "
            "consistency (no oversell, no negative stock, ...), for a target whose rules differ."
        ),
    ] = "rules",
    check_mapping: Annotated[
        bool,
        typer.Option(
            "--check-mapping",
            help="Check the --adapter mapping file against the run's commands, offline (no"
            " request sent): each step kind's status, every error with its TOML line.",
        ),
    ] = False,
) -> None:
    """Replay a run's journeys against an API with Locust, then reconcile its final state.

    Customers start at their simulated times compressed by --speedup (an open arrival model);
    latency is measured from the intended send time and from the actual one. Exit 1 when
    there are discrepancies or a gate fails, 4 when nothing was found wrong but coverage was
    incomplete (steps skipped, the final state not read), 3 when the target cannot be
    prepared; with --check-mapping, 2 when the mapping has errors.
    """
    from loadtests.run import Settings, check_mapping_of, read_token, run_headless

    settings = Settings(
        results=results, target=target, speedup=speedup, max_in_flight=users, adapter=adapter,
        run_time=run_time, gates=gates, out=out_dir, replication=replication,
        token=None if check_mapping else read_token(token_file), check_mode=check,
    )  # fmt: skip
    if check_mapping:
        report = check_mapping_of(settings)
        for line in report.lines():
            out.print(line, markup=False, highlight=False, soft_wrap=True)
        if not report.ok:
            raise typer.Exit(2)
        return
    code = run_headless(settings)
    if code:
        raise typer.Exit(code)


@app.command()
@fails_cleanly
def select(
    files: Annotated[
        list[Path], typer.Argument(help="Two or more scenario files or shipped names.")
    ],
    kpi: Annotated[
        str, typer.Option(help="The KPI that decides (a kpis.csv column).")
    ] = "net_value",
    delta: Annotated[
        float, typer.Option(help="Indifference zone: a difference worth finding.")
    ] = 1000.0,
    alpha: Annotated[
        float, typer.Option(help="1 - the probability of a correct selection.")
    ] = 0.05,
    n0: Annotated[int, typer.Option(min=2, help="First replications of each scenario.")] = 10,
    minimise: Annotated[bool, typer.Option(help="Smaller is better (costs, lead times).")] = False,
    seed: Annotated[
        int | None, typer.Option(help="Root seed, shared by all scenarios (CRN).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """Which scenario is best, with probability 1 - alpha (the KN procedure, on CRN)."""
    from simulation import studies

    choice = studies.select(
        files, kpi=kpi, delta=delta, alpha=alpha, n0=n0, minimise=minimise, seed=seed,
        workers=workers,
    )  # fmt: skip
    table = Table("scenario", f"mean {kpi}", "replications", title="KN selection")
    for i, name in enumerate(choice.names):
        mark = " (best)" if i == choice.best else ""
        table.add_row(name + mark, f"{choice.means[i]:,.4g}", str(choice.replications[i]))
    out.print(table)
    out.print(
        f"best: {choice.names[choice.best]}, with probability >= {1 - alpha:.0%} "
        f"if it leads by at least {delta:g} on {kpi}",
        highlight=False,
    )


@app.command()
@fails_cleanly
def init(
    folder: Annotated[Path, typer.Argument(help="The folder to copy them into.")] = Path(
        "omnicanal-scenarios"
    ),
    force: Annotated[bool, typer.Option(help="Replace files that are already there.")] = False,
) -> None:
    """Copy the shipped scenarios and an example adapter mapping into a folder to edit."""
    from importlib import resources

    from simulation.scenario.library import copy_out, shipped_files

    mapping = resources.files("loadtests.adapters") / "reference.toml"
    written = copy_out(shipped_files() | {"adapters/reference.toml": mapping}, folder, force=force)
    for path in written:
        out.print(f"wrote {path}", soft_wrap=True, highlight=False)
    out.print(
        f"init: {len(written) - 1} scenarios and 1 adapter mapping; edit them, then run "
        f"omnicanal run {folder / 'baseline.toml'}",
        soft_wrap=True,
        highlight=False,
    )


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError as e:
        raise InputError("--half-width", "a fraction or a percentage such as 1%", text) from e
    if not 0 < value < 1:
        raise InputError("--half-width", "between 0 and 100%", text)
    return value


def _print_comparison(result: pd.DataFrame, chosen: list[str]) -> None:
    from simulation.report.numbers import kpi_value, label

    table = Table("KPI", "scenario", "mean [95% CI]", "difference [95% CI]", title="Comparison")
    for row in result[result["kpi"].isin(chosen)].to_dict("records"):
        k = str(row["kpi"])

        def shown(v: float, k: str = k) -> str:
            return kpi_value(k, v)

        diff = ""
        if row["scenario"] != result["scenario"].iloc[0]:
            mark = " *" if row["differs"] else ""
            low, high = shown(row["diff_ci_low"]), shown(row["diff_ci_high"])
            diff = f"{shown(row['diff'])} [{low}, {high}]{mark}"
        own = f"{shown(row['mean'])} [{shown(row['ci_low'])}, {shown(row['ci_high'])}]"
        table.add_row(label(k), str(row["scenario"]), own, diff)
    out.print(table)
    out.print("* the interval of the difference excludes zero")


@app.command()
@fails_cleanly
def inspect(
    run: Annotated[Path, typer.Argument(help="A results folder, or an events.parquet file.")],
) -> None:
    """Check an event log (schema, seq, every row) and print its KPIs."""
    from simulation.eventlog import read_log, rebuild
    from simulation.projections import kpis
    from simulation.results import EVENTS

    path = run / EVENTS if run.is_dir() else run
    if not path.exists():
        raise InputError("RESULTS", "a results folder or an events.parquet file", str(run))
    log = read_log(path)
    for rep, part in log.groupby("replication", sort=True):
        rebuild(part)  # checks every row and folds it: a corrupt row fails here, naming it
        out.print(f"replication {rep}: {len(part)} events, {part['type'].nunique()} types")
    for row in kpis(log).to_dict("records"):
        _print_kpis(row)


def _print_kpis(row: Mapping[Hashable, object]) -> None:
    from simulation.report.numbers import kpi_rows

    values = {str(k): float(v) for k, v in row.items() if isinstance(v, int | float)}
    values.pop("replication", None)
    table = Table("KPI", "value", title="KPIs (report.html says what each measures)",
                  title_justify="left")  # fmt: skip
    for name, shown, _ in kpi_rows(values):
        table.add_row(name, shown)
    out.print(table)


def main() -> None:  # pragma: no cover - the console script
    app()


if __name__ == "__main__":  # pragma: no cover - python -m simulation.cli
    main()
