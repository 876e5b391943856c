"""The Compare tab: two or more past results, or scenarios run now on common random numbers;
a KPI table by group with means, 95% CIs, paired differences and which way is better, and a
chart of a KPI's means with their CI bars."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from nicegui import ui

from simulation import studies
from simulation.errors import InputError, OmnicanalError
from simulation.report.numbers import KPIS, label
from simulation.results import KPIS as KPIS_FILE
from simulation.results import MANIFEST, read_manifest
from simulation.scenario.library import shipped_names
from simulation.studio import charts, tables
from simulation.studio.draft import Draft, message
from simulation.studio.jobs import Job

DRAFT = "the scenario on Build"


@dataclass(frozen=True, slots=True)
class PastRun:
    """A results folder of ``omnicanal run`` (or of the studio's Run tab)."""

    folder: Path
    scenario: str
    seed: object
    replications: int

    @property
    def title(self) -> str:
        return f"{self.folder.name} (seed {self.seed}, {self.replications} replications)"


def past_runs(results: Path) -> list[PastRun]:
    """The run folders under ``results``, newest first (comparisons and sweeps left out)."""
    found = []
    for manifest in results.glob(f"*/{MANIFEST}"):
        folder = manifest.parent
        if not (folder / KPIS_FILE).is_file() or "scenario_file" not in (
            data := read_manifest(folder)
        ):
            continue
        found.append(PastRun(folder, str(data["scenario"]), data.get("seed"),
                             int(data.get("replications", 0))))  # fmt: skip
    return sorted(found, key=lambda r: r.folder.stat().st_mtime, reverse=True)


class CompareTab:
    """Pick what to compare, then read the comparison."""

    def __init__(self, draft: Callable[[], Draft], results: Path) -> None:
        self.draft, self.results = draft, results
        self.job: Job | None = None
        with ui.row().classes("w-full items-start"):
            with ui.card().classes("w-[48%]"):
                ui.label("Past results").classes("text-subtitle1")
                ui.label(
                    "Runs already made, compared replication by replication (no new "
                    "simulation); the first is the reference."
                ).classes("text-caption")
                self.past = ui.select({}, multiple=True, label="Results folders").classes(
                    "w-full"
                ).props("use-chips data-testid=past-results")  # fmt: skip
                with ui.row():
                    ui.button("Refresh", on_click=self.refresh).props("flat")
                    ui.button("Compare these results", on_click=self.compare_past).props(
                        "data-testid=compare-past"
                    )
            with ui.card().classes("w-[48%]"):
                ui.label("Scenarios, run now").classes("text-subtitle1")
                ui.label("Each replicated on the same customers (common random numbers), as "
                         "omnicanal compare does; the first is the reference.").classes(
                    "text-caption"
                )  # fmt: skip
                self.chosen = ui.select([DRAFT, *shipped_names()], multiple=True,
                                        label="Scenarios (or type a file's path, then Enter)",
                                        new_value_mode="add-unique").classes("w-full")  # fmt: skip
                self.chosen.props("use-chips data-testid=compare-scenarios")
                with ui.row().classes("items-end"):
                    self.replications = ui.number("Replications", value=3, min=2, precision=0)
                    self.start_button = ui.button("Run comparison", on_click=self.compare_new)
                    self.cancel_button = ui.button("Cancel", on_click=self.cancel,
                                                   color="negative")  # fmt: skip
                    self.cancel_button.set_enabled(False)
                self.bar = ui.linear_progress(0, show_value=False)
        self.status = ui.label("").props("data-testid=compare-status")
        self.outcome = ui.column().classes("w-full")
        self.refresh()

    def offer(self, file: Path) -> None:
        """A scenario file saved on Build becomes one of the scenarios to compare."""
        options = list(self.chosen.options)
        if str(file) not in options:
            self.chosen.set_options([*options, str(file)], value=self.chosen.value)

    def refresh(self) -> None:
        self.past.set_options({str(r.folder): r.title for r in past_runs(self.results)})

    def compare_past(self) -> None:
        folders = [Path(v) for v in self.past.value or []]
        try:
            done = studies.compare_results(folders)
        except InputError as e:
            self.status.set_text(message(e))
            return
        seeds = {str(read_manifest(f).get("seed")) for f in folders}
        note = ("paired on common random numbers (one seed)" if len(seeds) == 1 else
                f"seeds differ ({', '.join(sorted(seeds))}): paired by replication number, "
                "not on common random numbers")  # fmt: skip
        named = ", ".join(f"{n} = {f.name}" for n, f in zip(done.kpis, folders, strict=True))
        self.status.set_text(f"{named}; {done.replications} replications, {note}")
        self.show(done.table)

    async def compare_new(self) -> None:
        picked = list(self.chosen.value or [])
        try:
            spec = self._spec(picked)
        except InputError as e:
            self.status.set_text(message(e))
            return
        self.job = Job(spec, total=len(picked), out=self.results)
        self.outcome.clear()
        self.start_button.set_enabled(False)
        self.cancel_button.set_enabled(True)
        try:
            await self.job.run(on_update=self._update)
        finally:
            self.start_button.set_enabled(True)
            self.cancel_button.set_enabled(False)
        if self.job.state == "done" and self.job.folder is not None:
            self.show(pd.read_csv(self.job.folder / "comparison.csv"))

    def _spec(self, picked: list[str]) -> dict[str, Any]:
        if len(picked) < 2:
            raise InputError("scenarios", "two or more scenarios", len(picked))
        replications = self.replications.value
        if not isinstance(replications, int | float) or replications < 2:
            raise InputError("replications", "at least 2 (a CI needs them)", replications)
        scenarios = []
        for name in picked:
            if name == DRAFT:
                draft = self.draft()
                if (error := draft.error()) is not None:
                    raise error
                scenarios.append({"scenario": str(draft.base_file), "overrides": draft.changes})
            else:
                scenarios.append({"scenario": name, "overrides": {}})
        return {"kind": "compare", "scenarios": scenarios, "replications": int(replications),
                "out": str(self.results)}  # fmt: skip

    async def cancel(self) -> None:
        if self.job is not None:
            await self.job.cancel()
            self._update(self.job)

    def _update(self, job: Job) -> None:
        self.bar.set_value(job.done / job.total if job.total else 0.0)
        self.status.set_text(job.status("scenarios replicated"))

    def show(self, table: pd.DataFrame) -> None:
        """The comparison's table and a chart of one KPI's means with their CIs."""
        self.outcome.clear()
        rows = [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]
        reference = str(rows[0]["scenario"])
        present = [k for k in KPIS if k in set(table["kpi"])]
        with self.outcome:
            chart = ui.html("", sanitize=False).props("data-testid=ci-chart")

            def draw(kpi: str) -> None:
                with contextlib.suppress(OmnicanalError):
                    chart.set_content(charts.ci_bars(kpi, [r for r in rows if r["kpi"] == kpi]))

            first = "net_value" if "net_value" in present else next(iter(present), None)
            ui.select({k: label(k) for k in present}, value=first, label="Chart of",
                      on_change=lambda e: draw(str(e.value))).classes("w-64")  # fmt: skip
            if first is not None:
                draw(first)
            tables.comparison(rows, reference)
