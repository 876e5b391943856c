"""Journeys from the demo log: who did what, in order, and the replay schedule."""

from __future__ import annotations

import pytest

from loadtests.journeys import journeys, schedule, shard
from simulation.demo import run_demo


@pytest.fixture(scope="module")
def found() -> list:  # type: ignore[type-arg]
    return journeys(run_demo().log.to_frame())


def test_a_cart_started_in_the_app_and_finished_in_store(found: list) -> None:  # type: ignore[type-arg]
    first = next(j for j in found if j.customer == 1)
    assert [s.kind for s in first.steps] == [
        "browse", "browse", "open_cart", "add_to_cart", "move_cart", "checkout", "pay", "hand_over",
    ]  # fmt: skip
    add = first.steps[3]
    assert add.data == {"channel": "app", "sku": "TEE", "cart": 1, "qty": 2, "amount": 19.9}
    checkout = first.steps[5]
    assert checkout.data["legs"] == [
        {"location": "S01", "mode": "carry_out", "lines": [{"sku": "TEE", "qty": 2}]}
    ]


def test_every_customer_is_there_once_in_start_order(found: list) -> None:  # type: ignore[type-arg]
    assert sorted(j.customer for j in found) == list(range(1, 10))
    starts = [j.start for j in found]
    assert starts == sorted(starts)
    for j in found:
        assert [s.t for s in j.steps] == sorted(s.t for s in j.steps)


def test_back_office_steps_are_not_the_customers(found: list) -> None:  # type: ignore[type-arg]
    kinds = {s.kind for j in found for s in j.steps}
    assert kinds.isdisjoint({"ship", "deliver", "hold", "expire"})
    assert {"pick_up", "return", "cancel", "abandon", "check_stock"} <= kinds


def test_schedule_compresses_time_and_shards_cover_everyone(found: list) -> None:  # type: ignore[type-arg]
    plan = schedule(found, speedup=60.0)
    assert plan[0].start == 0.0
    second = next(s for s in plan if s.journey.customer == 2)
    assert second.offsets[:2] == (20.0, 21.0)  # t=30 and 31 minutes, first start at t=10
    shards = [list(shard(plan, i, 3)) for i in range(3)]
    assert sorted(s.journey.customer for part in shards for s in part) == list(range(1, 10))
    with pytest.raises(ValueError, match="speedup must be > 0, got 0"):
        schedule(found, speedup=0)
