"""Each buyer's recency, frequency and monetary value, in the convention BTYD models read.

Buy-till-you-die models (BG/NBD, Pareto/NBD, Gamma-Gamma: Fader, Hardie & Lee 2005) are fitted
to one row per customer with at least one purchase, as `lifetimes` and PyMC-Marketing's
``rfm_summary`` write it, counting in whole periods (days here):

- ``frequency``: repeat purchases, the periods with a purchase after the first one;
- ``recency``: the customer's age at their last purchase (last period - first period);
- ``T``: their age at the end of the observation (last period of the run - first period);
- ``monetary_value``: the mean value of the repeat periods' purchases (0 with none; the first
  purchase is left out, as the Gamma-Gamma model expects).

A purchase is an ``OrderPlaced`` event and its value the order's ``amount`` (currency units,
before refunds). Two orders in one day are one purchase period of their summed value.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.types import MINUTES_PER_DAY

COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
"""The table's columns, named as lifetimes and PyMC-Marketing name them."""
UNITS = {"frequency": "purchases", "recency": "days", "T": "days", "monetary_value": "currency"}


def rfm_table(log: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """One row per customer who bought in ``log`` (one replication), sorted by customer;
    ``horizon_days`` is the run's length: its last day is the end of the observation."""
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be > 0, got {horizon_days}")
    if "replication" in log and log["replication"].nunique() > 1:
        raise ValueError("rfm_table: one replication at a time (customer ids repeat across them)")
    orders = log.loc[log["type"] == "OrderPlaced", ["customer", "t", "amount"]]
    if orders.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS}).astype(
            {"customer_id": "int64", "frequency": "int64"}
        )
    day = np.floor(orders["t"].to_numpy(float) / MINUTES_PER_DAY).astype(np.int64)
    per_day = (
        pd.DataFrame({"customer_id": orders["customer"].astype("int64").to_numpy(), "day": day,
                      "value": orders["amount"].to_numpy(float)})
        .groupby(["customer_id", "day"], sort=True)["value"].sum().reset_index()
    )  # fmt: skip
    last_day = math.ceil(horizon_days) - 1
    grouped = per_day.groupby("customer_id", sort=True)
    first = grouped["day"].transform("min")
    repeat = per_day["day"] > first
    table = pd.DataFrame(
        {
            "frequency": grouped["day"].size() - 1,
            "recency": (grouped["day"].max() - grouped["day"].min()).astype(float),
            "T": (last_day - grouped["day"].min()).astype(float),
            "monetary_value": per_day[repeat].groupby("customer_id")["value"].mean(),
        }
    )
    table["monetary_value"] = table["monetary_value"].fillna(0.0)
    return table.rename_axis("customer_id").reset_index()[list(COLUMNS)]
