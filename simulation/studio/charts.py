"""The studio's pictures, drawn with matplotlib as SVG: no tile server, no network.

Figures are made with :class:`matplotlib.figure.Figure`, never pyplot, so that the server's
threads share no global figure state."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulation.report.numbers import kpi_axis, label
from simulation.scenario import Scenario

_MARKS = {"warehouse": ("s", "#1f4e79"), "store": ("o", "#2e8b57"), "dark_store": ("^", "#7f3f98")}


def svg(figure: Figure) -> str:
    """The figure as an SVG document (text)."""
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg") :]


def network_map(scenario: Scenario) -> str:
    """Customer regions (circles sized by weight) and locations (by kind) on their
    coordinates, in km."""
    figure = Figure(figsize=(5.2, 4.4))
    ax = figure.subplots()
    regions = scenario.network.regions
    most = max(r.weight for r in regions)
    for region in regions:
        ax.scatter(region.x, region.y, s=2400 * region.weight / most, color="#f4b183",
                   alpha=0.35, edgecolors="#c55a11", linewidths=1)  # fmt: skip
        ax.annotate(f"region {region.name}", (region.x, region.y), ha="center", va="center",
                    fontsize=8, color="#843c0c")  # fmt: skip
    for kind, (marker, colour) in _MARKS.items():
        chosen = [loc for loc in scenario.network.locations if loc.kind == kind]
        if not chosen:
            continue
        ax.scatter([loc.x for loc in chosen], [loc.y for loc in chosen], marker=marker,
                   s=70, color=colour, label=kind.replace("_", " "), zorder=3)  # fmt: skip
        for loc in chosen:
            ax.annotate(loc.id, (loc.x, loc.y), xytext=(5, 4), textcoords="offset points",
                        fontsize=8)  # fmt: skip
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,g}"))
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"{scenario.name}: locations and customer regions", fontsize=10)
    return svg(figure)


def ci_bars(kpi: str, rows: Sequence[dict[str, Any]]) -> str:
    """Each scenario's mean of ``kpi`` with its 95% confidence interval as an error bar."""
    figure = Figure(figsize=(4.6, 2.8))
    ax = figure.subplots()
    names = [str(r["scenario"]) for r in rows]
    means = [float(r["mean"]) for r in rows]
    low = [m - float(r["ci_low"]) for m, r in zip(means, rows, strict=True)]
    high = [float(r["ci_high"]) - m for m, r in zip(means, rows, strict=True)]
    ax.bar(names, means, yerr=[low, high], capsize=6, color="#9dc3e6", edgecolor="#1f4e79")
    kpi_axis(ax, kpi)
    ax.set_title(f"{label(kpi)}: mean and 95% CI", fontsize=10)
    ax.tick_params(axis="x", labelrotation=15, labelsize=8)
    return svg(figure)
