"""The customer loop in the engine: zero weights are the constant model, the KPIs' fold is the
engine's, surveys and churn follow the scenario."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from simulation.customers.kpis import LOOP_EVENTS, experiences, loop_kpis
from simulation.customers.satisfaction import NO_REASON, SatisfactionModel
from simulation.engine.plan import LoopPlan, Plan
from simulation.engine.run import run_replication
from simulation.engine.world import World
from simulation.scenario.satisfaction import FACTORS
from tests.simulation.plans import small_plan

DAYS = 6.0
SCENARIOS_DIR = Path(__file__).resolve().parents[3] / "scenarios"


def loop(plan: Plan, *, response_rate: float = 0.5, **model: object) -> LoopPlan:
    values: dict[str, object] = {
        "baseline": 7.5, "weights": {}, "half_life": 30 * 1440.0, "retention": 0.0, "delay": 0.0,
    } | model  # fmt: skip
    return LoopPlan(
        models=tuple(SatisfactionModel(**values) for _ in plan.segments),  # type: ignore[arg-type]
        response_rate=response_rate,
        answer_sd=1.0,
        delivery_days=2.0,
        collect_hours=24.0,
    )


def _without_loop_events(world: World) -> pd.DataFrame:
    frame = world.log.to_frame()
    frame = frame[~frame["type"].isin(LOOP_EVENTS)].drop(columns=["seq", "command"])
    words = ("type", "channel", "location", "sku", "mode", "reason", "segment")
    return frame.astype(dict.fromkeys(words, "string")).reset_index(drop=True)


@pytest.fixture(scope="module")
def unhappy() -> World:
    """Slow carriers, late days and stock-outs that weigh, and a steep retention link."""
    plan = replace(small_plan(days=DAYS, rate=30.0), ship_days=(4.0, 1.0))
    weights = {"late_day": -2.0, "stock_out": -1.0, "hold_expired": -2.0, "on_time": 0.5}
    return run_replication(replace(plan, loop=loop(plan, weights=weights, retention=1.0)), seed=3)


@pytest.mark.parametrize("seed", [1, 2])
def test_zero_weights_give_the_constant_model_visit_for_visit(seed: int) -> None:
    plan = small_plan(days=DAYS)
    old = run_replication(plan, seed=seed)
    new = run_replication(replace(plan, loop=loop(plan, retention=1.0, delay=1.0)), seed=seed)
    assert not old.log.to_frame()["type"].isin(LOOP_EVENTS).any()
    pd.testing.assert_frame_equal(_without_loop_events(old), _without_loop_events(new))
    types = set(new.log.to_frame()["type"].astype("string"))
    assert set(LOOP_EVENTS) <= types  # the same visits, with promises, surveys and churns


def test_the_constant_model_repeats_at_the_segments_rate() -> None:
    plan = small_plan(days=40.0, rate=10.0)
    frame = run_replication(plan, seed=4).log.to_frame()
    arrived = frame[frame["type"] == "CustomerArrived"]
    per = arrived.groupby("customer").size()
    first = arrived.drop_duplicates("customer").set_index("customer")["segment"].astype("string")
    early = frame.loc[arrived.index].groupby("customer")["t"].min() < 20 * 1440  # decided
    for segment in plan.segments:
        mine = per[(first == segment.name) & early]
        # P(>= 2 visits) = repeat_rate (the next visit comes within the horizon nearly always)
        share = float((mine >= 2).mean())
        se = (segment.repeat_rate * (1 - segment.repeat_rate) / len(mine)) ** 0.5
        assert abs(share - segment.repeat_rate) < 4 * se + 0.01, (segment.name, share)


def test_the_kpis_fold_the_log_as_the_engine_did(unhappy: World) -> None:
    assert unhappy.loop is not None
    folded = experiences(unhappy.log.to_frame())[0]
    assert folded.customers == unhappy.loop.experience.customers
    assert (folded.late_legs, folded.promised_legs) == (
        unhappy.loop.experience.late_legs, unhappy.loop.experience.promised_legs,
    )  # fmt: skip
    assert folded.late_legs > 0


def test_surveys_answer_at_the_response_rate_within_their_scales(unhappy: World) -> None:
    frame = unhappy.log.to_frame()
    answers = frame[frame["type"] == "SurveyAnswered"]
    nps, csat = (answers[answers["reason"] == q]["qty"].astype(int) for q in ("nps", "csat"))
    assert len(nps) == len(csat) > 50
    assert nps.between(0, 10).all()
    assert csat.between(1, 5).all()
    fold = experiences(frame)[0]
    settled = sum(o.settled for o in fold.orders.values())
    assert abs(len(nps) / settled - 0.5) < 4 * (0.25 / settled) ** 0.5


def test_churn_names_the_factor_that_weighed_most(unhappy: World) -> None:
    frame = unhappy.log.to_frame()
    churned = frame[frame["type"] == "CustomerChurned"]
    reasons = set(churned["reason"].astype("string"))
    assert reasons <= {*FACTORS, NO_REASON}
    assert "late_day" in reasons
    assert churned["amount"].between(0, 10).all()
    kpis = loop_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert 0 < kpis["churn_rate"] < 1
    assert 0 < kpis["retention_rate"] < 1
    assert kpis["late_delivery_rate"] > 0.3  # 4 days' carriers against a 2 days' promise


def test_unhappy_customers_come_back_less() -> None:
    plan = replace(small_plan(days=DAYS, rate=30.0), ship_days=(4.0, 1.0))
    weights = {"late_day": -2.0, "stock_out": -1.0}
    rates = []
    for slope in (0.0, 1.5):
        world = run_replication(replace(plan, loop=loop(plan, weights=weights, retention=slope)), 3)
        rates.append(loop_kpis(world.log.to_frame(), pd.Index([0]))["retention_rate"].iloc[0])
    assert rates[1] < rates[0]
