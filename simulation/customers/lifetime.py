"""Customer lifetime value (CLTV) from the log: margin to date plus the discounted margin a
BG/NBD model, fitted to the run's own buyers, expects from each of them over the next days.

Per replication the buyers' RFM table (hourly periods: :mod:`simulation.customers.rfm`) is
fitted by maximum likelihood (:func:`~simulation.validation.closed_forms.bg_nbd.fit`); each
buyer's expected repeat purchases in the ``days`` after the run come from the conditional
expectation ``E[Y(t) | x, t_x, T]`` (Fader, Hardie & Lee 2005, eq. 10), week by week, each
week's purchases discounted at ``discount_rate`` a year. A purchase is worth the buyer's mean
repeat order (everyone's mean order for a buyer with no repeat yet), times the run's margin
share (gross margin over revenue). So:

    cltv = margin share x (net value to date + sum over weeks of the week's expected purchases
           x order value / (1 + discount_rate) ^ (week's end in years))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.customers.marketing import buyer_values
from simulation.customers.rfm import rfm_table
from simulation.validation.closed_forms.bg_nbd import fit

HOUR = 1 / 24


def lifetime_values(
    log: pd.DataFrame,
    horizon_days: float,
    *,
    days: float,
    discount_rate: float,
    margin_share: float,
) -> pd.DataFrame:
    """Per buyer of one replication: ``to_date``, ``future`` and ``cltv`` (margin, currency),
    ``future`` NaN when the model cannot be fitted (too few buyers, no repeat purchase)."""
    rfm = rfm_table(log, horizon_days, period_days=HOUR)
    orders = log[log["type"] == "OrderPlaced"]
    paid = buyer_values(log).set_index("customer")
    ids = rfm["customer_id"].to_numpy()
    net = (paid["ordered"] - paid["refunded"]).reindex(ids).fillna(0.0).to_numpy()
    x, t_x, T = (rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = fit(x, t_x, T)
    if model is None:
        future = np.full(len(rfm), np.nan)
    else:
        weeks = np.arange(0.0, days + 7.0, 7.0)
        weeks[-1] = min(weeks[-1], days)
        expected = np.array([model.conditional_repeats(w, x, t_x, T) for w in weeks])
        per_week = np.diff(expected, axis=0)
        discount = (1.0 + discount_rate) ** -(weeks[1:] / 365.0)
        spend = np.where(x > 0, rfm["monetary_value"], float(orders["amount"].mean()))
        future = (per_week * discount[:, None]).sum(axis=0) * spend * margin_share
    to_date = net * margin_share
    return pd.DataFrame(
        {"customer": ids, "to_date": to_date, "future": future, "cltv": to_date + future}
    )


def lifetime_kpis(
    log: pd.DataFrame,
    lifetime: tuple[float, float] | None,
    frame: pd.DataFrame,
    horizon_days: float | None,
    reps: pd.Index,
) -> pd.DataFrame:
    """``cltv`` (mean over buyers) and ``ltv_to_cac`` (acquired buyers' mean over the CAC) per
    replication, from ``frame``'s revenue, margin and CAC; NaN without a ``lifetime`` (days,
    yearly rate) or a horizon."""
    table = pd.DataFrame({"cltv": np.nan, "ltv_to_cac": np.nan}, index=reps)
    if lifetime is None or horizon_days is None:
        return table
    days, rate = lifetime
    touched = log[log["type"] == "CampaignTouched"]
    for rep in reps.tolist():
        part = log[log["replication"] == rep]
        if part.empty:
            continue
        row = frame.loc[rep]
        revenue = float(row["revenue"])
        share = float(row["gross_margin"]) / revenue if revenue > 0 else 0.0
        values = lifetime_values(
            part, horizon_days, days=days, discount_rate=rate, margin_share=share
        )
        table.loc[rep, "cltv"] = values["cltv"].mean()
        mine = set(touched.loc[touched["replication"] == rep, "customer"].astype("int64"))
        acquired = values[values["customer"].isin(mine)]
        cac = float(row["cac"])
        if len(acquired) and np.isfinite(cac) and cac > 0:
            table.loc[rep, "ltv_to_cac"] = acquired["cltv"].mean() / cac
    return table
