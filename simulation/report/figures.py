"""Figures of a run, each a function of the event log (matplotlib, written as PNG).

Every function takes the log and a matplotlib ``Axes`` and draws on it; :func:`render_all`
makes one PNG per figure and returns their paths, skipping figures the log has no data for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure as Canvas

from simulation import projections
from simulation.report.numbers import formatted, kpi_axis, label, plain_axis
from simulation.types import MINUTES_PER_DAY

Figure = Callable[[pd.DataFrame, Axes], bool]


def orders_by_channel_and_mode(log: pd.DataFrame, ax: Axes) -> bool:
    table = projections.orders_by_channel_and_mode(log)
    if table.empty:
        return False
    pivot = table.pivot_table(index="channel", columns="mode", values="orders", aggfunc="sum")
    pivot.fillna(0).plot.barh(stacked=True, ax=ax)
    ax.set_xlabel("orders")
    ax.set_title("Orders by channel and fulfilment mode")
    return True


def fill_rate_by_channel(log: pd.DataFrame, ax: Axes) -> bool:
    table = projections.fill_rate(log)
    if table.empty:
        return False
    means = table.groupby("channel")["fill_rate"].mean().sort_values()
    means.plot.barh(ax=ax, color="tab:green")
    ax.set_xlim(0, 1)
    ax.set_xlabel("fill rate (units ordered / units demanded)")
    ax.set_title("Fill rate by channel")
    return True


def stock_on_hand_over_time(log: pd.DataFrame, ax: Axes) -> bool:
    """Units on hand per location (all skus) over time, in the first replication."""
    first = log[log["replication"] == log["replication"].min()]
    moves = first[first["type"].isin(list(projections.ON_HAND))]
    if moves.empty:
        return False
    sign = moves["type"].astype("string").map(projections.ON_HAND).astype("int64")
    frame = pd.DataFrame(
        {
            "day": moves["t"] / MINUTES_PER_DAY,
            "location": moves["location"].astype("string"),
            "units": sign * moves["qty"].astype("int64"),
        }
    )
    for location, part in frame.groupby("location", sort=True):
        ax.step(part["day"], part["units"].cumsum(), where="post", label=str(location))
    ax.set_xlabel("day")
    ax.set_ylabel("units on hand (all skus)")
    ax.set_title("Stock on hand by location")
    ax.legend(fontsize="small", ncol=2)
    return True


def conversion_by_channel(log: pd.DataFrame, ax: Axes) -> bool:
    """Conversion rate of visits by the channel they started in, per segment."""
    table = projections.conversion(log)
    if table.empty:
        return False
    rates = table.groupby(["channel", "segment"])[["orders", "visits"]].sum()
    pivot = (rates["orders"] / rates["visits"]).unstack("segment")
    pivot.plot.barh(ax=ax)
    ax.set_xlabel("orders per visit")
    ax.set_title("Conversion by first channel and segment")
    return True


def lead_time_distribution(log: pd.DataFrame, ax: Axes) -> bool:
    """Days from order to delivery or pickup, by fulfilment mode."""
    legs = projections.lead_times(log)
    if legs.empty:
        return False
    for mode, part in legs.groupby(legs["mode"].astype("string"), sort=True):
        ax.hist(part["days"], bins=40, histtype="step", label=str(mode))
    ax.set_xlabel("days from order to the customer")
    ax.set_ylabel("legs")
    ax.set_title("Lead time by fulfilment mode")
    ax.legend(fontsize="small")
    return True


FIGURES: dict[str, Figure] = {
    "conversion_by_channel": conversion_by_channel,
    "lead_time": lead_time_distribution,
    "orders_by_channel_and_mode": orders_by_channel_and_mode,
    "fill_rate_by_channel": fill_rate_by_channel,
    "stock_on_hand": stock_on_hand_over_time,
}


def welch_plot(log: pd.DataFrame, horizon: float, folder: Path) -> Path | None:
    """Welch's plot of orders per hour (24-hour window) with the MSER-5 suggestion marked."""
    from simulation.experiments import warmup

    counts = warmup.hourly(log, horizon)
    if counts.size == 0 or counts.sum() == 0:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    fig = Canvas(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    days = np.arange(counts.shape[1]) / 24.0
    ax.plot(days, counts.mean(axis=0), alpha=0.3, label="mean over replications")
    ax.plot(days, warmup.welch(counts, window=24), label="moving average (24 h)")
    suggested = warmup.suggest_days(log, horizon)
    ax.axvline(suggested, color="tab:red", linestyle="--", label=f"MSER-5: {suggested:.2f} d")
    ax.set_xlabel("day")
    ax.set_ylabel("orders per hour")
    ax.set_title("Warm-up: Welch's plot")
    ax.legend(fontsize="small")
    path = folder / "welch.png"
    fig.savefig(path, dpi=100)
    return path


def retention_plot(table: pd.DataFrame, folder: Path) -> Path | None:
    """Retention curves from a cohort table (``cohorts.csv``): the share of each first-visit
    week's customers who visit again k weeks later (mean over replications), and all cohorts
    pooled. None when the horizon holds no week after a first one."""
    later = table[table["weeks_since"] >= 1]
    if later.empty:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    fig = Canvas(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for cohort, part in later.groupby("cohort_week", sort=True):
        curve = part.groupby("weeks_since")["retention"].mean()
        ax.plot(curve.index, curve.to_numpy(), marker=".", alpha=0.5, label=f"week {cohort}")
    pooled = later.groupby("weeks_since")[["active", "customers"]].sum()
    ax.plot(pooled.index, pooled["active"] / pooled["customers"], color="black", linewidth=2,
            marker="o", label="all cohorts")  # fmt: skip
    ax.set_xlabel("weeks since the first visit")
    ax.set_ylabel("customers who visit again that week")
    ax.yaxis.set_major_formatter(lambda v, _: formatted(v, "share"))
    ax.set_xticks(sorted(pooled.index))
    ax.set_ylim(bottom=0)
    ax.set_title("Retention by first-visit week (cohort)")
    ax.legend(title="first visit in", fontsize="small", ncol=2)
    path = folder / "retention.png"
    fig.savefig(path, dpi=100)
    return path


def render_comparison(result: pd.DataFrame, folder: Path) -> list[Path]:
    """One figure per headline KPI: each scenario's mean with its 95% CI."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kpi in (
        "net_value", "fill_rate", "conversion_rate", "lead_time_days", "orders",
        "retention_week_1",
    ):  # fmt: skip
        rows = result[result["kpi"] == kpi]
        if rows.empty or rows["mean"].isna().all():
            continue
        fig = Canvas(figsize=(7, 0.6 * len(rows) + 1.5), layout="constrained")
        ax = fig.subplots()
        errors = [rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]]
        ax.errorbar(rows["mean"], rows["scenario"], xerr=errors, fmt="o", capsize=4)
        kpi_axis(ax, kpi, "x")
        ax.set_title(f"{label(kpi)}: mean and 95% CI")
        path = folder / f"{kpi}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written


def render_sweep(summary: pd.DataFrame, params: list[str], folder: Path) -> list[Path]:
    """Each headline KPI against each swept parameter, with 95% CI bands."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for param in params:
        for kpi in ("net_value", "fill_rate", "orders", "lead_time_days"):
            rows = summary[summary["kpi"] == kpi]
            if rows.empty:
                continue
            fig = Canvas(figsize=(7, 4), layout="constrained")
            ax = fig.subplots()
            others = [p for p in params if p != param]
            groups = rows.groupby(others, sort=True) if others else [("all", rows)]
            for key, group in groups:
                part = group.sort_values(param)
                name = ", ".join(map(str, key)) if isinstance(key, tuple) else str(key)
                ax.plot(part[param], part["mean"], marker="o", label=name)
                ax.fill_between(part[param], part["ci_low"], part["ci_high"], alpha=0.2)
            ax.set_xlabel(param)
            kpi_axis(ax, kpi)
            ax.set_title(f"{label(kpi)} against {param} (95% CI)")
            if others:
                ax.legend(title=", ".join(others), fontsize="small")
            path = folder / f"{kpi}-vs-{param}.png"
            fig.savefig(path, dpi=100)
            written.append(path)
    return written


def render_all(log: pd.DataFrame, folder: Path) -> list[Path]:
    """Draw every figure that has data into ``folder/<name>.png``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in FIGURES.items():
        fig = Canvas(figsize=(7, 4), layout="constrained")
        ax = fig.subplots()
        if draw(log, ax):
            plain_axis(ax)
            path = folder / f"{name}.png"
            fig.savefig(path, dpi=100)
            written.append(path)
    return written
