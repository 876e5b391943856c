"""The shipped loop scenarios: late deliveries cost NPS and retention, paired across CRN."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation import api

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SMALL = {"horizon_days": 12, "arrivals.per_hour": 15}


def test_late_deliveries_lower_nps_and_retention_with_a_ci_that_excludes_zero() -> None:
    table = api.compare(
        SCENARIOS / "baseline.toml", SCENARIOS / "late-deliveries.toml",
        replications=3, seed=1, overrides=SMALL, workers=1,
    )  # fmt: skip
    late = table[table["scenario"] == "late-deliveries"].set_index("kpi")
    for kpi in ("nps", "retention_rate", "csat"):
        assert late.loc[kpi, "diff_ci_high"] < 0, (kpi, late.loc[kpi].to_dict())
    for kpi in ("late_delivery_rate", "churn_rate"):
        assert late.loc[kpi, "diff_ci_low"] > 0, (kpi, late.loc[kpi].to_dict())


def test_the_baseline_reports_the_loop_kpis() -> None:
    done = api.run(SCENARIOS / "baseline.toml", seed=2, overrides=SMALL)
    kpis: pd.DataFrame = done.kpis
    row = kpis.iloc[0]
    assert -100 <= row["nps"] <= 100
    assert 1 <= row["csat"] <= 5
    assert row["survey_responses"] > 0
    assert 0 < row["churn_rate"] < 1
    assert 0 < row["retention_rate"] < 1
