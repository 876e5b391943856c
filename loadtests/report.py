"""The load test's folder: statistics, histograms, the write ledger, the reconciliation's
findings (grouped by cause, with its coverage), figures and one self-contained report page.
Nothing in it ever holds the API token."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from loadtests.adapters.base import OK
from loadtests.findings import Coverage, Discrepancy, Finding, verdict
from loadtests.reconcile import Reconciliation
from loadtests.replay import MEASURES, NOT_RUN, RESULTS, Recorder
from loadtests.slo import Gate

STATS = "stats.csv"
HISTOGRAMS = "histograms.json"
OUTCOMES = "outcomes.parquet"
DISCREPANCIES = "discrepancies.csv"
FINDINGS = "findings.json"
GATES = "gates.csv"
TIMELINE = "timeline.csv"
REPORT = "report.html"
_PERCENTILES = (50, 90, 95, 99, 99.9)
_SHOWN = (*_PERCENTILES, 100)


def stats_table(recorder: Recorder) -> pd.DataFrame:
    """One row per step kind (and one for whole journeys): counts and latency percentiles in
    milliseconds, from the intended and from the actual send time, and the schedule lag.

    ``not_run`` counts the steps not sent because the run time was up; in the journeys' row
    ``ok`` counts the journeys done, ``not_run`` those never started and ``cut_short`` those
    stopped part-way."""
    rows = []
    for kind in sorted(recorder.counts):
        counts = recorder.counts[kind]
        row: dict[str, Any] = {"step": kind} | {r: counts.get(r, 0) for r in RESULTS}
        marks = recorder.steps.get(kind)
        for measure in MEASURES:
            values = marks[measure].percentiles(_SHOWN) if marks else [None] * len(_SHOWN)
            for q, value in zip(_SHOWN, values, strict=True):
                name = f"{measure}_p{q:g}_ms" if q < 100 else f"{measure}_max_ms"
                row[name] = value * 1000 if value is not None else None
        rows.append(row)
    journey: dict[str, Any] = {
        "step": "(journey)", OK: recorder.journeys_done, NOT_RUN: recorder.journeys_not_run,
        "cut_short": recorder.journeys_cut,
    }  # fmt: skip
    for q, value in zip(_SHOWN, recorder.journeys.percentiles(_SHOWN), strict=True):
        name = f"intended_p{q:g}_ms" if q < 100 else "intended_max_ms"
        journey[name] = value * 1000
    rows.append(journey)
    return pd.DataFrame(rows)


def timeline_table(recorder: Recorder) -> pd.DataFrame:
    rows = [
        {"second": s, "requests": int(n), "errors": int(e),
         "mean_ms": total / n * 1000 if n else 0.0,
         "max_ms": top * 1000, "max_lag_ms": lag * 1000}
        for s, (n, e, total, top, lag) in sorted(recorder.timeline.items())
    ]  # fmt: skip
    return pd.DataFrame(
        rows, columns=["second", "requests", "errors", "mean_ms", "max_ms", "max_lag_ms"]
    )


_MARGINS = {"left": 0.1, "right": 0.98, "bottom": 0.14, "top": 0.91}
"""Fixed margins: room for tick labels of up to six digits; a tight layout measures every
label first, which took about a third of the report's time."""


