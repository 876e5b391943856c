"""What campaigns cost and bring, from the log: the visits they brought (``CampaignTouched``),
the customers they acquired, and the scenario's costs (fixed + per visit brought).

- ``marketing_cost``: every campaign's fixed cost plus its cost per visit times the visits it
  brought;
- ``new_customers``: customers who placed a first order (in a simulation every customer is
  new: its run starts with none);
- ``acquired_customers``: those among them a campaign brought;
- ``cac``: marketing cost over acquired customers (cost per acquisition);
- ``roas``: what the acquired customers ordered (order value) over the marketing cost;
- ``acquired_value``: their net value (orders less refunds) per acquired customer, within the
  horizon, to set against the CAC.

:func:`campaign_table` gives the same per campaign (``campaigns.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

COLUMNS = ("marketing_cost", "new_customers", "acquired_customers", "cac", "roas", "acquired_value")


def _touches(log: pd.DataFrame) -> pd.DataFrame:
    rows = log[log["type"] == "CampaignTouched"]
    return pd.DataFrame(
        {
            "replication": rows["replication"].to_numpy(),
            "customer": rows["customer"].astype("int64").to_numpy(),
            "campaign": rows["reason"].astype(str).to_numpy(),
        }
    )


def buyer_values(log: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, customer) who ordered: order value and refunds."""
    placed = log[log["type"] == "OrderPlaced"]
    value = placed.groupby(["replication", "customer"], observed=True)["amount"].sum()
    refunds = log[log["type"] == "RefundIssued"][["replication", "order", "amount"]]
    owner = placed[["replication", "order", "customer"]]
    refunded = (
        refunds.merge(owner, on=["replication", "order"])
        .groupby(["replication", "customer"], observed=True)["amount"]
        .sum()
    )
    table = pd.DataFrame({"ordered": value}).join(refunded.rename("refunded"), how="left")
    table["refunded"] = table["refunded"].fillna(0.0)
    table = table.reset_index()
    table["customer"] = table["customer"].astype("int64")
    return table


def campaign_table(log: pd.DataFrame, costs: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """One row per (replication, campaign): visits brought, customers acquired, their orders'
    value and net value, cost, CAC and ROAS (campaigns that brought nobody included)."""
    reps = sorted(log["replication"].unique())
    touched = _touches(log)
    buyers = buyer_values(log)
    joined = touched.merge(buyers, on=["replication", "customer"], how="left")
    rows = []
    for rep in reps:
        for name, (fixed, per_visit) in costs.items():
            mine = joined[(joined["replication"] == rep) & (joined["campaign"] == name)]
            bought = mine.dropna(subset=["ordered"])
            cost = fixed + per_visit * len(mine)
            acquired = bought["customer"].nunique()
            ordered = float(bought["ordered"].sum())
            rows.append(
                {
                    "replication": rep, "campaign": name, "visits": len(mine),
                    "acquired_customers": acquired, "ordered_value": ordered,
                    "net_value": ordered - float(bought["refunded"].sum()), "cost": cost,
                    "cac": cost / acquired if acquired else np.nan,
                    "roas": ordered / cost if cost > 0 else np.nan,
                }
            )  # fmt: skip
    columns = ["replication", "campaign", "visits", "acquired_customers", "ordered_value",
               "net_value", "cost", "cac", "roas"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def kpis(
    log: pd.DataFrame, costs: Mapping[str, tuple[float, float]], reps: pd.Index
) -> pd.DataFrame:
    """The marketing KPIs (:data:`COLUMNS`), one row per replication in ``reps``."""
    table = campaign_table(log, costs).groupby("replication")
    cost = table["cost"].sum().reindex(reps, fill_value=0.0)
    acquired = table["acquired_customers"].sum().reindex(reps, fill_value=0)
    ordered = table["ordered_value"].sum().reindex(reps, fill_value=0.0)
    net = table["net_value"].sum().reindex(reps, fill_value=0.0)
    buyers = (
        buyer_values(log).groupby("replication")["customer"].nunique().reindex(reps, fill_value=0)
    )
    return pd.DataFrame(
        {
            "marketing_cost": cost,
            "new_customers": buyers.astype("int64"),
            "acquired_customers": acquired.astype("int64"),
            "cac": cost / acquired.where(acquired > 0),
            "roas": ordered / cost.where(cost > 0),
            "acquired_value": net / acquired.where(acquired > 0),
        },
        index=reps,
    )
