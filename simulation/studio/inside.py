"""The Inside tab: one run looked at from its event log: the P&L, journeys as a Sankey of
touchpoints, customer cohorts, orders by channel and fulfilment mode, stock on hand over
time, and links to the event log and its OCEL export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from nicegui import run, ui

from simulation import projections
from simulation.errors import OmnicanalError
from simulation.eventlog import read_log
from simulation.report import figures
from simulation.report.numbers import formatted, kpi_value, label
from simulation.results import EVENTS, KPIS, REPORT
from simulation.studio import charts, journeys
from simulation.studio.cohorts import cohorts
from simulation.studio.compare import past_runs
from simulation.studio.run import results_url

PNL = ("ordered_value", "lost_value", "refunded", "revenue", "gross_margin", "net_value",
       "fulfilment_cost_per_order")  # fmt: skip
"""The P&L lines, KPIs of kpis.csv, in the order a reader takes them."""
SHARES = ("came_back", "ordered", "ordered_again")


def figure_svg(draw: figures.Figure, log: pd.DataFrame) -> str:
    """One of report.html's figures, as SVG; empty when the log has nothing to draw."""
    figure = Figure(figsize=(6.4, 3.6))
    return charts.svg(figure) if draw(log, figure.subplots()) else ""


class InsideTab:
    def __init__(self, results: Path) -> None:
        self.results = results
        with ui.row().classes("items-end"):
            self.pick = ui.select({}, label="A run").classes("w-[32rem]")
            self.pick.props("data-testid=inside-run")
            ui.button("Refresh", on_click=self.refresh).props("flat data-testid=inside-refresh")
            ui.button("Look inside", on_click=self.look).props("data-testid=look")
        self.outcome = ui.column().classes("w-full")
        self.refresh()

    def refresh(self) -> None:
        self.pick.set_options({str(r.folder): r.title for r in past_runs(self.results)})

    async def look(self) -> None:
        if not self.pick.value:
            return
        folder = Path(self.pick.value)
        self.outcome.clear()
        with self.outcome:
            ui.spinner()
        log = await run.io_bound(read_log, folder / EVENTS)
        found = await run.io_bound(journeys.flows, log) if log is not None else None
        self.outcome.clear()
        if log is None or found is None:  # the studio is stopping
            return
        with self.outcome:
            self._links(folder)
            self._pnl(pd.read_csv(folder / KPIS))
            ui.label(
                f"Journeys: each visit's first {journeys.STEPS} touchpoints, then how it ended "
                "(first replication)"
            ).classes("text-subtitle1")
            ui.echart(journeys.echart(found)).classes("w-full h-96").props("data-testid=journeys")
            ui.label("Customers by the week of their first visit (first replication)").classes(
                "text-subtitle1"
            )
            self._cohorts(cohorts(log))
            ui.label("Orders by channel and fulfilment mode (all replications)").classes(
                "text-subtitle1"
            )
            self._orders(log)
            ui.html(figure_svg(figures.orders_by_channel_and_mode, log), sanitize=False)
            ui.label("Stock on hand by location (first replication)").classes("text-subtitle1")
            ui.html(figure_svg(figures.stock_on_hand_over_time, log), sanitize=False)

    def _links(self, folder: Path) -> None:
        with ui.row().classes("items-center"):
            ui.link("report.html", results_url(folder, self.results, REPORT), new_tab=True)
            ui.link("event log (events.parquet)", results_url(folder, self.results, EVENTS))
            ocel = folder / "events.ocel.json"
            box = ui.row()

            def show_link() -> None:
                box.clear()
                with box:
                    ui.link("OCEL 2.0 export", results_url(folder, self.results, ocel.name))

            async def export() -> None:
                from simulation.export import export_run

                try:
                    await run.io_bound(export_run, folder, "ocel")
                except OmnicanalError as e:
                    ui.notify(str(e), type="negative")
                    return
                show_link()

            if ocel.exists():
                show_link()
            else:
                with box:
                    ui.button("Export OCEL 2.0", on_click=export).props("flat dense")

    def _pnl(self, kpis: pd.DataFrame) -> None:
        ui.label(f"P&L, mean of {len(kpis)} replication(s)").classes("text-subtitle1")
        with ui.element("table").classes("kpis").props("data-testid=pnl"):
            for name in (n for n in PNL if n in kpis):
                with ui.element("tr"):
                    with ui.element("td"):
                        ui.label(label(name))
                    with ui.element("td").classes("num"):
                        ui.label(kpi_value(name, float(kpis[name].mean())))
            if {"revenue", "gross_margin"} <= set(kpis):
                with ui.element("tr"):
                    with ui.element("td"):
                        ui.label("Cost of goods sold")
                    with ui.element("td").classes("num"):
                        cogs = float((kpis["revenue"] - kpis["gross_margin"]).mean())
                        ui.label(kpi_value("revenue", cogs))

    def _cohorts(self, table: pd.DataFrame) -> None:
        heads = {"week": "week", "customers": "customers", "came_back": "came back",
                 "ordered": "ordered", "ordered_again": "ordered again"}  # fmt: skip
        with ui.element("table").classes("kpis").props("data-testid=cohorts"):
            with ui.element("tr"):
                for title in heads.values():
                    with ui.element("th"):
                        ui.label(title)
            for row in table.to_dict("records"):
                with ui.element("tr"):
                    for key in heads:
                        with ui.element("td").classes("num"):
                            value = row[key]
                            shown = formatted(value, "share") if key in SHARES else f"{value:,}"
                            ui.label(shown)

    def _orders(self, log: pd.DataFrame) -> None:
        table = projections.orders_by_channel_and_mode(log)
        if table.empty:
            ui.label("no orders")
            return
        reps = max(1, log["replication"].nunique())
        pivot = table.pivot_table(index="channel", columns="mode", values="orders",
                                  aggfunc="sum", observed=True).fillna(0) / reps  # fmt: skip
        with ui.element("table").classes("kpis").props("data-testid=orders-by-mode"):
            with ui.element("tr"):
                for title in ("channel (orders per replication)", *map(str, pivot.columns)):
                    with ui.element("th"):
                        ui.label(title)
            for channel, row in pivot.iterrows():
                with ui.element("tr"):
                    with ui.element("td"):
                        ui.label(str(channel))
                    for value in row:
                        with ui.element("td").classes("num"):
                            ui.label(f"{value:,.1f}")
