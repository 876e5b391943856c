"""The Run tab: replications and seed, a progress bar and each replication's state, cancel,
and the run's KPIs and files once its results folder is written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from nicegui import ui

from simulation.errors import InputError
from simulation.results import EVENTS, KPIS, REPORT, read_manifest
from simulation.studio import tables
from simulation.studio.draft import Draft, message
from simulation.studio.jobs import Job


def results_url(folder: Path, results: Path, name: str = "") -> str:
    """Where the studio serves a file of a results folder."""
    relative = folder.resolve().relative_to(results.resolve()).as_posix()
    return f"/results/{relative}/{name}".rstrip("/")


class RunTab:
    """Runs the session's draft as ``omnicanal run BASE --set ...`` would."""

    def __init__(
        self, draft: Callable[[], Draft], results: Path, on_done: Callable[[Path], None]
    ) -> None:
        self.draft, self.results, self.on_done = draft, results, on_done
        self.job: Job | None = None
        self.what = ui.label("").classes("text-subtitle1")
        with ui.row().classes("items-end"):
            self.replications = ui.number("Replications", value=2, min=1, precision=0)
            self.replications.without_auto_validation().props("data-testid=replications")
            self.seed = ui.number("Seed (empty: the scenario's)", precision=0).classes("w-56")
            self.seed.props("data-testid=seed")
            self.workers = ui.number("Worker processes", value=min(2, os.cpu_count() or 1),
                                     min=1, precision=0).props("data-testid=workers")  # fmt: skip
            self.start_button = ui.button("Run", on_click=self.start).props("data-testid=run")
            self.cancel_button = ui.button("Cancel", on_click=self.cancel, color="negative")
            self.cancel_button.props("data-testid=cancel").set_enabled(False)
        self.bar = ui.linear_progress(0, show_value=False).props("data-testid=progress")
        self.status = ui.label("").props("data-testid=run-status")
        self.reps = ui.row()
        self.outcome = ui.column().classes("w-full")
        self.refresh()

    def refresh(self) -> None:
        draft = self.draft()
        changes = len(draft.changes)
        self.what.set_text(
            f"Scenario: {draft.base}" + (f" with {changes} change(s) from Build" if changes else "")
        )

    def spec(self) -> dict[str, object]:
        draft = self.draft()
        replications = check_replications(self.replications.value)
        seed = None if self.seed.value is None else int(self.seed.value)
        workers = max(1, min(int(self.workers.value or 1), replications))
        return {
            "kind": "run", "scenario": str(draft.base_file), "overrides": dict(draft.changes),
            "seed": seed, "replications": replications, "workers": workers,
            "out": str(self.results),
        }  # fmt: skip

    async def start(self) -> None:
        error = self.draft().error()
        if error is not None:
            self.status.set_text(f"fix the scenario first: {message(error)}")
            return
        try:
            spec = self.spec()
        except InputError as e:
            self.replications.error = message(e)
            return
        self.replications.error = None
        self.job = Job(spec, total=int(str(spec["replications"])), out=self.results)
        self.outcome.clear()
        self.start_button.set_enabled(False)
        self.cancel_button.set_enabled(True)
        try:
            await self.job.run(on_update=self.update)
        finally:
            self.start_button.set_enabled(True)
            self.cancel_button.set_enabled(False)
        if self.job.state == "done" and self.job.folder is not None:
            self.show(self.job.folder)
            self.on_done(self.job.folder)

    async def cancel(self) -> None:
        if self.job is not None:
            await self.job.cancel()
            self.update(self.job)

    def update(self, job: Job) -> None:
        self.bar.set_value(job.done / job.total if job.total else 0.0)
        workers = int(str(job.spec.get("workers") or 1))
        self.status.set_text(job.status("replications done", done=f"{job.total} replications, "))
        self.reps.clear()
        with self.reps:
            for r in range(job.total):
                state = _replication_state(r, job.done, workers, job.state)
                colour = {"done": "positive", "running": "primary"}.get(state, "grey")
                ui.chip(f"replication {r}: {state}", color=colour, text_color="white").props(
                    f"dense data-testid=replication-{r}"
                )

    def show(self, folder: Path) -> None:
        """The folder's KPIs (means over replications) and links to its files."""
        kpis = pd.read_csv(folder / KPIS)
        means = {str(k): float(v) for k, v in kpis.mean(numeric_only=True).items()}
        means.pop("replication", None)
        manifest = read_manifest(folder)
        with self.outcome:
            ui.label(f"{folder.name}: seed {manifest['seed']}, {len(kpis)} replication(s), "
                     f"{manifest['events']:,} events").classes("text-subtitle1")  # fmt: skip
            with ui.row():
                ui.link("report.html", results_url(folder, self.results, REPORT), new_tab=True)
                ui.link("kpis.csv", results_url(folder, self.results, KPIS), new_tab=True)
                ui.link("event log (events.parquet)", results_url(folder, self.results, EVENTS))
            tables.kpi_means(means, replications=len(kpis))


def _replication_state(r: int, done: int, workers: int, state: str) -> str:
    if r < done:
        return "done"
    if state == "running" and r < done + workers:
        return "running"
    return {"cancelled": "cancelled", "failed": "not run"}.get(state, "waiting")


def check_replications(value: object) -> int:
    """A replications count as the page takes it; an error naming the field otherwise."""
    if not isinstance(value, int | float) or value < 1 or not float(value).is_integer():
        raise InputError("replications", "a whole number of at least 1", value)
    return int(value)
