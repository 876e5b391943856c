"""Exports: OCEL 2.0 JSON counts match the Parquet log; CSV is the log, flat, with timestamps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.eventlog import read_log
from simulation.results import EVENTS

runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    assert runner.invoke(app, ["demo", "--out", str(out)]).exit_code == 0
    (folder,) = list(out.iterdir())
    return folder


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_ocel_counts_match_the_parquet_log(run: Path) -> None:
    result = runner.invoke(app, ["export", str(run), "--format", "ocel"])
    assert result.exit_code == 0, result.output
    document = _strict((run / "events.ocel.json").read_text())
    log = read_log(run / EVENTS)
    assert len(document["events"]) == len(log)
    ids = {o["id"] for o in document["objects"]}
    expected = {
        f"{column}:{value}" for column in ("customer", "cart", "order", "sku", "location")
        for value in log[column].dropna().unique()
    }  # fmt: skip
    assert ids == expected
    for event in document["events"]:
        assert {r["objectId"] for r in event["relationships"]} <= ids
    assert {t["name"] for t in document["eventTypes"]} == set(log["type"].astype(str))
    placed = next(e for e in document["events"] if e["type"] == "OrderPlaced")
    assert {r["qualifier"] for r in placed["relationships"]} == {"customer", "cart", "order"}
    assert placed["time"].startswith("2026-01-05T")
    order = next(o for o in document["objects"] if o["id"] == "order:1")
    assert {r["qualifier"] for r in order["relationships"]} == {"checked out from", "placed by"}


def test_csv_is_the_log_with_timestamps(run: Path, tmp_path: Path) -> None:
    target = tmp_path / "flat.csv"
    result = runner.invoke(app, ["export", str(run), "--format", "csv", "--out", str(target)])
    assert result.exit_code == 0, result.output
    flat = pd.read_csv(target)
    assert len(flat) == len(read_log(run / EVENTS))
    assert flat.loc[0, "time"] == "2026-01-05T00:00:00Z"
    assert flat["seq"].tolist() == list(range(1, len(flat) + 1))


def test_an_unknown_format_is_refused(run: Path) -> None:
    result = runner.invoke(app, ["export", str(run), "--format", "xes"])
    assert result.exit_code == 2
    assert "--format: expected ocel or csv, got 'xes'" in result.output


def test_pm4py_reads_the_ocel_file_and_maps_the_process(run: Path) -> None:
    """The export is read by the standard's reference tool (pm4py, an optional extra under
    the AGPL: installed for the tests, never imported by omnicanal itself)."""
    pm4py = pytest.importorskip("pm4py", reason="pm4py is the optional 'ocel' extra")
    assert runner.invoke(app, ["export", str(run), "--format", "ocel"]).exit_code == 0
    ocel = pm4py.read_ocel2_json(str(run / "events.ocel.json"))
    log = read_log(run / EVENTS)
    assert len(ocel.events) == len(log)
    kinds = ocel.objects["ocel:type"].value_counts().to_dict()
    assert kinds == {
        c: log[c].dropna().nunique() for c in ("customer", "cart", "order", "sku", "location")
    }
    graph = pm4py.discover_ocdfg(ocel)
    assert set(graph["activities"]) == set(log["type"].astype(str))
    # every step of an order's life in the log (to a strictly later event) is an edge of the map
    orders = log[log["order"].notna()].sort_values(["order", "t", "seq"])
    steps = {
        (str(a), str(b))
        for (_, part) in orders.groupby("order")
        for (a, ta), (b, tb) in zip(
            zip(part["type"], part["t"], strict=True),
            zip(part["type"].iloc[1:], part["t"].iloc[1:], strict=True),
            strict=False,
        )
        if tb > ta
    }
    assert steps
    assert steps <= set(graph["edges"]["event_couples"]["order"])
