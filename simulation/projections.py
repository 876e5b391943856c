"""KPIs and state at time t, each a function of the event log alone.

Every function takes the log as a DataFrame (as :func:`simulation.eventlog.read_log` returns
it) and works per ``replication``; none looks at an engine counter. They are vectorised pandas
group-bys; :func:`simulation.eventlog.replay` is the slow, obvious oracle the tests hold them to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.core.groupby import DataFrameGroupBy

# Signed effect of each event type on on-hand and reserved units.
_ON_HAND = {"StockReceived": 1, "StockRestocked": 1, "StockIssued": -1, "StockWrittenOff": -1}
_RESERVED = {
    "StockReserved": 1,
    "ReservationReleased": -1,
    "ReservationExpired": -1,
    "StockIssued": -1,
}
_STOCK_KEY = ["replication", "location", "sku"]


def _of(log: pd.DataFrame, *types: str) -> pd.DataFrame:
    return log[log["type"].isin(types)]


def _signed(log: pd.DataFrame, signs: dict[str, int]) -> pd.Series:
    sign = log["type"].astype("string").map(signs).fillna(0).astype("int64")
    return sign * log["qty"].fillna(0).astype("int64")


def _group(frame: pd.DataFrame, by: list[str]) -> DataFrameGroupBy[Any, Any]:
    return frame.astype({k: "string" for k in by if k != "replication"}).groupby(
        by, observed=True, sort=True
    )


def stock_at(log: pd.DataFrame, t: float = np.inf) -> pd.DataFrame:
    """On-hand and reserved units per (replication, location, sku) after every event at <= t.

    Columns: replication, location, sku, on_hand, reserved, free (= on_hand - reserved).
    """
    moves = _of(log[log["t"] <= t], *_ON_HAND, *_RESERVED)
    frame = moves.assign(on_hand=_signed(moves, _ON_HAND), reserved=_signed(moves, _RESERVED))
    out = _group(frame, _STOCK_KEY)[["on_hand", "reserved"]].sum().reset_index()
    return out.assign(free=out["on_hand"] - out["reserved"])


def stock_flows(log: pd.DataFrame) -> pd.DataFrame:
    """Units received, restocked, issued and written off per (replication, location, sku).

    Conservation: received + restocked - issued - written_off == on_hand of :func:`stock_at`.
    """
    moves = (
        _of(log, *_ON_HAND)
        .astype({"location": "string", "sku": "string"})
        .assign(
            flow=lambda f: f["type"].astype("string").map(_FLOW_NAMES),
            units=lambda f: f["qty"].astype("int64"),
        )
    )
    table = moves.pivot_table(
        index=_STOCK_KEY, columns="flow", values="units", aggfunc="sum", fill_value=0
    )
    table = table.reindex(columns=list(_FLOW_NAMES.values()), fill_value=0)
    return table.reset_index().rename_axis(columns=None)


_FLOW_NAMES = {
    "StockReceived": "received",
    "StockRestocked": "restocked",
    "StockIssued": "issued",
    "StockWrittenOff": "written_off",
}


def orders_by_channel_and_mode(log: pd.DataFrame) -> pd.DataFrame:
    """Orders, units and value by (replication, channel the order was placed in, fulfilment mode).

    An order split into legs of two modes counts once under each mode.
    """
    placed = _of(log, "OrderPlaced")[["replication", "order", "channel"]]
    lines = _of(log, "LineAllocated")[["replication", "order", "mode", "qty", "amount"]]
    joined = lines.merge(placed, on=["replication", "order"], how="left")
    joined = joined.assign(value=joined["qty"].astype("float64") * joined["amount"])
    grouped = _group(joined, ["replication", "channel", "mode"])
    return grouped.agg(
        orders=("order", "nunique"), units=("qty", "sum"), value=("value", "sum")
    ).reset_index()


def lost_sales(log: pd.DataFrame) -> pd.DataFrame:
    """Lost demand by (replication, channel, reason): events, units and value."""
    lost = _of(log, "SaleLost")
    grouped = _group(lost, ["replication", "channel", "reason"])
    return grouped.agg(
        events=("qty", "size"), units=("qty", "sum"), value=("amount", "sum")
    ).reset_index()


def fill_rate(log: pd.DataFrame) -> pd.DataFrame:
    """Units ordered / (units ordered + units lost), per (replication, channel).

    Demand is counted where it was expressed: orders in the channel they were placed in, lost
    sales in the channel the customer was in.
    """
    ordered = _group(_of(log, "OrderPlaced"), ["replication", "channel"])["qty"].sum()
    lost = _group(_of(log, "SaleLost"), ["replication", "channel"])["qty"].sum()
    frame = pd.concat({"ordered": ordered, "lost": lost}, axis=1).fillna(0).astype("int64")
    demand = frame["ordered"] + frame["lost"]
    return frame.assign(fill_rate=frame["ordered"] / demand.where(demand > 0)).reset_index()


def reservations_expired(log: pd.DataFrame) -> pd.DataFrame:
    """Cart reservations and click & collect holds that ran out, per (replication, channel).

    Columns: reservations (count), reserved_units, holds (count of expired holds).
    """
    expired = _group(_of(log, "ReservationExpired"), ["replication", "channel"]).agg(
        reservations=("qty", "size"), reserved_units=("qty", "sum")
    )
    holds = _of(log, "HoldExpired")[["replication", "order"]].merge(
        _of(log, "OrderPlaced")[["replication", "order", "channel"]],
        on=["replication", "order"],
        how="left",
    )
    held = _group(holds, ["replication", "channel"]).agg(holds=("order", "size"))
    frame = pd.concat([expired, held], axis=1).fillna(0).astype("int64")
    return frame.reindex(
        columns=["reservations", "reserved_units", "holds"], fill_value=0
    ).reset_index()


def returns(log: pd.DataFrame) -> pd.DataFrame:
    """Returns by (replication, return mode, outcome): events, units, refunded value."""
    received = _of(log, "ReturnReceived")
    grouped = _group(received, ["replication", "mode", "reason"])
    frame = grouped.agg(events=("qty", "size"), units=("qty", "sum"), value=("amount", "sum"))
    return frame.reset_index().rename(columns={"reason": "outcome"})


def kpis(log: pd.DataFrame) -> pd.DataFrame:
    """The headline KPIs, one row per replication: what ``kpis.csv`` holds."""
    reps = pd.Index(sorted(log["replication"].unique()), name="replication")

    def total(types: tuple[str, ...], column: str) -> pd.Series:
        rows = _of(log, *types)
        values = rows[column].astype("float64")
        return values.groupby(rows["replication"]).sum().reindex(reps, fill_value=0.0)

    def count(*types: str) -> pd.Series:
        rows = _of(log, *types)
        return rows.groupby("replication").size().reindex(reps, fill_value=0)

    placed = _of(log, "OrderPlaced")
    ordered = total(("OrderPlaced",), "qty")
    lost = total(("SaleLost",), "qty")
    issued = total(("StockIssued",), "qty")
    returned = total(("ReturnReceived",), "qty")
    frame = pd.DataFrame(
        {
            "customers": _of(log, "CustomerArrived").groupby("replication").size(),
            "orders": placed.groupby("replication").size(),
            "units_ordered": ordered,
            "ordered_value": total(("OrderPlaced",), "amount"),
            "units_lost": lost,
            "lost_value": total(("SaleLost",), "amount"),
            "fill_rate": ordered / (ordered + lost).where(ordered + lost > 0),
            "reservations_expired": count("ReservationExpired"),
            "holds_expired": count("HoldExpired"),
            "orders_cancelled": count("OrderCancelled"),
            "units_shipped": issued,
            "units_returned": returned,
            "return_rate": returned / issued.where(issued > 0),
            "refunded": total(("RefundIssued",), "amount"),
        },
        index=reps,
    )
    frame["net_value"] = frame["ordered_value"] - frame["refunded"]
    counts = ["customers", "orders"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame.reset_index()
