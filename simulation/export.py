"""Other formats for the event log: OCEL 2.0 for process mining, flat CSV for spreadsheets.

OCEL 2.0 (van der Aalst et al., https://www.ocel-standard.org) is object-centric: each event
relates to the objects it concerns. omnicanal's objects are customers, carts, orders, skus and
locations; an event relates to every one of them named in its row, with the column name as the
qualifier ("customer", "cart", ...). Carts relate to their customer, orders to their cart and
customer. Simulated minutes become timestamps from ``start`` (a Monday by default, as day 0 of a
scenario is a Monday).

One OCEL document (:func:`to_ocel`) is written in either of the standard's two forms, chosen by
the file's extension (:func:`ocel_writer`): JSON, or the relational SQLite schema with one
table per event type and per object type (object attributes that change over time are rows
with ``ocel_changed_field`` set).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Mapping
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import InputError
from simulation.eventlog import cell

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
OBJECT_COLUMNS = ("customer", "cart", "order", "sku", "location")
ATTRIBUTE_COLUMNS = {
    "channel": "string", "qty": "integer", "amount": "float", "mode": "string",
    "reason": "string", "until": "float", "segment": "string",
}  # fmt: skip


def _one_replication(log: pd.DataFrame, replication: int | None) -> pd.DataFrame:
    reps = sorted(log["replication"].unique())
    chosen = reps[0] if replication is None else replication
    if chosen not in reps:
        raise InputError("--replication", f"one of {reps}", replication)
    return log[log["replication"] == chosen]


def _time(start: datetime, minutes: float) -> str:
    return (start + timedelta(minutes=float(minutes))).isoformat().replace("+00:00", "Z")


def to_ocel(
    log: pd.DataFrame, *, replication: int | None = None, start: datetime = START
) -> dict[str, Any]:
    """One replication of the log as an OCEL 2.0 JSON document (a dict)."""
    frame = _one_replication(log, replication)
    rows = frame.to_dict("records")
    objects: dict[str, dict[str, Any]] = {}
    events = []
    attributes_of: dict[str, set[str]] = {}
    for row in rows:
        kind = str(row["type"])
        related = []
        for column in OBJECT_COLUMNS:
            value = cell(row[column])
            if value is None:
                continue
            oid = f"{column}:{value}"
            objects.setdefault(
                oid, {"id": oid, "type": column, "attributes": [], "relationships": []}
            )
            related.append({"objectId": oid, "qualifier": column})
        attributes = []
        for column in ATTRIBUTE_COLUMNS:
            value = cell(row[column])
            if value is not None:
                attributes.append({"name": column, "value": value})
                attributes_of.setdefault(kind, set()).add(column)
        events.append(
            {
                "id": f"e{int(row['seq'])}", "type": kind, "time": _time(start, row["t"]),
                "attributes": attributes, "relationships": related,
            }
        )  # fmt: skip
        _link_objects(objects, row, start)
    return {
        "objectTypes": [
            {
                "name": name,
                "attributes": [{"name": "segment", "type": "string"}] if name == "customer" else [],
            }
            for name in OBJECT_COLUMNS
        ],
        "eventTypes": [
            {
                "name": kind,
                "attributes": [{"name": a, "type": ATTRIBUTE_COLUMNS[a]} for a in sorted(names)],
            }
            for kind, names in sorted(attributes_of.items())
        ]
        + [
            {"name": k, "attributes": []}
            for k in sorted(set(frame["type"].astype(str)) - set(attributes_of))
        ],
        "objects": list(objects.values()),
        "events": events,
    }


def _link_objects(
    objects: dict[str, dict[str, Any]], row: Mapping[Hashable, Any], start: datetime
) -> None:
    """Object-to-object relations and the customer's segment, from the events that state them."""
    kind = str(row["type"])
    if kind == "CustomerArrived" and cell(row["segment"]) is not None:
        customer = objects[f"customer:{cell(row['customer'])}"]
        if not customer["attributes"]:
            customer["attributes"].append(
                {"name": "segment", "value": row["segment"], "time": _time(start, row["t"])}
            )
    if kind == "CartOpened":
        objects[f"cart:{cell(row['cart'])}"]["relationships"].append(
            {"objectId": f"customer:{cell(row['customer'])}", "qualifier": "owned by"}
        )
    if kind == "OrderPlaced":
        objects[f"order:{cell(row['order'])}"]["relationships"] += [
            {"objectId": f"cart:{cell(row['cart'])}", "qualifier": "checked out from"},
            {"objectId": f"customer:{cell(row['customer'])}", "qualifier": "placed by"},
        ]


