"""KPIs and state at time t, each a function of the event log alone.

Every function takes the log as a DataFrame (as :func:`simulation.eventlog.read_log` returns
it) and works per ``replication``; none looks at an engine counter. They are vectorised pandas
group-bys; :func:`simulation.eventlog.rebuild` is the slow, obvious oracle the tests hold them to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.customers import cohorts, marketing
from simulation.customers import value as customer_values
from simulation.customers.kpis import loop_kpis, loyalty_kpis
from simulation.customers.lifetime import lifetime_kpis
from simulation.types import MINUTES_PER_DAY

if TYPE_CHECKING:
    from pandas.core.groupby import DataFrameGroupBy

# Signed effect of each event type on on-hand and reserved units.
ON_HAND = {
    "StockReceived": 1,
    "StockRestocked": 1,
    "StockIssued": -1,
    "StockWrittenOff": -1,
    "StockTransferredOut": -1,
}
_RESERVED = {
    "StockReserved": 1,
    "ReservationReleased": -1,
    "ReservationExpired": -1,
    "StockIssued": -1,
}
_STOCK_KEY = ["replication", "location", "sku"]


def _of(log: pd.DataFrame, *types: str) -> pd.DataFrame:
    kinds = log["type"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):  # as read: compare codes, not strings
        wanted = np.flatnonzero(kinds.cat.categories.isin(types))
        return log[np.isin(kinds.cat.codes.to_numpy(), wanted)]
    return log[kinds.isin(types)]


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
    moves = _of(log[log["t"] <= t], *ON_HAND, *_RESERVED)
    frame = moves.assign(on_hand=_signed(moves, ON_HAND), reserved=_signed(moves, _RESERVED))
    out = _group(frame, _STOCK_KEY)[["on_hand", "reserved"]].sum().reset_index()
    return out.assign(free=out["on_hand"] - out["reserved"])


def stock_flows(log: pd.DataFrame) -> pd.DataFrame:
    """Units received, restocked, issued, written off, sent away per (replication, location, sku).

    Conservation: received + restocked - issued - written_off - transferred_out == on_hand.
    """
    moves = (
        _of(log, *ON_HAND)
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
    "StockTransferredOut": "transferred_out",
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


def conversion(log: pd.DataFrame) -> pd.DataFrame:
    """Visits, orders and conversion rate by (replication, arrival channel, segment).

    A visit starts with ``CustomerArrived``; it converts when the customer places an order
    before their next visit starts (the order may be placed in another channel).
    """
    visits = _of(log, "CustomerArrived")[["replication", "customer", "t", "channel", "segment"]]
    placed = _of(log, "OrderPlaced")[["replication", "customer", "t", "order"]]
    if visits.empty:
        return pd.DataFrame(
            columns=["replication", "channel", "segment", "visits", "orders", "conversion"]
        )
    keys = ["replication", "customer"]
    visits = visits.astype({"channel": "string", "segment": "string"}).sort_values(
        "t", kind="stable"
    )
    placed = placed.sort_values("t", kind="stable")
    owner = pd.merge_asof(placed, visits, on="t", by=keys, direction="backward")
    orders = owner.groupby(["replication", "channel", "segment"], observed=True)["order"].nunique()
    frame = (
        visits.groupby(["replication", "channel", "segment"], observed=True)
        .size()
        .to_frame("visits")
    )
    frame["orders"] = orders.reindex(frame.index, fill_value=0).astype("int64")
    frame["conversion"] = frame["orders"] / frame["visits"]
    return frame.reset_index()


def lead_times(log: pd.DataFrame) -> pd.DataFrame:
    """Days from order to delivery (shipped legs) or to pickup (click & collect), per leg."""
    placed = _of(log, "OrderPlaced")[["replication", "order", "t"]]
    done = _of(log, "LegDelivered", "LegPickedUp")[
        ["replication", "order", "location", "mode", "t"]
    ]
    legs = done.merge(placed, on=["replication", "order"], suffixes=("", "_placed"))
    days = (legs["t"] - legs["t_placed"]) / MINUTES_PER_DAY
    return legs.assign(days=days)[["replication", "order", "location", "mode", "days"]]


def pickup_waits(log: pd.DataFrame) -> pd.DataFrame:
    """Minutes each click & collect customer spent from joining the desk queue to pickup."""
    joined = log[(log["type"] == "TouchpointVisited") & (log["reason"] == "pickup_queue")]
    joined = joined[["replication", "customer", "t"]].sort_values("t", kind="stable")
    picked = _of(log, "LegPickedUp")[["replication", "order", "location", "t"]]
    owners = _of(log, "OrderPlaced")[["replication", "order", "customer"]]
    picked = picked.merge(owners, on=["replication", "order"]).sort_values("t", kind="stable")
    if picked.empty or joined.empty:
        return pd.DataFrame(columns=["replication", "order", "location", "minutes"])
    both = pd.merge_asof(
        picked, joined.rename(columns={"t": "t_joined"}), left_on="t", right_on="t_joined",
        by=["replication", "customer"], direction="backward",
    )  # fmt: skip
    both = both.assign(minutes=both["t"] - both["t_joined"])
    return both[["replication", "order", "location", "minutes"]]


def stockouts(log: pd.DataFrame, since: float = 0.0) -> pd.DataFrame:
    """Times each (replication, location) ran a sku out (on hand fell to 0) after ``since``."""
    moves = _of(log, *ON_HAND).astype({"location": "string", "sku": "string"})
    running = (
        _signed(moves, ON_HAND)
        .groupby([moves["replication"], moves["location"], moves["sku"]])
        .cumsum()
    )
    out = moves.assign(
        out=(running == 0)
        & (moves["type"].isin(["StockIssued", "StockWrittenOff", "StockTransferredOut"]))
    )
    return (
        out.groupby(["replication", "location"], observed=True)["out"]
        .sum()
        .rename("stockouts")
        .reset_index()
    )


def inventory_turns(log: pd.DataFrame, horizon: float, since: float = 0.0) -> pd.DataFrame:
    """Units issued / time-average units on hand, per (replication, location), annualised.

    Measured over [since, horizon): the level carried into ``since`` counts from there.
    """
    moves = _of(log, *ON_HAND).astype({"location": "string", "sku": "string"})
    moves = moves.assign(delta=_signed(moves, ON_HAND))
    span = horizon - since
    rows = []
    for (rep, location), part in moves.groupby(
        ["replication", "location"], observed=True, sort=True
    ):
        level = part["delta"].cumsum().to_numpy(dtype="float64")
        t = np.clip(part["t"].to_numpy(dtype="float64"), since, horizon)
        widths = np.diff(np.append(t, horizon))
        average = float((level * widths).sum() / span) if span > 0 else 0.0
        measured = (part["type"] == "StockIssued") & (part["t"] >= since)
        issued = float(part.loc[measured, "qty"].sum())
        turns = issued / average * (365.0 * MINUTES_PER_DAY / span) if average > 0 else np.nan
        rows.append(
            {
                "replication": rep,
                "location": location,
                "issued": issued,
                "average_on_hand": average,
                "turns": turns,
            }
        )
    return pd.DataFrame(
        rows, columns=["replication", "location", "issued", "average_on_hand", "turns"]
    )


def customer_value(log: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, customer): segment, orders, net value (ordered - refunded)."""
    placed = _of(log, "OrderPlaced")[["replication", "customer", "order", "amount"]]
    refunds = _of(log, "RefundIssued")[["replication", "order", "amount"]]
    by_order = refunds.groupby(["replication", "order"])["amount"].sum().rename("refunded")
    orders = placed.merge(by_order.reset_index(), on=["replication", "order"], how="left").fillna(
        {"refunded": 0.0}
    )
    orders = orders.assign(net=orders["amount"] - orders["refunded"])
    people = (
        _of(log, "CustomerArrived")
        .astype({"segment": "string"})
        .groupby(["replication", "customer"])["segment"]
        .first()
    )
    per = orders.groupby(["replication", "customer"]).agg(
        orders=("order", "nunique"), net_value=("net", "sum")
    )
    frame = people.to_frame().join(per, how="left").fillna({"orders": 0, "net_value": 0.0})
    return frame.astype({"orders": "int64"}).reset_index()


