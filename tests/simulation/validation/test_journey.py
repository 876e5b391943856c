"""The journey study: the shipped segments' journeys against their absorbing chains."""

from __future__ import annotations

import pytest

from simulation.engine.compile import plan_of
from simulation.engine.run import simulate
from simulation.errors import OmnicanalError
from simulation.validation import CASES, run_rows
from simulation.validation.journey import scenario_of, shipped_segments, visits_of


def test_every_shipped_segment_holds_its_chain() -> None:
    rows = run_rows(CASES["journey"], {"customers": 1500}, replications=6, seed=2, workers=2)
    names = [s.name for s in shipped_segments()]
    assert sorted({r.parameters["segment"] for r in rows}) == sorted(names)
    per_segment = len(rows) // len(names)
    assert per_segment == 3 + 3 + 4 + 6  # ends, logged steps, cart/moves/minutes/channels, firsts
    assert all(r.replications == 6 and r.horizon_days == 4 for r in rows)
    missed = [(r.metric, r.exact, r.ci_low, r.ci_high) for r in rows if not r.inside]
    assert not missed
    social = {r.metric.split(" (")[0]: r.exact for r in rows if r.parameters["segment"] == "social"}
    # the default transitions, by first-step analysis: h_a = P(purchase | add_to_cart) solves
    # h_a = 0.55 + 0.1 * 0.8 + 0.15 * (0.45 + 0.05 * (0.5 + 0.2 * h_a))
    h_a = (0.55 + 0.08 + 0.15 * (0.45 + 0.025)) / (1 - 0.15 * 0.05 * 0.2)
    h_check = 0.55 * h_a + 0.1 * 0.8
    h_research = (0.45 * h_a + 0.2 * h_check) / 0.9
    purchase = 0.45 * h_research + 0.25 * h_a + 0.1 * h_check
    assert social["social: P(ends in a purchase)"] == pytest.approx(purchase, rel=1e-12)
    assert social["social: visits to research"] == pytest.approx(0.45 + 0.45 * 0.1 / 0.9)


def test_the_shipped_segments_are_each_journey_once() -> None:
    names = [s.name for s in shipped_segments()]
    # click-and-collect-push redefines the segments without the browser's transitions
    assert names == ["social", "loyal", "browser", "browser (click-and-collect-push)"]


def test_the_log_shows_each_visit_as_the_chain_runs_it() -> None:
    steps = {
        "discover": {"research": 1.0}, "research": {"check_stock": 1.0},
        "check_stock": {"add_to_cart": 1.0}, "add_to_cart": {"move_cart": 1.0},
        "move_cart": {"checkout": 1.0},
    }  # fmt: skip
    scenario = scenario_of(200)
    fixed = {f"segments.{i}.transitions": steps for i in range(len(scenario.segments))}
    fixed |= {f"segments.{i}.channel_switch": 0.0 for i in range(len(scenario.segments))}
    visits = visits_of(simulate(plan_of(scenario.with_overrides(fixed)), seed=3).to_frame())
    assert len(visits) > 150
    for column, value in {
        "checkout": 1, "abandon": 0, "leave": 0, "discover": 1, "research": 1, "check_stock": 1,
        "contact_service": 0, "carts": 1, "moves": 1, "channels": 1,
    }.items():  # fmt: skip
        assert (visits[column] == value).all(), column
    assert (visits["minutes"] > 0).all()
    started = visits[visits["first"] == "web"]
    assert (started["first web"] == 1).all()
    assert visits.loc[visits["first"] != "web", "first web"].isna().all()


def test_a_stock_out_breaks_the_regime_and_says_so() -> None:
    short = scenario_of(300).with_overrides({"catalogue.stock": {"warehouse": 1, "store": 0}})
    log = simulate(plan_of(short), seed=1).to_frame()
    with pytest.raises(OmnicanalError, match=r"regime of journey\.toml was not reached"):
        visits_of(log)
