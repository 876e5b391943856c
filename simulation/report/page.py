"""The one-page HTML report: what was run, the KPI table, the figures, all in one file.

The page is self-contained (figures embedded as base64 PNG, inline CSS) so it can be mailed or
attached to a ticket as it is. Every value on it comes from the results folder.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.report.numbers import describe, kpi_value, label, number

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } .meta { color: #666; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } img { max-width: 100%; }
td.means, th.means { text-align: left; color: #555; font-size: 0.9em; }
"""


def _kpi_table(kpis: pd.DataFrame) -> str:
    """Each KPI a row: its label, its value in each replication (with its unit), its meaning."""
    reps = kpis["replication"].tolist()
    head = "".join(f"<th>replication {html.escape(str(r))}</th>" for r in reps)
    rows = []
    for name in (c for c in kpis.columns if c != "replication"):
        values = "".join(f"<td>{html.escape(kpi_value(name, v))}</td>" for v in kpis[name])
        rows.append(
            f"<tr><td>{html.escape(label(name))}</td>{values}"
            f"<td class='means'>{html.escape(describe(name))}</td></tr>"
        )
    return (
        f"<table><thead><tr><th>KPI</th>{head}<th class='means'>what it measures</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _by_kpi(table: pd.DataFrame, numeric: list[str]) -> str:
    """A long table with a ``kpi`` column, each number in its KPI's unit, the KPI labelled."""
    shown = table.copy()
    for column in numeric:
        if column in shown:
            shown[column] = [
                kpi_value(k, v) for k, v in zip(shown["kpi"], shown[column], strict=True)
            ]
    shown["kpi"] = [label(k) for k in table["kpi"]]
    rest = [c for c in shown.columns if c not in numeric and c != "kpi"]
    for column in rest:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = [number(v) for v in shown[column]]
    return shown.to_html(index=False, border=0, escape=True)


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    title = html.escape(path.stem.replace("_", " "))
    return f'<figure><img alt="{title}" src="data:image/png;base64,{data}"></figure>'


def render(manifest: dict[str, Any], kpis: pd.DataFrame, figures: list[Path]) -> str:
    """The report page of a run as a string."""
    return _page(manifest, "KPIs", _kpi_table(kpis), figures)


def render_comparison(manifest: dict[str, Any], table: pd.DataFrame, figures: list[Path]) -> str:
    """The report page of a comparison: every KPI, every scenario, the paired differences."""
    numeric = ["mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]
    return _page(
        manifest,
        "Paired comparison (95% CIs; differences to the first scenario)",
        _by_kpi(table, numeric),
        figures,
    )


def render_sweep(manifest: dict[str, Any], summary: pd.DataFrame, figures: list[Path]) -> str:
    """The report page of a sweep: every point's mean and CI of the headline KPIs, the figures."""
    headline = summary[
        summary["kpi"].isin(
            ["net_value", "fill_rate", "orders", "lead_time_days", "customer_value",
             "retention_week_1"]
        )
    ]  # fmt: skip
    shown = _by_kpi(headline, ["mean", "ci_low", "ci_high"])
    return _page(manifest, "Sweep (95% CIs over replications)", shown, figures)


def _page(manifest: dict[str, Any], heading: str, table_html: str, figures: list[Path]) -> str:
    scenario = html.escape(str(manifest.get("scenario", "?")))
    meta = ", ".join(
        f"{k} {html.escape(str(manifest[k]))}"
        for k in (
            "seed",
            "replications",
            "horizon_days",
            "warmup_days",
            "warmup_suggestion_days",
            "events",
            "run_seconds",
            "created",
            "git_revision",
            "streams",
        )
        if manifest.get(k) is not None
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>omnicanal: {scenario}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{scenario}</h1><p class='meta'>{meta}</p>",
        f"<h2>{html.escape(heading)}</h2>",
        table_html,
        "<h2>Figures</h2>",
        *(_figure(p) for p in figures),
        "</body></html>",
    ]
    return "\n".join(parts)
