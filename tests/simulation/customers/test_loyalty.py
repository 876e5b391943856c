"""The loyalty programme: its fold, points and tiers, enrolment at orders, members' effects."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from simulation.customers.kpis import LOYALTY_KPI_NAMES, loyalty_kpis
from simulation.customers.loyalty import (
    Member,
    Programme,
    TierRule,
    points_for,
    redeemable,
    tier_of,
)
from simulation.domain import events as e
from simulation.engine.plan import LoyaltyPlan
from simulation.engine.run import run_replication
from simulation.engine.world import World
from simulation.errors import InputError
from simulation.scenario import load_scenario
from simulation.types import Channel, CustomerId, OrderId, SimTime
from tests.simulation.customers.test_loop import SCENARIOS_DIR, loop
from tests.simulation.plans import small_plan

TIERS = (TierRule("member", 0, 1.0), TierRule("silver", 100, 1.5))


def test_the_fold_keeps_balances_and_points_earned() -> None:
    fold, c, o = Programme(), CustomerId(4), OrderId(1)
    for event in (
        e.LoyaltyEnrolled(t=SimTime(0.0), customer=c, channel=Channel.APP, segment="s", order=o,
                          reason="member"),
        e.PointsEarned(t=SimTime(0.0), customer=c, order=o, qty=120, reason="member"),
        e.PointsRedeemed(t=SimTime(1.0), customer=c, order=o, qty=100, amount=1.0),
    ):  # fmt: skip
        fold.apply(event)
    assert fold.members == {4: Member(balance=20, earned=120)}
    assert tier_of(120, TIERS).name == "silver"
    assert tier_of(99, TIERS).name == "member"


def test_points_and_redemption_in_whole_steps_worth_at_most_the_order() -> None:
    assert points_for(49.99, 1.0, 1.5) == 74
    assert redeemable(350, 100, 0.01, 50.0) == 300
    assert redeemable(350, 100, 0.01, 2.5) == 200  # 3 steps would be worth more than the order
    assert redeemable(99, 100, 0.01, 50.0) == 0


def _programme(**changes: object) -> LoyaltyPlan:
    values: dict[str, object] = {
        "enrolment": dict.fromkeys(Channel, 0.5), "segments": (1.0, 1.0), "points_per_unit": 1.0,
        "point_value": 0.01, "redeem_at": 50, "tiers": TIERS, "retention_bonus": 2.0,
        "basket_bonus": 0.0,
    } | changes  # fmt: skip
    return LoyaltyPlan(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def members() -> World:
    plan = small_plan(days=6.0, rate=25.0)
    programme = replace(loop(plan), loyalty=_programme())
    return run_replication(replace(plan, loop=programme), seed=5)


def test_customers_enrol_at_an_order_and_members_come_back_more(members: World) -> None:
    frame = members.log.to_frame()
    enrolled = frame[frame["type"] == "LoyaltyEnrolled"]
    placed = frame[frame["type"] == "OrderPlaced"]
    assert len(enrolled) > 20
    assert set(enrolled["order"]) <= set(placed["order"])
    assert enrolled["customer"].is_unique
    row = loyalty_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert row["member_retention_rate"] > row["other_retention_rate"]
    assert row["points_redeemed"] > 0
    assert row["rewards_cost"] == pytest.approx(row["points_redeemed"] * 0.01)
    earned = frame[frame["type"] == "PointsEarned"]
    assert set(earned["reason"].astype("string")) <= {"member", "silver"}


def test_without_a_programme_its_kpis_are_unknown() -> None:
    frame = run_replication(small_plan(days=1.0), seed=1).log.to_frame()
    row = loyalty_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert row[list(LOYALTY_KPI_NAMES)].isna().all()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("\n[satisfaction]\n", None),
        ("", "loyalty"),
        ("\n[satisfaction]\n[loyalty.segments]\nvip = 0.5\n", "loyalty.segments.vip"),
    ],
    ids=["valid", "needs satisfaction", "unknown segment"],
)
def test_a_loyalty_table_is_checked(tmp_path: Path, text: str, field: str | None) -> None:
    base = (SCENARIOS_DIR / "baseline.toml").read_text()
    base = base[: base.index("[satisfaction]")]  # the baseline without its loop tables
    path = tmp_path / "loyal.toml"
    path.write_text(base + "\n[loyalty]\nenrolment = { app = 0.3 }\n" + text)
    if field is None:
        assert load_scenario(path).loyalty is not None
        return
    with pytest.raises(InputError) as raised:
        load_scenario(path)
    assert f"{field}: expected" in str(raised.value)


def test_tiers_rise(tmp_path: Path) -> None:
    path = tmp_path / "tiers.toml"
    path.write_text(
        'extends = "' + str(SCENARIOS_DIR / "baseline.toml") + '"\n[[loyalty.tiers]]\n'
        'name = "a"\npoints = 0\n[[loyalty.tiers]]\nname = "b"\npoints = 0\n'
    )
    with pytest.raises(InputError) as raised:
        load_scenario(path)
    assert "loyalty.tiers[1].points: expected more than tiers[0] (0), got 0" in str(raised.value)
