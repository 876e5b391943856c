"""The Sweep tab: one parameter over a few values, each point replicated on the same seeds
(as ``omnicanal sweep`` runs it), and a KPI against the parameter with its 95% CI band."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from nicegui import ui

from simulation.errors import InputError
from simulation.report.numbers import KPIS, kpi_axis, label
from simulation.results import MANIFEST, read_manifest
from simulation.studio import charts
from simulation.studio.draft import Draft, message
from simulation.studio.fields import form
from simulation.studio.jobs import Job


def band(summary: pd.DataFrame, param: str, kpi: str) -> str:
    """``kpi``'s mean against ``param`` with its 95% CI band, as SVG."""
    rows = summary[summary["kpi"] == kpi].sort_values(param)
    figure = Figure(figsize=(6.0, 3.4))
    ax = figure.subplots()
    ax.plot(rows[param], rows["mean"], marker="o", color="#1f4e79")
    ax.fill_between(rows[param], rows["ci_low"], rows["ci_high"], alpha=0.25, color="#9dc3e6")
    ax.set_xlabel(param)
    kpi_axis(ax, kpi)
    ax.set_title(f"{label(kpi)} against {param} (95% CI)", fontsize=10)
    ax.grid(alpha=0.3)
    return charts.svg(figure)


def past_sweeps(results: Path) -> dict[str, str]:
    """Sweep folders of one parameter under ``results``: folder -> a title."""
    found = {}
    for manifest in sorted(results.glob(f"sweep-*/{MANIFEST}"), reverse=True):
        grid = read_manifest(manifest.parent).get("grid", {})
        if len(grid) == 1 and (manifest.parent / "summary.csv").is_file():
            ((param, values),) = grid.items()
            found[str(manifest.parent)] = f"{manifest.parent.name}: {param} = {values}"
    return found


def parse_values(path: str, text: str) -> list[Any]:
    """``"1, 2, 3"`` -> ``[1, 2, 3]``: two or more numbers; an error naming the field."""
    try:
        values = [json.loads(part) for part in text.split(",") if part.strip()]
    except json.JSONDecodeError:
        raise InputError(f"{path} values", "numbers separated by commas", text) from None
    if len(values) < 2 or not all(isinstance(v, int | float) for v in values):
        raise InputError(f"{path} values", "two or more numbers separated by commas", text)
    return values


class SweepTab:
    def __init__(self, draft: Callable[[], Draft], results: Path) -> None:
        self.draft, self.results = draft, results
        self.job: Job | None = None
        ui.label("One parameter of the scenario on Build over a few values, every point on the "
                 "same seeds, as omnicanal sweep runs it.").classes("text-caption")  # fmt: skip
        with ui.row().classes("items-end"):
            self.param = ui.select([], label="Parameter", with_input=True).classes("w-96")
            self.param.props("data-testid=sweep-param")
            self.values = ui.input("Values (comma separated)", value="").classes("w-64")
            self.values.without_auto_validation().props("data-testid=sweep-values")
            self.replications = ui.number("Replications per point", value=3, min=2, precision=0)
            self.replications.props("data-testid=sweep-replications")
            self.start_button = ui.button("Run sweep", on_click=self.start)
            self.start_button.props("data-testid=sweep-run")
            self.cancel_button = ui.button("Cancel", on_click=self.cancel, color="negative")
            self.cancel_button.set_enabled(False)
        self.bar = ui.linear_progress(0, show_value=False)
        self.status = ui.label("").props("data-testid=sweep-status")
        with ui.row().classes("items-end"):
            self.past = ui.select({}, label="Or a past sweep").classes("w-[36rem]")
            ui.button("Show", on_click=lambda: self.show_folder(self.past.value))
        self.outcome = ui.column().classes("w-full")
        self.refresh()

    def refresh(self) -> None:
        numeric = [f.path for f in form(self.draft().base_scenario()).walk()
                   if f.kind in ("number", "integer")]  # fmt: skip
        self.param.set_options(numeric, value=self.param.value if self.param.value in numeric
                               else "arrivals.per_hour")  # fmt: skip
        self.past.set_options(past_sweeps(self.results))

    def spec(self) -> dict[str, Any]:
        draft = self.draft()
        if (error := draft.error()) is not None:
            raise error
        path = str(self.param.value or "")
        values = parse_values(path, str(self.values.value or ""))
        replications = self.replications.value
        if not isinstance(replications, int | float) or replications < 2:
            raise InputError("replications", "at least 2 (a CI needs them)", replications)
        return {
            "kind": "sweep", "scenario": str(draft.base_file), "overrides": draft.changes,
            "grid": {path: values}, "replications": int(replications), "out": str(self.results),
        }  # fmt: skip

    async def start(self) -> None:
        try:
            spec = self.spec()
        except InputError as e:
            self.values.error = message(e)
            return
        self.values.error = None
        points = len(next(iter(spec["grid"].values())))
        self.job = Job(spec, total=points, out=self.results)
        self.start_button.set_enabled(False)
        self.cancel_button.set_enabled(True)
        try:
            await self.job.run(on_update=self._update)
        finally:
            self.start_button.set_enabled(True)
            self.cancel_button.set_enabled(False)
        if self.job.state == "done" and self.job.folder is not None:
            self.refresh()
            self.show_folder(str(self.job.folder))

    async def cancel(self) -> None:
        if self.job is not None:
            await self.job.cancel()
            self._update(self.job)

    def _update(self, job: Job) -> None:
        self.bar.set_value(job.done / job.total if job.total else 0.0)
        self.status.set_text(job.status("points done"))

    def show_folder(self, folder: str | None) -> None:
        if not folder:
            return
        grid = read_manifest(Path(folder))["grid"]
        (param,) = grid
        summary = pd.read_csv(Path(folder) / "summary.csv")
        present = [k for k in KPIS if k in set(summary["kpi"])]
        self.outcome.clear()
        with self.outcome:
            chart = ui.html("", sanitize=False).props("data-testid=sweep-chart")
            first = "net_value" if "net_value" in present else present[0]
            ui.select(
                {k: label(k) for k in present},
                value=first,
                label="KPI",
                on_change=lambda e: chart.set_content(band(summary, param, str(e.value))),
            )
            chart.set_content(band(summary, param, first))