def to_csv_frame(log: pd.DataFrame, *, start: datetime = START) -> pd.DataFrame:
    """The log flat, with a timestamp column next to the simulated minutes."""
    times = [_time(start, t) for t in log["t"]]
    return log.assign(time=times)[
        ["seq", "replication", "time", *[c for c in log.columns if c not in {"seq", "replication"}]]
    ]


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def ocel_json(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


OcelWriter = Callable[[dict[str, Any], Path], Path]


def ocel_writer(path: Path) -> OcelWriter:
    """The writer the file's extension chooses: ``.json``/``.jsonocel`` JSON, ``.sqlite`` the
    relational form; an :class:`InputError` for any other extension."""
    match path.suffix.lower():
        case ".json" | ".jsonocel":
            return write_ocel_json
        case ".sqlite":
            return write_ocel_sqlite
    raise InputError(
        "--out", "a file ending .json or .jsonocel (OCEL 2.0 JSON) or .sqlite (SQLite)", str(path)
    )


def write_ocel_json(document: dict[str, Any], path: Path) -> Path:
    return write_atomically(path, ocel_json(document))


def write_ocel_sqlite(document: dict[str, Any], path: Path) -> Path:
    """The document in OCEL 2.0's relational schema, written to a temporary file then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(tmp)) as db:
            db.execute("PRAGMA foreign_keys = ON")  # the inserts are checked as they go
            db.executescript(_OCEL_TABLES)
            _insert_types(db, "event", document["eventTypes"])
            _insert_types(db, "object", document["objectTypes"])
            _insert_objects(db, document)
            _insert_events(db, document)
            db.commit()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


_OCEL_TABLES = """
CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT NOT NULL);
CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT NOT NULL);
CREATE TABLE event (
    ocel_id TEXT PRIMARY KEY, ocel_type TEXT REFERENCES event_map_type (ocel_type));
CREATE TABLE object (
    ocel_id TEXT PRIMARY KEY, ocel_type TEXT REFERENCES object_map_type (ocel_type));
CREATE TABLE event_object (
    ocel_event_id TEXT REFERENCES event (ocel_id),
    ocel_object_id TEXT REFERENCES object (ocel_id),
    ocel_qualifier TEXT,
    PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier));
CREATE TABLE object_object (
    ocel_source_id TEXT REFERENCES object (ocel_id),
    ocel_target_id TEXT REFERENCES object (ocel_id),
    ocel_qualifier TEXT,
    PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier));
"""
_SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "float": "REAL", "boolean": "INTEGER",
              "time": "TIMESTAMP"}  # fmt: skip
_EPOCH = "1970-01-01T00:00:00Z"  # an object attribute's value from the start


def _insert_types(db: sqlite3.Connection, kind: str, types: Iterable[dict[str, Any]]) -> None:
    """One row per type in ``{kind}_map_type``, and the type's table ``{kind}_{type}``."""
    for entry in types:
        name = str(entry["name"])
        if not name.isidentifier():  # the log's types are event class names and column names
            raise InputError(f"{kind} type", "a name that can name a table", name)
        key = "PRIMARY KEY " if kind == "event" else ""  # an object has a row per change
        columns = [f"ocel_id TEXT {key}REFERENCES {kind} (ocel_id)", "ocel_time TIMESTAMP"]
        columns += ["ocel_changed_field TEXT"] if kind == "object" else []
        columns += [f'"{a["name"]}" {_SQL_TYPES[a["type"]]}' for a in entry["attributes"]]
        db.execute(f"INSERT INTO {kind}_map_type VALUES (?, ?)", (name, name))
        db.execute(f'CREATE TABLE "{kind}_{name}" ({", ".join(columns)})')


