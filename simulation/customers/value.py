"""Customers' value and channels within the horizon, each a projection of the log alone.

A customer is someone with a ``CustomerArrived`` in the log. Their *shopping channels* are the
distinct channels of every event that names them (visits, steps, carts, orders, pickups),
leaving out the service lines ``chat`` and ``phone``: a question asked by phone does not make
an online shopper a multi-channel one, a click & collect pickup in the store does. A customer
who touched two or more shopping channels within the horizon is *multi-channel*; the more
visits a customer makes, the more channels they can touch, so the split measures breadth and
frequency together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SERVICE_CHANNELS = ("chat", "phone")
"""Contact channels, not shopping channels."""
KEY = ["replication", "customer"]
COLUMNS = [*KEY, "segment", "first", "visits", "channels", "orders", "net_value"]


def _rows(log: pd.DataFrame, kind: str, columns: list[str]) -> pd.DataFrame:
    return log.loc[log["type"] == kind, columns]


def customers(log: pd.DataFrame) -> pd.DataFrame:
    """One row per (replication, customer) with a visit in ``log``, in that order.

    Columns: replication, customer, segment (of the first visit), first (minutes of the first
    visit), visits, channels (shopping channels touched), orders (placed), net_value (value of
    the orders placed less the refunds issued on them).
    """
    arrived = _rows(log, "CustomerArrived", [*KEY, "t", "segment"])
    if arrived.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = _key(arrived)
    people, first, visits = np.unique(keys, return_index=True, return_counts=True)
    firsts = arrived.iloc[first]
    return pd.DataFrame(
        {
            "replication": firsts["replication"].array,  # the log's types
            "customer": firsts["customer"].array,
            "segment": firsts["segment"].astype("string").to_numpy(),
            "first": firsts["t"].to_numpy(dtype="float64"),  # the log is in time order
            "visits": visits.astype("int64"),
            "channels": _channels(log, people),
            **_orders(log, people),
        }
    )


def _key(rows: pd.DataFrame) -> np.ndarray:
    """(replication, customer) as one sortable int64."""
    replication: np.ndarray = rows["replication"].to_numpy(dtype="int64")
    customer: np.ndarray = rows["customer"].to_numpy(dtype="int64")
    key: np.ndarray = (replication << 40) | customer
    return key


def _where(people: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each key's position in ``people`` (sorted), and whether it is there."""
    where = np.minimum(np.searchsorted(people, keys), len(people) - 1)
    return where, people[where] == keys


def _count_by(
    keys: np.ndarray, people: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Per key of ``people`` (sorted), how many ``keys`` (or their ``weights``' sum) it has;
    keys of people not in ``people`` (first seen in the warm-up) are left out."""
    where, known = _where(people, keys)
    chosen = None if weights is None else weights[known]
    return np.bincount(where[known], weights=chosen, minlength=len(people))


def _channels(log: pd.DataFrame, people: np.ndarray) -> np.ndarray:
    """Distinct shopping channels per customer of ``people``."""
    channel = log["channel"].astype("category").cat  # as read, it already is
    service = channel.categories.isin(SERVICE_CHANNELS)
    codes = channel.codes.to_numpy()
    customer = log["customer"].to_numpy(dtype="int64", na_value=-1)
    shopping = (customer >= 0) & (codes >= 0) & ~service[np.maximum(codes, 0)]
    replication = log["replication"].to_numpy(dtype="int64")[shopping]
    where, known = _where(people, (replication << 40) | customer[shopping])
    codes, width = codes[shopping][known].astype("int64"), len(channel.categories)
    where = where[known]
    cells = np.bincount(where * width + codes, minlength=len(people) * width)
    touched: np.ndarray = (cells.reshape(len(people), width) > 0).sum(axis=1)
    return touched.astype("int64")


def _orders(log: pd.DataFrame, people: np.ndarray) -> dict[str, np.ndarray]:
    """Orders placed and their net value (less refunds), per customer of ``people``."""
    placed = _rows(log, "OrderPlaced", [*KEY, "order", "amount"])
    refunds = _rows(log, "RefundIssued", ["replication", "order", "amount"])
    refunded = refunds.groupby(["replication", "order"], sort=False)["amount"].sum()
    back = pd.MultiIndex.from_frame(placed[["replication", "order"]])
    net = placed["amount"].to_numpy(dtype="float64") - refunded.reindex(
        back, fill_value=0.0
    ).to_numpy(dtype="float64")
    keys = _key(placed)
    return {
        "orders": _count_by(keys, people).astype("int64"),
        "net_value": _count_by(keys, people, net).astype("float64"),
    }


def _mean_where(values: pd.Series, mask: pd.Series, by: pd.Series) -> pd.Series:
    return values[mask].groupby(by[mask]).mean()


def channel_kpis(people: pd.DataFrame, came_back: pd.Series) -> pd.DataFrame:
    """Per replication: single- against multi-channel customers, from :func:`customers`.

    ``came_back`` says, per (replication, customer), whether a customer of a cohort came back
    the week after (NaN: that week is not inside the horizon): see
    :func:`simulation.customers.cohorts.came_back`.
    """
    rep = people["replication"]
    multi = people["channels"] >= 2
    ours = came_back.reindex(pd.MultiIndex.from_frame(people[KEY]))
    back = pd.Series(ours.to_numpy(dtype="float64"), index=people.index)
    seen = back.notna()
    buyers = people["orders"] > 0
    frame = pd.DataFrame(
        {
            "repeat_visit_rate": (people["visits"] > 1).groupby(rep).mean(),
            "repeat_purchase_rate": _mean_where(people["orders"] > 1, buyers, rep),
            "customer_value": people["net_value"].groupby(rep).mean(),
            "retention_week_1": _mean_where(back, seen, rep),
            "multichannel_customers": multi.groupby(rep).sum(),
            "multichannel_share": multi.groupby(rep).mean(),
        }
    )
    for name, group in (("multichannel", multi), ("single_channel", ~multi)):
        frame[f"{name}_orders_per_customer"] = _mean_where(people["orders"], group, rep)
        frame[f"{name}_customer_value"] = _mean_where(people["net_value"], group, rep)
        frame[f"{name}_retention"] = _mean_where(back, group & seen, rep)
    return frame.astype({"multichannel_customers": "int64"}).rename_axis("replication")
