"""KPI tables on the page, every value formatted by :mod:`simulation.report.numbers` (the
same labels, units and meanings as report.html and the command line)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nicegui import ui

from simulation.report.numbers import KPIS, describe, kpi_value, label

GROUPS = ("service", "cost", "stock", "customers", "marketing")


def grouped(names: Sequence[str]) -> list[tuple[str, list[str]]]:
    """The KPIs by group, in the catalogue's order; KPIs it does not list come last."""
    out = [(g, [n for n in KPIS if KPIS[n].group == g and n in names]) for g in GROUPS]
    other = [n for n in names if n not in KPIS and n != "replication"]
    return [(g, ns) for g, ns in [*out, ("other", other)] if ns]


def _cell(text: str, *, head: bool = False, num: bool = False, **attrs: str) -> None:
    element = ui.element("th" if head else "td").classes("num" if num else "")
    for key, value in attrs.items():
        element.props[key.replace("_", "-")] = value
    with element:
        ui.label(text)


def kpi_means(means: Mapping[str, float], *, replications: int) -> None:
    """One run's KPIs: each its label, its mean over the replications, what it measures."""
    with ui.element("table").classes("kpis").props("data-testid=kpi-table"):
        with ui.element("tr"):
            for title in ("KPI", f"mean of {replications} replication(s)", "what it measures"):
                _cell(title, head=True)
        for group, names in grouped(list(means)):
            with ui.element("tr"):
                _cell(group, head=True, colspan="3")
            for name in names:
                with ui.element("tr").props(f"data-kpi={name}"):
                    _cell(label(name))
                    _cell(kpi_value(name, means[name]), num=True, data_testid=f"kpi-{name}")
                    _cell(describe(name))


def verdict(name: str, row: Mapping[str, Any]) -> str:
    """Which way a scenario's difference to the reference goes, in words."""
    if not row.get("differs"):
        return "no clear difference"
    better = KPIS[name].better if name in KPIS else "neither"
    if better == "neither":
        return "differs"
    up = float(row["diff"]) > 0
    return "better" if up == (better == "higher") else "worse"


def comparison(table: Sequence[Mapping[str, Any]], reference: str) -> None:
    """A comparison's KPIs by group: each scenario's mean [95% CI], and its paired difference
    to the reference [95% CI] with which way it is better."""
    by_kpi: dict[str, list[Mapping[str, Any]]] = {}
    for row in table:
        by_kpi.setdefault(str(row["kpi"]), []).append(row)
    heads = ("KPI", "scenario", "mean [95% CI]", f"difference to {reference} [95% CI]",
             "verdict")  # fmt: skip
    with ui.element("table").classes("kpis").props("data-testid=comparison-table"):
        with ui.element("tr"):
            for title in heads:
                _cell(title, head=True)
        for group, names in grouped(list(by_kpi)):
            with ui.element("tr"):
                _cell(group, head=True, colspan=str(len(heads)))
            for name in names:
                for i, row in enumerate(by_kpi[name]):
                    _comparison_row(name, row, first=i == 0)


def _comparison_row(name: str, row: Mapping[str, Any], *, first: bool) -> None:
    def shown(key: str) -> str:
        return kpi_value(name, float(row[key]))

    with ui.element("tr").props(f"data-kpi={name} data-scenario={row['scenario']}"):
        _cell(label(name) if first else "", title=describe(name))
        _cell(str(row["scenario"]))
        _cell(f"{shown('mean')} [{shown('ci_low')}, {shown('ci_high')}]", num=True,
              data_testid=f"mean-{name}-{row['scenario']}")  # fmt: skip
        if first:
            _cell("reference")
            _cell("")
            return
        _cell(f"{shown('diff')} [{shown('diff_ci_low')}, {shown('diff_ci_high')}]", num=True)
        _cell(verdict(name, row), data_testid=f"verdict-{name}-{row['scenario']}")


STYLE = """
table.kpis { border-collapse: collapse; font-size: 0.9rem; }
table.kpis td, table.kpis th { border-bottom: 1px solid #ddd; padding: 0.25em 0.7em; }
table.kpis th[colspan] { text-align: left; background: #f3f6fa; text-transform: capitalize; }
table.kpis td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kpis td { text-align: left; }
"""
