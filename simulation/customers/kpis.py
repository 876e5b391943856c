"""The customer loop's KPIs and tables, from the event log alone.

- ``nps``: % of promoters (answers 9-10) less % of detractors (0-6) over the 0-10 answers of
  ``SurveyAnswered`` (reason ``nps``), -100 to 100.
- ``csat``: mean 1-5 answer of ``SurveyAnswered`` (reason ``csat``).
- ``survey_responses``: surveys answered (one per responding order).
- ``churn_rate``: customers who churned (``CustomerChurned``) out of the customers who came.
- ``retention_rate``: next-visit decisions that came back (visits after a customer's first)
  out of all those decided in the horizon (those, and the churns).
- ``late_delivery_rate``: legs with a promise that reached the customer (or the desk) after it,
  out of those received or made ready (the :class:`Experience` projection's count).

The loop's KPIs are NaN in a replication without any loop event (no ``[satisfaction]``
table: the log cannot say whether anyone churned). :func:`surveys` breaks NPS and CSAT down
by channel and fulfilment mode; :func:`experience_table` lists what each customer met.
"""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd

from simulation.customers.experience import NO_STOCK_PREFIX, TYPES, Experience
from simulation.customers.surveys import DETRACTOR, PROMOTER
from simulation.eventlog import iter_events
from simulation.scenario.satisfaction import FACTORS

LOOP_EVENTS = ("DeliveryPromised", "SurveyAnswered", "CustomerChurned")
"""Event types only a scenario with a satisfaction table logs."""
KPI_NAMES = (
    "nps", "csat", "survey_responses", "churn_rate", "retention_rate", "late_delivery_rate",
)  # fmt: skip
_READ_REASONS = ("pickup_reneged", "contact_service")
LOYALTY_EVENTS = ("LoyaltyEnrolled", "PointsEarned", "PointsRedeemed")
"""Event types only a scenario with a loyalty table logs."""
LOYALTY_KPI_NAMES = (
    "members", "member_share", "points_earned", "points_redeemed", "rewards_cost",
    "member_retention_rate", "other_retention_rate", "member_value", "other_value",
)  # fmt: skip


def _of(log: pd.DataFrame, kind: str) -> pd.DataFrame:
    return log[log["type"] == kind]


def _answers(log: pd.DataFrame, question: str) -> pd.DataFrame:
    surveyed = _of(log, "SurveyAnswered")
    return surveyed[surveyed["reason"] == question]


def _nps(answers: pd.Series) -> float:
    values = answers.astype("int64")
    if values.empty:
        return float("nan")
    return 100.0 * float((values >= PROMOTER).mean() - (values <= DETRACTOR).mean())


def loop_kpis(log: pd.DataFrame, reps: pd.Index) -> pd.DataFrame:
    """The loop's KPIs (module docstring), one row per replication of ``reps``."""
    loop_reps = log.loc[log["type"].isin(LOOP_EVENTS), "replication"].unique()
    if not len(loop_reps):
        return pd.DataFrame(np.nan, index=reps, columns=list(KPI_NAMES))
    log = log[log["replication"].isin(loop_reps)]
    arrived = _of(log, "CustomerArrived").groupby("replication")
    visits = arrived.size().reindex(reps, fill_value=0)
    customers = arrived["customer"].nunique().reindex(reps, fill_value=0)
    churned = _of(log, "CustomerChurned")
    churns = churned.groupby("replication").size().reindex(reps, fill_value=0)
    leavers = churned.groupby("replication")["customer"].nunique().reindex(reps, fill_value=0)
    recommend = _answers(log, "nps")
    csat = _answers(log, "csat")
    returned = visits - customers
    decided = returned + churns
    frame = pd.DataFrame(
        {
            "nps": _by_replication(recommend, _nps).reindex(reps),
            "csat": csat.groupby("replication")["qty"].mean().astype("float64").reindex(reps),
            "survey_responses": recommend.groupby("replication").size().reindex(reps, fill_value=0),
            "churn_rate": leavers / customers.where(customers > 0),
            "retention_rate": returned / decided.where(decided > 0),
            "late_delivery_rate": _late_rates(log).reindex(reps),
        },
        index=reps,
    )
    frame.loc[~frame.index.isin(loop_reps), list(KPI_NAMES)] = np.nan
    return frame


def _by_replication(answers: pd.DataFrame, score: typing.Callable[[pd.Series], float]) -> pd.Series:
    """``score`` of each replication's answers, as floats (an empty group-by keeps its type)."""
    return answers.groupby("replication")["qty"].apply(score).astype("float64")


