"""Exports: OCEL 2.0 JSON counts match the Parquet log; CSV is the log, flat, with timestamps."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
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
    assert "--format: expected ocel, csv or rfm, got 'xes'" in result.output


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


@pytest.mark.parametrize("name", ["events.json", "events.jsonocel", "EVENTS.JSON"])
def test_a_json_extension_writes_ocel_json(run: Path, tmp_path: Path, name: str) -> None:
    result = runner.invoke(
        app, ["export", str(run), "--format", "ocel", "--out", str(tmp_path / name)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / name).read_text())
    assert len(document["events"]) == len(read_log(run / EVENTS))


@pytest.mark.parametrize("name", ["events.xes", "events.csv", "events", "events.sqlite3"])
def test_any_other_extension_is_refused_and_nothing_written(
    run: Path, tmp_path: Path, name: str
) -> None:
    result = runner.invoke(app, ["export", str(run), "--out", str(tmp_path / name)])
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert "--out: expected a file ending .json or .jsonocel (OCEL 2.0 JSON) or .sqlite" in line
    assert list(tmp_path.iterdir()) == []


def test_sqlite_follows_the_relational_schema_and_replaces_an_old_file(
    run: Path, tmp_path: Path
) -> None:
    target = tmp_path / "events.sqlite"
    for _ in range(2):  # a second export replaces the first, never adds to it
        result = runner.invoke(app, ["export", str(run), "--out", str(target)])
        assert result.exit_code == 0, result.output
    log = read_log(run / EVENTS)
    with closing(sqlite3.connect(target)) as db:
        assert db.execute("SELECT count(*) FROM event").fetchone() == (len(log),)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        first = log[log["type"] == "OrderPlaced"].iloc[0]
        placed = db.execute(
            'SELECT ocel_time, channel, amount FROM "event_OrderPlaced" WHERE ocel_id = ?',
            (f"e{first['seq']}",),
        ).fetchone()
        changes = db.execute(
            "SELECT count(*) FROM \"object_customer\" WHERE ocel_changed_field = 'segment'"
        ).fetchone()
    assert {f"event_{t}" for t in log["type"].astype(str)} <= tables
    assert {f"object_{c}" for c in ("customer", "cart", "order", "sku", "location")} <= tables
    assert placed[0].startswith("2026-01-05T")
    assert placed[1:] == (first["channel"], pytest.approx(first["amount"]))
    arrived = log[(log["type"] == "CustomerArrived") & log["segment"].notna()]
    assert changes == (arrived["customer"].nunique(),)
    assert not list(tmp_path.glob("*.tmp"))


def test_pm4py_reads_both_ocel_forms_with_the_logs_counts(run: Path, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py", reason="pm4py is the optional 'ocel' extra")
    from pm4py.objects.ocel.validation import ocel20_rel_validation

    log = read_log(run / EVENTS)
    kinds = {c: log[c].dropna().nunique() for c in ("customer", "cart", "order", "sku", "location")}
    related = int(log[["customer", "cart", "order", "sku", "location"]].notna().sum().sum())
    read = {}
    for name, reader in (
        ("events.json", pm4py.read_ocel2_json),
        ("events.sqlite", pm4py.read_ocel2_sqlite),
    ):
        result = runner.invoke(app, ["export", str(run), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        ocel = reader(str(tmp_path / name))
        assert len(ocel.events) == len(log), name
        assert ocel.objects["ocel:type"].value_counts().to_dict() == kinds, name
        assert len(ocel.relations) == related, name
        assert set(ocel.events["ocel:activity"]) == set(log["type"].astype(str)), name
        read[name] = ocel
    _, unsatisfied = ocel20_rel_validation.apply(str(tmp_path / "events.sqlite"))
    assert unsatisfied == []
    json_form, sqlite_form = read["events.json"], read["events.sqlite"]
    assert len(sqlite_form.o2o) == len(json_form.o2o) > 0
    pd.testing.assert_series_equal(
        sqlite_form.events.sort_values("ocel:eid")["ocel:timestamp"].reset_index(drop=True),
        json_form.events.sort_values("ocel:eid")["ocel:timestamp"].reset_index(drop=True),
    )
