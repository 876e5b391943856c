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
            "segment": firsts["segment"].array,
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


_CUSTOMER = (1 << 40) - 1


def _where(people: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each key's position in ``people`` (sorted), and whether it is there. Customer ids are
    counted up from 1 by whoever issued them, so a table indexed by id is small, and reading it
    costs far less than a binary search; ids too sparse for one fall back to the search."""
    if len(people) == 0:
        return np.zeros(len(keys), dtype="int64"), np.zeros(len(keys), dtype=bool)
    reps, span = np.unique(people >> 40), int((people & _CUSTOMER).max()) + 1
    if len(reps) * span > 16 * len(people) + 4096:
        where = np.minimum(np.searchsorted(people, keys), len(people) - 1)
        return where, people[where] == keys
    table = np.full(len(reps) * span, -1, dtype="int64")
    table[np.searchsorted(reps, people >> 40) * span + (people & _CUSTOMER)] = np.arange(
        len(people)
    )
    rep = np.minimum(np.searchsorted(reps, keys >> 40), len(reps) - 1)
    customer = keys & _CUSTOMER
    inside = (reps[rep] == keys >> 40) & (customer < span)
    where = np.where(inside, table[rep * span + np.where(inside, customer, 0)], -1)
    return np.maximum(where, 0), where >= 0


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


def channel_kpis(people: pd.DataFrame, came_back: pd.Series) -> pd.DataFrame:
    """Per replication: single- against multi-channel customers, from :func:`customers`.

    ``came_back`` says, per (replication, customer), whether a customer of a cohort came back
    the week after (NaN: that week is not inside the horizon): see
    :func:`simulation.customers.cohorts.came_back`.
    """
    multi = (people["channels"] >= 2).to_numpy()
    orders = people["orders"].to_numpy(dtype="float64")
    spent = people["net_value"].to_numpy(dtype="float64")
    back = _aligned(came_back, people)

    def only(values: np.ndarray, where: np.ndarray) -> np.ndarray:
        return np.where(where, values, np.nan)  # a mean over NaN-masked rows: one group-by

    columns = {
        "repeat_visit_rate": (people["visits"] > 1).to_numpy(dtype="float64"),
        "repeat_purchase_rate": only((orders > 1).astype("float64"), orders > 0),
        "customer_value": spent,
        "retention_week_1": back,
        "multichannel_customers": multi.astype("float64"),
        "multichannel_share": multi.astype("float64"),
    }
    for name, group in (("multichannel", multi), ("single_channel", ~multi)):
        columns[f"{name}_orders_per_customer"] = only(orders, group)
        columns[f"{name}_customer_value"] = only(spent, group)
        columns[f"{name}_retention"] = only(back, group)
    grouped = pd.DataFrame(columns).groupby(people["replication"].to_numpy())
    frame = grouped.mean()
    frame["multichannel_customers"] = grouped["multichannel_customers"].sum().astype("int64")
    return frame.rename_axis("replication")


def _aligned(came_back: pd.Series, people: pd.DataFrame) -> np.ndarray:
    """``came_back``'s values in the order of ``people`` (NaN for the customers it lacks)."""
    if came_back.empty:
        return np.full(len(people), np.nan)
    index = came_back.index
    replication = index.get_level_values(0).to_numpy(dtype="int64")
    customer = index.get_level_values(1).to_numpy(dtype="int64")
    keys = (replication << 40) | customer
    order = np.argsort(keys, kind="stable")
    where, known = _where(keys[order], _key(people))
    values = came_back.to_numpy(dtype="float64")[order]
    return np.where(known, values[where], np.nan)