def _by_type(
    items: Iterable[dict[str, Any]], types: Iterable[dict[str, Any]]
) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Each type's attribute names and its items, in the document's order."""
    found: dict[str, tuple[list[str], list[dict[str, Any]]]] = {
        t["name"]: ([a["name"] for a in t["attributes"]], []) for t in types
    }
    for item in items:
        found[item["type"]][1].append(item)
    return found


def _insert_objects(db: sqlite3.Connection, document: Mapping[str, Any]) -> None:
    objects = document["objects"]
    db.executemany("INSERT INTO object VALUES (?, ?)", [(o["id"], o["type"]) for o in objects])
    for kind, (names, members) in _by_type(objects, document["objectTypes"]).items():
        marks = ", ".join("?" * (3 + len(names)))
        rows = [row for o in members for row in _object_rows(o, names)]
        db.executemany(f'INSERT INTO "object_{kind}" VALUES ({marks})', rows)
    db.executemany(
        "INSERT INTO object_object VALUES (?, ?, ?)",
        [(o["id"], r["objectId"], r["qualifier"]) for o in objects for r in o["relationships"]],
    )


def _object_rows(obj: Mapping[str, Any], names: list[str]) -> list[tuple[Any, ...]]:
    """The object's row from the start, then a row for each value an attribute takes later."""
    start: dict[str, Any] = dict.fromkeys(names)
    changes = []
    for attribute in obj["attributes"]:
        name, value, time = attribute["name"], attribute["value"], attribute.get("time", _EPOCH)
        if time == _EPOCH:
            start[name] = value
        else:
            changes.append((obj["id"], time, name, *(value if n == name else None for n in names)))
    return [(obj["id"], _EPOCH, None, *start.values()), *changes]


def _insert_events(db: sqlite3.Connection, document: Mapping[str, Any]) -> None:
    events = document["events"]
    db.executemany("INSERT INTO event VALUES (?, ?)", [(e["id"], e["type"]) for e in events])
    db.executemany(
        "INSERT INTO event_object VALUES (?, ?, ?)",
        [(e["id"], r["objectId"], r["qualifier"]) for e in events for r in e["relationships"]],
    )
    for kind, (names, members) in _by_type(events, document["eventTypes"]).items():
        marks = ", ".join("?" * (2 + len(names)))
        rows = []
        for event in members:
            values = {a["name"]: a["value"] for a in event["attributes"]}
            rows.append((event["id"], event["time"], *(values.get(n) for n in names)))
        db.executemany(f'INSERT INTO "event_{kind}" VALUES ({marks})', rows)


def export_run(
    run: Path, format_: str, out_file: Path | None = None, *, replication: int | None = None
) -> tuple[Path, str]:
    """Write a results folder's (or an ``events.parquet``'s) log as ``format_`` (``ocel``:
    OCEL 2.0 JSON or SQLite by ``out_file``'s extension; ``csv``: flat; ``rfm``: one row per
    buyer for BTYD models) beside it or to ``out_file``; returns the file and what it holds,
    in words."""
    from simulation.eventlog import read_log
    from simulation.results import EVENTS

    if format_ not in {"ocel", "csv", "rfm"}:
        raise InputError("--format", "ocel, csv or rfm", format_)
    path = run / EVENTS if run.is_dir() else run
    if not path.exists():
        raise InputError("RESULTS", "a results folder or an events.parquet file", str(run))
    base = run if run.is_dir() else run.parent
    if format_ == "ocel":
        target = out_file or base / "events.ocel.json"
        write = ocel_writer(target)  # a wrong extension fails before the log is read
        document = to_ocel(read_log(path), replication=replication)
        write(document, target)
        return target, f"{len(document['events']):,} events, {len(document['objects']):,} objects"
    if format_ == "rfm":
        return _export_rfm(path, base, out_file, replication)
    log = read_log(path)
    target = out_file or base / "events.csv"
    write_atomically(target, to_csv_frame(log).to_csv(index=False))
    return target, f"{len(log):,} events"


def _export_rfm(
    path: Path, base: Path, out_file: Path | None, replication: int | None
) -> tuple[Path, str]:
    """The buyers' RFM table (:mod:`simulation.customers.rfm`) of one replication, as CSV; the
    observation ends with the run's horizon, which the results folder's manifest gives."""
    from simulation.customers.rfm import rfm_table
    from simulation.eventlog import read_log
    from simulation.results import MANIFEST, read_manifest

    if not (base / MANIFEST).exists():
        raise InputError(
            "RESULTS",
            "a results folder with its manifest.json (rfm needs the run's horizon)",
            str(base),
        )
    horizon = read_manifest(base).get("horizon_days")
    if not isinstance(horizon, int | float) or horizon <= 0:
        raise InputError("manifest.json: horizon_days", "a number of days > 0", horizon)
    target = out_file or base / "customers.rfm.csv"
    if target.suffix != ".csv":
        raise InputError("--out", "a .csv file", str(target))
    table = rfm_table(_one_replication(read_log(path), replication), float(horizon))
    write_atomically(target, table.to_csv(index=False))
    return target, f"{len(table):,} customers who bought (recency and T in days)"