def experiences(log: pd.DataFrame) -> dict[int, Experience]:
    """The :class:`Experience` projection of each replication of ``log``."""
    rows = log[log["type"].isin(TYPES)]
    visited = rows["type"] == "TouchpointVisited"
    reasons = rows["reason"].astype("string")
    kept = ~visited | reasons.str.startswith(NO_STOCK_PREFIX) | reasons.isin(_READ_REASONS)
    rows = rows[kept.fillna(False).to_numpy(dtype=bool)]
    out: dict[int, Experience] = {}
    for rep, part in rows.groupby("replication", sort=True):
        fold = out[int(typing.cast(int, rep))] = Experience()
        for event in iter_events(part.sort_values("seq", kind="stable")):
            fold.apply(event)
    return out


def _late_rates(log: pd.DataFrame) -> pd.Series:
    folds = experiences(log)
    return pd.Series(
        {
            rep: (f.late_legs / f.promised_legs if f.promised_legs else float("nan"))
            for rep, f in folds.items()
        },
        dtype="float64",
    )


def surveys(log: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, channel, mode): responses, NPS and CSAT of the surveys answered."""
    columns = ["replication", "channel", "mode", "responses", "nps", "csat"]
    answered = _of(log, "SurveyAnswered").astype({"channel": "string", "mode": "string"})
    if answered.empty:
        return pd.DataFrame(columns=columns)
    keys = ["replication", "channel", "mode"]
    recommend = answered[answered["reason"] == "nps"].groupby(keys)
    csat = answered[answered["reason"] == "csat"].groupby(keys)["qty"]
    frame = pd.DataFrame(
        {
            "responses": recommend.size(),
            "nps": recommend["qty"].apply(_nps),
            "csat": csat.mean().astype("float64"),
        }
    )
    return frame.reset_index()[columns]


def experience_table(log: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, customer): segment, visits, and how often they met each factor
    (``late_day``: the days late summed)."""
    rows = []
    for rep, fold in experiences(log).items():
        for customer, known in fold.customers.items():
            counts = dict.fromkeys(FACTORS, 0.0)
            for m in known.met:
                counts[m.factor] += m.amount
            rows.append(
                {"replication": rep, "customer": customer, "segment": known.segment,
                 "visits": known.visits, **counts}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["replication", "customer", "segment", "visits", *FACTORS])


def loyalty_kpis(log: pd.DataFrame, reps: pd.Index) -> pd.DataFrame:
    """Members against the other customers, per replication of ``reps`` (NaN without a
    loyalty programme): members and their share of customers, points earned and redeemed,
    the rewards' cost, retention (as ``retention_rate``) and net value per customer of each
    group. A member is a customer who enrolled at some point in the horizon."""
    on = log.loc[log["type"].isin(LOYALTY_EVENTS), "replication"].unique()
    frame = pd.DataFrame(np.nan, index=reps, columns=list(LOYALTY_KPI_NAMES))
    for rep in on:
        part = log[log["replication"] == rep]
        frame.loc[rep] = pd.Series(_loyalty_row(part))
    return frame


def _loyalty_row(log: pd.DataFrame) -> dict[str, float]:
    members = set(_of(log, "LoyaltyEnrolled")["customer"].astype("int64"))
    arrived = _of(log, "CustomerArrived")["customer"].astype("int64")
    visits = arrived.value_counts()
    churns = _of(log, "CustomerChurned")["customer"].astype("int64").value_counts()
    value = _net_value(log)
    is_member = visits.index.isin(list(members))
    row: dict[str, float] = {
        "members": float(len(members)),
        "member_share": len(members) / len(visits) if len(visits) else float("nan"),
        "points_earned": float(_of(log, "PointsEarned")["qty"].sum()),
        "points_redeemed": float(_of(log, "PointsRedeemed")["qty"].sum()),
        "rewards_cost": float(_of(log, "PointsRedeemed")["amount"].sum()),
    }
    for name, chosen in (("member", is_member), ("other", ~is_member)):
        who = visits.index[chosen]
        returned = float((visits[who] - 1).sum())
        decided = returned + float(churns.reindex(who, fill_value=0).sum())
        row[f"{name}_retention_rate"] = returned / decided if decided else float("nan")
        row[f"{name}_value"] = (
            float(value.reindex(who, fill_value=0.0).mean()) if len(who) else float("nan")
        )
    return row


def _net_value(log: pd.DataFrame) -> pd.Series:
    """Per customer: the value of their orders less refunds."""
    placed = _of(log, "OrderPlaced")
    owner = dict(
        zip(placed["order"].astype("int64"), placed["customer"].astype("int64"), strict=True)
    )
    refunds = _of(log, "RefundIssued")
    refunded = refunds["amount"].groupby(refunds["order"].astype("int64").map(owner)).sum()
    spent = placed["amount"].groupby(placed["customer"].astype("int64")).sum()
    return spent.sub(refunded, fill_value=0.0)
