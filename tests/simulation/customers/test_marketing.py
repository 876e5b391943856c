"""Campaign economics from the log: costs, acquisitions, CAC, ROAS; the campaign's own
customers beside the same base customers (common random numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation import api
from simulation.customers.marketing import campaign_table, kpis
from simulation.engine.compile import plan_of
from simulation.engine.run import run_replication
from simulation.scenario import load_scenario
from simulation.scenario.library import scenario_file

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
COSTS = {"post": (1000.0, 0.5), "mail": (200.0, 0.0)}


def _log() -> pd.DataFrame:
    rows = [
        ("CampaignTouched", 1, None, None, "post"),
        ("CampaignTouched", 2, None, None, "post"),
        ("CampaignTouched", 3, None, None, "mail"),
        ("OrderPlaced", 1, 11, 80.0, None),
        ("OrderPlaced", 1, 12, 20.0, None),
        ("OrderPlaced", 4, 13, 50.0, None),  # a base customer: new, not acquired
        ("RefundIssued", None, 12, 20.0, "returned"),
    ]
    frame = pd.DataFrame(rows, columns=["type", "customer", "order", "amount", "reason"])
    return frame.assign(replication=0)


def test_costs_acquisitions_cac_and_roas() -> None:
    table = campaign_table(_log(), COSTS).set_index("campaign")
    post, mail = table.loc["post"], table.loc["mail"]
    assert (post["visits"], post["acquired_customers"], post["cost"]) == (2, 1, 1001.0)
    assert post["ordered_value"] == 100.0
    assert post["net_value"] == 80.0
    assert post["cac"] == 1001.0
    assert post["roas"] == pytest.approx(100.0 / 1001.0)
    assert (mail["acquired_customers"], mail["cost"]) == (0, 200.0)
    assert np.isnan(mail["cac"])
    row = kpis(_log(), COSTS, pd.Index([0], name="replication")).iloc[0]
    assert row["marketing_cost"] == 1201.0
    assert row["new_customers"] == 2
    assert row["acquired_customers"] == 1
    assert row["cac"] == 1201.0
    assert row["acquired_value"] == 80.0


def test_no_campaign_costs_nothing_and_divides_by_nothing() -> None:
    log = _log()
    row = kpis(log[log["type"] != "CampaignTouched"], {}, pd.Index([0])).iloc[0]
    assert row["marketing_cost"] == 0.0
    assert row["acquired_customers"] == 0
    assert np.isnan(row["cac"])
    assert np.isnan(row["roas"])


def test_the_campaigns_customers_come_beside_the_same_base_customers() -> None:
    """With the campaign the base customers arrive as without it (same ids, times, channels,
    segments); the campaign's customers are the ones after them, each noted as touched."""
    campaign = {
        "name": "early", "kind": "email_blast", "start_day": 0.5, "end_day": 1.5,
        "multiplier": 4.0, "channels": ["email"], "cost": 500.0,
    }  # fmt: skip
    base = load_scenario(scenario_file("baseline")).with_overrides({"horizon_days": 2})
    with_it = base.with_overrides({"arrivals.campaigns": [campaign]})

    def first_visits(scenario: object) -> pd.DataFrame:
        log = run_replication(plan_of(scenario), seed=3).log.to_table().to_pandas()  # type: ignore[arg-type]
        arrived = log[log["type"] == "CustomerArrived"].drop_duplicates("customer")
        touched = set(log.loc[log["type"] == "CampaignTouched", "customer"])
        picked = arrived[["customer", "t", "channel", "segment"]].astype(
            {"channel": str, "segment": str}
        )
        return picked.assign(touched=arrived["customer"].isin(touched))

    alone, both = first_visits(base), first_visits(with_it)
    assert not alone["touched"].any()
    kept = both[~both["touched"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, alone.reset_index(drop=True))
    brought = both[both["touched"]]
    assert len(brought) > 20
    assert brought["customer"].min() > alone["customer"].max()
    assert set(brought["channel"]) == {"email"}
    assert brought["t"].between(0.5 * 1440, 1.5 * 1440).all()


def test_compare_gives_the_campaigns_incremental_customers_with_a_ci() -> None:
    table = api.compare(
        SCENARIOS / "baseline.toml", SCENARIOS / "email-vs-instagram.toml", replications=3, seed=1,
        overrides={"horizon_days": 19, "arrivals.per_hour": 20},
    )  # fmt: skip
    row = table[(table["kpi"] == "new_customers") & (table["scenario"] == "email-vs-instagram")]
    assert float(row["diff_ci_low"].iloc[0]) > 0  # customers the campaigns added, paired by seed