@dataclass(frozen=True, slots=True)
class Costs:
    """What the log does not carry: each sku's unit cost, each location's cost per unit shipped."""

    unit_cost: Mapping[str, float]
    ship_cost: Mapping[str, float]
    campaigns: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """Each campaign's fixed cost and cost per visit it brings."""
    lifetime: tuple[float, float] | None = None
    """Days after the run and yearly discount rate of the lifetime value (None: not counted)."""


_SHIPPED = ("home_delivery", "ship_from_store", "endless_aisle")


def _price_of(keys: pd.Series, prices: Mapping[str, float]) -> pd.Series:
    return keys.astype("string").map(dict(prices)).astype("float64")


def margin(log: pd.DataFrame, costs: Costs) -> pd.DataFrame:
    """Revenue, cost of goods, gross margin and fulfilment cost per replication.

    Revenue is the value of units that left a location (at the order's price) less refunds for
    returns; cost of goods counts those units at unit cost less the units restocked; fulfilment
    cost is units shipped to an address times the sending location's cost per unit.
    """
    prices = _of(log, "LineAllocated")[["replication", "order", "sku", "amount"]].drop_duplicates(
        ["replication", "order", "sku"]
    )
    issued = _of(log, "StockIssued")[["replication", "order", "sku", "location", "mode", "qty"]]
    sold = issued.merge(prices, on=["replication", "order", "sku"], how="left")
    units = sold["qty"].astype("float64")
    sku = sold["sku"]
    shipped = sold["mode"].astype("string").isin(_SHIPPED)
    frame = (
        pd.DataFrame(
            {
                "replication": sold["replication"],
                "sales": units * sold["amount"],
                "cogs": units * _price_of(sku, costs.unit_cost),
                "fulfilment_cost": (units * _price_of(sold["location"], costs.ship_cost))
                .where(shipped, 0.0)
                .astype("float64"),
            }
        )
        .groupby("replication")
        .sum()
    )
    back = _of(log, "ReturnReceived")
    refunds = back.groupby("replication")["amount"].sum()
    restocked = _of(log, "StockRestocked")
    restocked_units = restocked["qty"].astype("float64")
    restocked_cost = (
        (restocked_units * _price_of(restocked["sku"], costs.unit_cost))
        .groupby(restocked["replication"])
        .sum()
    )
    frame["revenue"] = frame["sales"] - refunds.reindex(frame.index, fill_value=0.0)
    frame["cogs"] -= restocked_cost.reindex(frame.index, fill_value=0.0)
    frame["margin"] = frame["revenue"] - frame["cogs"]
    return frame[["revenue", "cogs", "margin", "fulfilment_cost"]].reset_index()


