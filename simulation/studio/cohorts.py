"""Customer cohorts by the week of their first visit, from the event log: how many came,
how many came back, ordered, and ordered again."""

from __future__ import annotations

import pandas as pd

MINUTES_PER_WEEK = 7 * 24 * 60.0


def cohorts(log: pd.DataFrame) -> pd.DataFrame:
    """One row per week of first visit (first replication): ``week``, ``customers``, and the
    shares ``came_back`` (another visit later), ``ordered`` and ``ordered_again`` (two orders
    or more)."""
    first = log[log["replication"] == log["replication"].min()]
    kinds = first["type"].astype("string")
    visits = first.loc[kinds == "CustomerArrived", ["customer", "t"]]
    orders = first.loc[kinds == "OrderPlaced", "customer"].value_counts()
    if visits.empty:
        return pd.DataFrame(columns=["week", "customers", "came_back", "ordered", "ordered_again"])
    per = visits.groupby("customer", observed=True)["t"].agg(["min", "size"])
    per["week"] = (per["min"] // MINUTES_PER_WEEK).astype("int64") + 1
    per["orders"] = orders.reindex(per.index, fill_value=0).to_numpy()
    table = per.groupby("week").agg(
        customers=("size", "size"),
        came_back=("size", lambda s: float((s > 1).mean())),
        ordered=("orders", lambda s: float((s > 0).mean())),
        ordered_again=("orders", lambda s: float((s > 1).mean())),
    )
    out: pd.DataFrame = table.reset_index()
    return out
