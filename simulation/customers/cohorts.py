"""Retention by cohort: customers grouped by the week of their first visit, followed week by week.

Weeks are counted from the start of the measured period (the warm-up's end): week 0 is its
first seven days. A customer's cohort is the week of their first visit in the whole log; one
whose first visit falls in the warm-up has no cohort here (they are not new when measuring
starts). A customer is *active* in a week when a visit of theirs starts in it. Only whole weeks
inside the horizon are reported, so a cohort near the end has fewer weeks.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.types import MINUTES_PER_DAY

WEEK = 7 * MINUTES_PER_DAY
KEY = ["replication", "customer"]
COLUMNS = ["replication", "cohort_week", "weeks_since", "customers", "active", "retention"]


def whole_weeks(log: pd.DataFrame, horizon: float | None, warmup: float) -> int:
    """Whole weeks between the warm-up's end and the horizon (the last event's time without)."""
    end = horizon if horizon is not None else float(log["t"].max()) if len(log) else warmup
    return max(0, math.floor((end - warmup) / WEEK + 1e-9))


def visit_weeks(log: pd.DataFrame, warmup: float = 0.0) -> pd.DataFrame:
    """Every visit of a customer first seen at or after ``warmup``: replication, customer,
    cohort (the week of their first visit), week (of this visit), weeks_since (week - cohort).
    The log is in time order within a replication, as the engine writes it."""
    arrived = log.loc[log["type"] == "CustomerArrived", [*KEY, "t"]]
    t = arrived["t"].to_numpy(dtype="float64")
    _, firsts, person = np.unique(_key(arrived), return_index=True, return_inverse=True)
    first = t[firsts][person]  # each visit's customer's first visit
    kept = first >= warmup
    week = np.floor((t[kept] - warmup) / WEEK).astype("int64")
    cohort = np.floor((first[kept] - warmup) / WEEK).astype("int64")
    return arrived[KEY][kept].assign(cohort=cohort, week=week, weeks_since=week - cohort)


def _key(rows: pd.DataFrame) -> np.ndarray:
    """(replication, customer) as one sortable int64."""
    replication: np.ndarray = rows["replication"].to_numpy(dtype="int64")
    customer: np.ndarray = rows["customer"].to_numpy(dtype="int64")
    key: np.ndarray = (replication << 40) | customer
    return key


def cohorts(visits: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """The cohort table of :func:`visit_weeks` over ``weeks`` whole weeks: per (replication,
    cohort_week, weeks_since) the cohort's customers, those active that week, and their share
    (``retention``; 1 at weeks_since 0 by construction). What ``cohorts.csv`` holds."""
    inside = visits[visits["week"] < weeks]
    if inside.empty:
        return pd.DataFrame(columns=COLUMNS)
    sizes = inside.drop_duplicates(KEY).groupby(["replication", "cohort"]).size()
    active = (
        inside.drop_duplicates([*KEY, "week"])
        .groupby(["replication", "cohort", "weeks_since"])
        .size()
    )
    cells = [
        (rep, cohort, since)
        for (rep, cohort) in sizes.index
        for since in range(weeks - int(cohort))
    ]
    index = pd.MultiIndex.from_tuples(cells, names=["replication", "cohort", "weeks_since"])
    table = pd.DataFrame({"active": active.reindex(index, fill_value=0)})
    table["customers"] = sizes.reindex(index.droplevel("weeks_since")).to_numpy()
    table["retention"] = table["active"] / table["customers"]
    table = table.reset_index().rename(columns={"cohort": "cohort_week"})
    return table[COLUMNS].astype({"active": "int64", "customers": "int64"})


def came_back(visits: pd.DataFrame, weeks: int, after: int = 1) -> pd.Series:
    """Per (replication, customer) of a cohort: 1.0 if they were active ``after`` weeks after
    their cohort's week, 0.0 if not, NaN when that week is not a whole week of the horizon."""
    keys = _key(visits)
    people, firsts = np.unique(keys, return_index=True)
    back = np.isin(people, keys[visits["weeks_since"].to_numpy() == after]).astype("float64")
    cohort = visits["cohort"].to_numpy()[firsts]
    index = pd.MultiIndex.from_arrays(
        [visits["replication"].to_numpy()[firsts], visits["customer"].to_numpy()[firsts]],
        names=KEY,
    )
    return pd.Series(np.where(cohort + after < weeks, back, np.nan), index=index)


def pooled_retention(table: pd.DataFrame) -> pd.DataFrame:
    """Per (replication, weeks_since): active / customers over every cohort that has that
    week, the retention curve of the report's figure."""
    summed = table.groupby(["replication", "weeks_since"])[["active", "customers"]].sum()
    return summed.assign(retention=summed["active"] / summed["customers"]).reset_index()