def kpis(
    log: pd.DataFrame,
    *,
    horizon: float | None = None,
    warmup: float = 0.0,
    costs: Costs | None = None,
) -> pd.DataFrame:
    """The headline KPIs, one row per replication: what ``kpis.csv`` holds.

    Events before ``warmup`` (minutes) stay in the log but are left out of the KPIs; stock
    levels still start from the beginning (stock-outs count only after the warm-up). With the
    run's ``horizon`` it adds annualised inventory turns over the measured period; with the
    scenario's ``costs``, revenue, gross margin and fulfilment cost per order.
    """
    reps = pd.Index(sorted(log["replication"].unique()), name="replication")
    full, log = log, log[log["t"] >= warmup]

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
    backordered = total(("BackorderPlaced",), "qty")
    demanded = ordered + lost + backordered  # served from stock, lost, or waited for
    frame = pd.DataFrame(
        {
            "visits": _of(log, "CustomerArrived").groupby("replication").size(),
            "customers": _of(log, "CustomerArrived").groupby("replication")["customer"].nunique(),
            "orders": placed.groupby("replication").size(),
            "units_ordered": ordered,
            "ordered_value": total(("OrderPlaced",), "amount"),
            "units_lost": lost,
            "lost_value": total(("SaleLost",), "amount"),
            "units_backordered": backordered,
            "backordered_value": total(("BackorderPlaced",), "amount"),
            "fill_rate": ordered / demanded.where(demanded > 0),
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
    frame["net_value"] = frame["ordered_value"] + frame["backordered_value"] - frame["refunded"]
    frame["avg_basket_units"] = frame["units_ordered"] / frame["orders"].where(frame["orders"] > 0)
    frame["avg_order_value"] = frame["ordered_value"] / frame["orders"].where(frame["orders"] > 0)
    frame["conversion_rate"] = frame["orders"] / frame["visits"].where(frame["visits"] > 0)
    legs = _of(log, "LineAllocated").groupby(["replication", "order"])["location"].nunique()
    frame["split_rate"] = (legs > 1).groupby("replication").mean().reindex(reps)
    frame["lead_time_days"] = lead_times(log).groupby("replication")["days"].mean().reindex(reps)
    frame["pickup_wait_minutes"] = (
        pickup_waits(log).groupby("replication")["minutes"].mean().reindex(reps)
    )
    holds = count("HoldPlaced")
    frame["hold_expiry_rate"] = frame["holds_expired"] / holds.where(holds > 0)
    frame["stockouts"] = (
        stockouts(full, since=warmup)
        .groupby("replication")["stockouts"]
        .sum()
        .reindex(reps, fill_value=0)
    )
    frame = frame.join(_customer_kpis(full, log, horizon, warmup).reindex(reps))
    frame["multichannel_customers"] = frame["multichannel_customers"].fillna(0)
    if horizon is not None:
        turns = inventory_turns(full, horizon, since=warmup)
        frame["inventory_turns"] = turns.groupby("replication")["turns"].mean().reindex(reps)
    if costs is not None:
        money = margin(log, costs).set_index("replication").reindex(reps, fill_value=0.0)
        frame["revenue"] = money["revenue"]
        frame["gross_margin"] = money["margin"]
        frame["fulfilment_cost_per_order"] = money["fulfilment_cost"] / frame["orders"].where(
            frame["orders"] > 0
        )
        frame = frame.join(marketing.kpis(log, costs.campaigns, reps))
        days = None if horizon is None else horizon / MINUTES_PER_DAY
        frame = frame.join(lifetime_kpis(log, costs.lifetime, frame, days, reps))
    frame = frame.join(loop_kpis(log, reps)).join(loyalty_kpis(log, reps))
    counts = ["visits", "customers", "orders", "stockouts", "multichannel_customers"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame.reset_index()


def _customer_kpis(
    full: pd.DataFrame, log: pd.DataFrame, horizon: float | None, warmup: float
) -> pd.DataFrame:
    """Repeat visits and purchases, value per customer, week-1 retention of the cohorts, and
    single- against multi-channel customers, per replication (:mod:`simulation.customers`)."""
    visits = cohorts.visit_weeks(full, warmup)
    back = cohorts.came_back(visits, cohorts.whole_weeks(full, horizon, warmup))
    return customer_values.channel_kpis(customer_values.customers(log), back)


def time_average(
    log: pd.DataFrame, entering: pd.Series, leaving: pd.Series, since: float, until: float
) -> pd.Series:
    """Per replication, the time-average number present over ``[since, until]``, counting
    +1 at each ``entering`` event and -1 at each ``leaving`` one (boolean masks of the log)."""
    steps = pd.concat(
        [
            log.loc[entering, ["replication", "t"]].assign(step=1),
            log.loc[leaving, ["replication", "t"]].assign(step=-1),
        ]
    ).sort_values(["replication", "t"], kind="stable")
    out = {}
    for rep, part in steps.groupby("replication", sort=True):
        t = part["t"].to_numpy(dtype=float)
        present = np.cumsum(part["step"].to_numpy())  # after each event
        edges = np.clip(np.append(t, until), since, until)
        out[rep] = float((present * np.diff(edges)).sum() / (until - since))
    return pd.Series(out, name="time_average", dtype=float)


def at_pickup_desk(log: pd.DataFrame, since: float, until: float) -> pd.Series:
    """Time-average number of customers at the pickup desks (waiting or being served)."""
    visits = log["type"] == "TouchpointVisited"
    joined = visits & (log["reason"] == "pickup_queue")
    left = (visits & (log["reason"] == "pickup_reneged")) | (log["type"] == "LegPickedUp")
    return time_average(log, joined, left, since, until)


# Signed effect of each event type on the net inventory (on hand - units on backorder); filling
# a backorder leaves it unchanged (one unit less on backorder, one unit less on hand).
_NET = {**ON_HAND, "BackorderPlaced": -1, "BackorderFilled": 1}


def period_ends(period: float, since: float, until: float) -> np.ndarray:
    """Ends of the whole review periods (k P, (k + 1) P] that lie inside [since, until]."""
    first = math.ceil(since / period - 1e-9) * period
    return np.arange(first + period, until + 1e-9 * period, period)


def net_inventory_at(log: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """Net inventory (on hand - units on backorder) per (replication, location, sku) after
    every event at <= each of ``times`` (sorted). Columns: replication, location, sku, t, net."""
    moves = _of(log, *_NET)
    frame = moves.assign(change=_signed(moves, _NET))
    parts = []
    for (replication, location, sku), part in _group(frame, _STOCK_KEY):
        level = part["change"].cumsum().to_numpy()
        after = np.searchsorted(part["t"].to_numpy(dtype=float), times, side="right")
        net = np.where(after > 0, level[np.maximum(after - 1, 0)], 0)
        frame_part = {"location": location, "sku": sku, "t": times, "net": net}
        parts.append(pd.DataFrame({"replication": replication, **frame_part}))
    columns = ["replication", "location", "sku", "t", "net"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodCosts:
    """Costs of a periodic-review inventory: ``holding`` per unit on hand net at a period's end,
    ``shortage`` per unit on backorder net at its end, ``fixed_order`` per replenishment order."""

    holding: float
    shortage: float
    fixed_order: float = 0.0


def period_costs(
    log: pd.DataFrame, costs: PeriodCosts, *, period: float, since: float, until: float
) -> pd.DataFrame:
    """Inventory cost of every whole review period after ``since``, summed over locations and
    skus: h (net)^+ + p (net)^- at the period's end, plus K per replenishment receipt in it.

    Columns: replication, t (the period's end), holding, shortage, ordering, cost. An order
    is counted by its receipt (``StockReceived``, reason replenishment), in the period it
    arrives: the same period it was placed in when the lead time is shorter than a period.
    Backorders count net of stock on hand (the textbook inventory level), however filled.
    """
    ends = period_ends(period, since, until)
    levels = net_inventory_at(log, ends)
    net = levels["net"].to_numpy(dtype=float)
    frame = levels.assign(
        holding=costs.holding * np.maximum(net, 0), shortage=costs.shortage * np.maximum(-net, 0)
    )
    table = frame.groupby(["replication", "t"], sort=True)[["holding", "shortage"]].sum()
    orders = _orders_by_period(log, ends, period).reindex(table.index, fill_value=0)
    table["ordering"] = costs.fixed_order * orders
    table["cost"] = table["holding"] + table["shortage"] + table["ordering"]
    return table.reset_index()


def _orders_by_period(log: pd.DataFrame, ends: np.ndarray, period: float) -> pd.Series:
    """Replenishment receipts per (replication, end of the period (end - P, end] they fall in)."""
    received = _of(log, "StockReceived")
    received = received[received["reason"] == "replenishment"]
    t = received["t"].to_numpy(dtype=float)
    slot = np.searchsorted(ends, t, side="left")
    inside = (slot < len(ends)) & (t > (ends[0] - period if len(ends) else np.inf))
    frame = pd.DataFrame(
        {"replication": received["replication"].to_numpy()[inside], "t": ends[slot[inside]]}
    )
    return frame.groupby(["replication", "t"]).size()
