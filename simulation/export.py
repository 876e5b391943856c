"""Other formats for the event log: OCEL 2.0 (JSON) for process mining, flat CSV for spreadsheets.

OCEL 2.0 (van der Aalst et al., https://www.ocel-standard.org) is object-centric: each event
relates to the objects it concerns. omnicanal's objects are customers, carts, orders, skus and
locations; an event relates to every one of them named in its row, with the column name as the
qualifier ("customer", "cart", ...). Carts relate to their customer, orders to their cart and
customer. Simulated minutes become timestamps from ``start`` (a Monday by default, as day 0 of a
scenario is a Monday).
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Mapping
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
