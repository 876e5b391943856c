"""``omnicanal validate-model``: parse the flags, print the table (the cases do the work).

Every flag must apply to every chosen case, and every parameter is checked before anything
runs; errors name the flag. The table, or ``--json`` records, then exit 1 when a row misses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from simulation.errors import InputError
from simulation.validation.catalogue import PARAMETERS, SPECS, describe

if TYPE_CHECKING:
    from simulation.validation.table import Row

T = TypeVar("T")

out = Console()
err = Console(stderr=True)

EPILOG = "Cases, with their flags and defaults:\n\n" + describe()


def _option(name: str) -> Any:
    """The Typer option of a validation parameter: its flag and meaning from the catalogue."""
    return typer.Option(PARAMETERS[name].flag, help=PARAMETERS[name].meaning)


def validate_model(
    case: Annotated[
        list[str] | None, typer.Option(help="Cases to run (default: all, in order).")
    ] = None,
    arrival_rate: Annotated[float | None, _option("arrival_rate")] = None,
    service_rate: Annotated[float | None, _option("service_rate")] = None,
    servers: Annotated[int | None, _option("servers")] = None,
    mean_service: Annotated[float | None, _option("mean_service")] = None,
    abandonment_rate: Annotated[float | None, _option("abandonment_rate")] = None,
    base_stock: Annotated[int | None, _option("base_stock")] = None,
    demand_per_day: Annotated[float | None, _option("demand_per_day")] = None,
    lead_days: Annotated[float | None, _option("lead_days")] = None,
    demand_sd: Annotated[float | None, _option("demand_sd")] = None,
    holding_cost: Annotated[float | None, _option("holding_cost")] = None,
    penalty_cost: Annotated[float | None, _option("penalty_cost")] = None,
    fixed_cost: Annotated[float | None, _option("fixed_cost")] = None,
    stores: Annotated[int | None, _option("stores")] = None,
    sweep_width: Annotated[int | None, _option("sweep_width")] = None,
    days: Annotated[float | None, _option("days")] = None,
    horizon_days: Annotated[float | None, _option("horizon_days")] = None,
    warmup_days: Annotated[float | None, _option("warmup_days")] = None,
    customers: Annotated[int | None, _option("customers")] = None,
    r: Annotated[float | None, _option("r")] = None,
    alpha: Annotated[float | None, _option("alpha")] = None,
    a: Annotated[float | None, _option("a")] = None,
    b: Annotated[float | None, _option("b")] = None,
    repeat_rate: Annotated[float | None, _option("repeat_rate")] = None,
    repeat_days: Annotated[float | None, _option("repeat_days")] = None,
    replications: Annotated[
        int | None, typer.Option(min=2, help="Replications (default: each case's own).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Processes.")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the rows as JSON records.")
    ] = False,
) -> None:
    """Run the model against closed forms: each case's exact value, simulated mean, 95% CI.

    Exit 1 when an exact value lies outside its interval, 2 for a bad or inapplicable flag.
    """
    given = {
        "arrival_rate": arrival_rate, "service_rate": service_rate, "servers": servers,
        "mean_service": mean_service, "abandonment_rate": abandonment_rate,
        "base_stock": base_stock, "demand_per_day": demand_per_day, "lead_days": lead_days,
        "demand_sd": demand_sd, "holding_cost": holding_cost, "penalty_cost": penalty_cost,
        "fixed_cost": fixed_cost, "stores": stores, "sweep_width": sweep_width, "days": days,
        "horizon_days": horizon_days, "warmup_days": warmup_days, "customers": customers,
        "r": r, "alpha": alpha, "a": a, "b": b,
        "repeat_rate": repeat_rate, "repeat_days": repeat_days,
    }  # fmt: skip
    chosen: dict[str, float] = {k: v for k, v in given.items() if v is not None}
    names = case or list(SPECS)
    for i, name in enumerate(names):
        if name not in SPECS:
            raise InputError(f"--case[{i}]", f"one of {list(SPECS)}", name)
        _flagged(partial(SPECS[name].resolve, chosen))
    _run(names, chosen, replications, seed, workers, json_out=json_out)


def _run(
    names: list[str],
    chosen: dict[str, float],
    replications: int | None,
    seed: int | None,
    workers: int | None,
    *,
    json_out: bool,
) -> None:
    from simulation.validation import CASES
    from simulation.validation.table import Budget

    setups = [(CASES[n], _flagged(partial(CASES[n].prepare, chosen))) for n in names]
    for _, setup in setups:
        for warning in setup.warnings:
            err.print(f"[bold yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    rows = []
    for c, setup in setups:
        budget = Budget(
            replications=replications or c.spec.replications, seed=seed, workers=workers
        )
        rows += c.run(setup, budget)
    if json_out:
        out.print_json(json.dumps([r.record() for r in rows]))
    else:
        _print_table(rows)
    if not all(r.inside for r in rows):
        raise typer.Exit(1)


def _flagged(check: Callable[[], T]) -> T:
    """``check()``, with a parameter's name in its error turned into the flag."""
    try:
        return check()
    except InputError as e:
        if e.field not in PARAMETERS:
            raise
        raise InputError(PARAMETERS[e.field].flag, e.expected, e.given, where=e.where) from e


def _print_table(rows: list[Row]) -> None:
    table = Table(
        "case", "parameters", "metric", "exact", "mean", "95% CI", "reps", "days", "inside",
        title="Validation",
    )  # fmt: skip
    for r in rows:
        table.add_row(
            r.case,
            r.parameters_text(),
            r.metric,
            f"{r.exact:.6g}",
            f"{r.mean:.6g}",
            f"[{r.ci_low:.6g}, {r.ci_high:.6g}]",
            str(r.replications),
            f"{r.horizon_days:g}",
            "yes" if r.inside else "NO",
        )
    out.print(table)