def _figures(timeline: pd.DataFrame, recorder: Recorder, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    fig = Figure(figsize=(8, 3.5))
    ax = fig.subplots()
    ax.plot(timeline["second"], timeline["mean_ms"], label="mean (from intended send)")
    ax.plot(timeline["second"], timeline["max_ms"], label="max", alpha=0.7)
    ax.set(xlabel="seconds into the replay", ylabel="latency (ms)", title="Latency over time")
    ax.legend()
    fig.subplots_adjust(**_MARGINS)
    out.append(folder / "latency_over_time.png")
    fig.savefig(out[-1], dpi=100)
    fig = Figure(figsize=(9, 3.5))
    left, right = fig.subplots(1, 2)
    left.plot(timeline["second"], timeline["max_lag_ms"], color="tab:red")
    left.set(xlabel="seconds into the replay", ylabel="max lag (ms)", title="Schedule lag")
    lag = recorder.total("lag")
    qs = [50, 75, 90, 95, 99, 99.9, 100]
    names = [f"p{q:g}" if q < 100 else "max" for q in qs]
    right.bar(names, [v * 1000 for v in lag.percentiles(qs)])
    right.set(ylabel="lag (ms)", title="Lag percentiles, all requests")
    fig.subplots_adjust(**_MARGINS, wspace=0.3)
    out.append(folder / "schedule_lag.png")
    fig.savefig(out[-1], dpi=100)
    return out


def findings_document(found: Reconciliation, coverage: Coverage) -> dict[str, Any]:
    """``findings.json``: the verdict, the coverage, the findings grouped by cause (root
    causes first) and the notes counted apart, each with a few example rows."""
    return {
        "check": found.check,
        "verdict": verdict(len(found.discrepancies), coverage),
        "discrepancies": len(found.discrepancies),
        "coverage": coverage.to_dict(),
        "findings": [f.to_dict() for f in found.findings],
        "notes": [f.to_dict() for f in found.noted],
    }


def write(  # noqa: PLR0917
    folder: Path,
    meta: dict[str, Any],
    recorder: Recorder,
    found: Reconciliation,
    coverage: Coverage,
    gates: Sequence[Gate],
    locust_stats: pd.DataFrame | None = None,
) -> None:
    """Everything a load test leaves behind, into ``folder`` (a fresh temporary folder).

    ``outcomes.parquet`` has a row per write: the simulation's outcome (``expected``), the
    target's result and rule, the replay's ``divergence`` mark and the reconciliation's
    ``finding`` label for a step that differed; ``discrepancies.csv`` a row per discrepancy
    with its ``cause``; ``findings.json`` the same grouped (:func:`findings_document`)."""
    discrepancies = found.discrepancies
    stats = stats_table(recorder)
    stats.to_csv(folder / STATS, index=False)
    hist = {k: {m: h.to_dict() for m, h in v.items()} for k, v in recorder.steps.items()}
    hist["(journey)"] = {"intended": recorder.journeys.to_dict()}
    (folder / HISTOGRAMS).write_text(json.dumps(hist) + "\n")
    ledger = pd.DataFrame(
        [
            {
                "customer": o.customer,
                "step": o.kind,
                "t": o.t,
                "command": o.command,
                "result": o.result,
                "status": o.status,
                "intended_s": o.intended,
                "sent_s": o.sent,
                "done_s": o.done,
                "order_key": o.order_key,
                "detail": o.detail,
                "expected": o.expected,
                "rule": o.rule,
                "divergence": o.divergence,
                "finding": found.labels.get(o.command, ""),
                "data": json.dumps(o.data),
            }
            for o in recorder.ledger
        ]
    )
    ledger.to_parquet(folder / OUTCOMES, index=False)
    _rows(discrepancies).to_csv(folder / DISCREPANCIES, index=False)
    document = findings_document(found, coverage)
    (folder / FINDINGS).write_text(json.dumps(document, indent=1) + "\n")
    pd.DataFrame(
        [(g.scope, g.name, g.limit, g.value, g.passed) for g in gates],
        columns=["scope", "gate", "limit", "value", "passed"],
    ).to_csv(folder / GATES, index=False)
    timeline = timeline_table(recorder)
    timeline.to_csv(folder / TIMELINE, index=False)
    if locust_stats is not None:
        locust_stats.to_csv(folder / "locust_stats.csv", index=False)
    figures = _figures(timeline, recorder, folder / "figures")
    page = _page(meta, stats, found, coverage, gates, locust_stats, figures)
    (folder / REPORT).write_text(page)


def _rows(rows: Sequence[Discrepancy]) -> pd.DataFrame:
    return pd.DataFrame(
        [(d.kind, d.cause, d.where, d.expected, d.found) for d in rows],
        columns=["kind", "cause", "where", "expected", "found"],
    )


def _grouped(groups: Sequence[Finding]) -> pd.DataFrame:
    return pd.DataFrame(
        [(g.kind, g.cause, g.count, g.rows[0].where, g.rows[0].expected, g.rows[0].found)
         for g in groups],
        columns=["kind", "cause", "rows", "e.g. where", "expected", "found"],
    )  # fmt: skip


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(
        index=False, float_format=lambda v: f"{v:,.4g}", border=0, na_rep="", escape=True
    )


def _page(  # noqa: PLR0917
    meta: dict[str, Any],
    stats: pd.DataFrame,
    found: Reconciliation,
    coverage: Coverage,
    gates: Sequence[Gate],
    locust_stats: pd.DataFrame | None,
    figures: list[Path],
) -> str:
    shown = ["step", *RESULTS, "cut_short", "intended_p50_ms", "intended_p95_ms",
             "intended_p99_ms", "actual_p50_ms", "actual_p95_ms", "actual_p99_ms",
             "lag_p99_ms"]  # fmt: skip
    discrepancies = found.discrepancies
    facts = ", ".join(f"{html.escape(str(k))} {html.escape(str(v))}" for k, v in meta.items())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>omnicanal replay</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:0.85em}td,th{border-bottom:1px solid #ddd;"
        "padding:0.25em 0.6em;text-align:right}td:first-child,th:first-child{text-align:left}"
        "img{max-width:100%}.fail{color:#b00}</style></head><body>",
        f"<h1>Journey replay</h1><p>{facts}</p>",
        f"<h2>{html.escape(verdict(len(discrepancies), coverage))}</h2>",
        f"<p>check: {html.escape(found.check)}; {html.escape(coverage.line())}</p>",
    ]
    if discrepancies:
        parts.append("<h3>Findings, by cause (root causes first)</h3>")
        parts.append(_table(_grouped(found.findings)))
    if found.notes:
        parts.append("<h3>Counted apart, not discrepancies</h3>")
        parts.append(_table(_grouped(found.noted)))
    if discrepancies:
        parts.append("<h3>Every discrepancy (the first 500; all in discrepancies.csv)</h3>")
        parts.append(_table(_rows(discrepancies[:500])))
    parts.append("<h2>Gates</h2>")
    parts.append(
        "<ul>"
        + "".join(
            f"<li class='{'' if g.passed else 'fail'}'>{html.escape(g.line())}</li>" for g in gates
        )
        + "</ul>"
    )
    parts.append("<h2>Per step (ms): latency from the intended and from the actual send time</h2>")
    parts.append(_table(stats[[c for c in shown if c in stats]]))
    if locust_stats is not None:
        parts.append("<h2>Locust's own statistics (from the actual send time)</h2>")
        parts.append(_table(locust_stats))
    for path in figures:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(path.stem)}' "
            f"src='data:image/png;base64,{data}'></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
