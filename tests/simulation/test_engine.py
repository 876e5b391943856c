"""The SimPy engine on a small plan: determinism, the log as truth, journeys, CRN."""

from __future__ import annotations

import gc
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy
from scipy import stats

from simulation import projections as P
from simulation.engine.compile import plan_of
from simulation.engine.journeys import _SPENT
from simulation.engine.run import run_replication
from simulation.engine.streams import Streams
from simulation.engine.world import World
from simulation.eventlog import EventLog, read_log, rebuild, stream_to
from simulation.policies.allocation import RingFenced
from simulation.scenario import load_scenario
from simulation.types import Channel
from tests.simulation.plans import small_plan

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def world() -> World:
    return run_replication(small_plan(days=5.0), seed=11)


@pytest.fixture(scope="module")
def log(world: World) -> pd.DataFrame:
    return world.log.to_frame()


def test_same_seed_gives_a_byte_identical_log(tmp_path: Path) -> None:
    a = run_replication(small_plan(days=2.0), seed=5).log.write(tmp_path / "a.parquet")
    b = run_replication(small_plan(days=2.0), seed=5).log.write(tmp_path / "b.parquet")
    c = run_replication(small_plan(days=2.0), seed=6).log.write(tmp_path / "c.parquet")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_folding_the_log_rebuilds_the_final_state(world: World, tmp_path: Path) -> None:
    assert rebuild(read_log(world.log.write(tmp_path / "e.parquet"))) == world.backend


def test_stock_is_never_negative_in_the_log(log: pd.DataFrame) -> None:
    moves = log[log["type"].isin(list(P.ON_HAND))]
    sign = moves["type"].astype("string").map(P.ON_HAND).astype("int64")
    delta = sign * moves["qty"].astype("int64")
    running = delta.groupby(
        [moves["location"].astype("string"), moves["sku"].astype("string")]
    ).cumsum()
    assert running.min() >= 0
    assert len(moves) > 100


def test_conservation_for_each_sku_and_location(world: World, log: pd.DataFrame) -> None:
    flows = P.stock_flows(log).set_index(["location", "sku"])
    balance = (
        flows["received"]
        + flows["restocked"]
        - flows["issued"]
        - flows["written_off"]
        - flows["transferred_out"]
    )
    for (location, sku), units in balance.items():
        assert world.backend.stock_level(location, sku).on_hand == units
    assert flows["issued"].sum() > 0


def test_time_runs_forward_for_the_log_and_for_each_customer(log: pd.DataFrame) -> None:
    assert (np.diff(log["t"].to_numpy()) >= 0).all()
    with_customer = log[log["customer"].notna()]
    assert with_customer.groupby("customer")["t"].apply(lambda t: t.is_monotonic_increasing).all()


def _channels_of(log: pd.DataFrame, kind: str, reason: str | None = None) -> pd.DataFrame:
    rows = log[log["type"] == kind]
    if reason is not None:
        rows = rows[rows["reason"] == reason]
    return rows[["customer", "channel"]].astype({"channel": "string"})


def test_research_online_buy_offline_and_the_reverse_both_arise(log: pd.DataFrame) -> None:
    research = _channels_of(log, "TouchpointVisited", "research")
    placed = log[log["type"] == "OrderPlaced"][["cart", "channel"]].astype({"channel": "string"})
    opened = log[log["type"] == "CartOpened"][["cart", "customer"]]
    bought = placed.merge(opened, on="cart")[["customer", "channel"]]
    pairs = research.merge(bought, on="customer", suffixes=("_research", "_buy"))
    ropo = pairs[(pairs["channel_research"] != "store") & (pairs["channel_buy"] == "store")]
    reverse = pairs[(pairs["channel_research"] == "store") & (pairs["channel_buy"] != "store")]
    assert len(ropo) > 0
    assert len(reverse) > 0


def test_every_fulfilment_mode_and_outcome_occurs(log: pd.DataFrame) -> None:
    modes = set(log.loc[log["type"] == "LineAllocated", "mode"].astype("string"))
    assert modes >= {"home_delivery", "click_and_collect", "ship_from_store", "carry_out"}
    types = set(log["type"].astype("string"))
    assert types >= {
        "LegPickedUp",
        "LegDelivered",
        "ReturnReceived",
        "SaleLost",
        "ReservationExpired",
        "StockReceived",
    }


def test_customers_are_the_same_under_another_policy() -> None:
    # Common random numbers: arrivals and who the customers are do not depend on the policy.
    pooled = run_replication(small_plan(days=2.0), seed=3).log.to_frame()
    fenced = run_replication(
        small_plan(
            days=2.0, allocation=RingFenced(fences={Channel.STORE: 0.5}, reserve_at="order")
        ),
        seed=3,
    ).log.to_frame()

    def arrived(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[frame["type"] == "CustomerArrived"]
        return rows[["t", "customer", "channel", "segment"]].astype("string").reset_index(drop=True)

    pd.testing.assert_frame_equal(arrived(pooled), arrived(fenced))
    assert not pooled["type"].equals(fenced["type"])


def test_stores_short_of_a_sku_pull_it_from_the_nearest_store() -> None:
    plan = replace(small_plan(days=4.0), transfer_days=0.25)
    world = run_replication(plan, seed=2)
    log = world.log.to_frame()
    out = log[log["type"] == "StockTransferredOut"]
    arrived = log[(log["type"] == "StockReceived") & (log["reason"] == "transfer")]
    assert len(out) > 0
    assert set(out["location"].astype("string")) <= {"S01", "S02"}
    # Everything sent arrives, except what is still on the road at the end.
    in_transit = out[out["t"] > plan.horizon - 0.25 * 1440]["qty"].sum()
    assert arrived["qty"].sum() == out["qty"].sum() - in_transit
    assert rebuild(log) == world.backend


def test_batched_draws_give_the_same_kpis_as_a_generator_per_visit() -> None:
    """The batched rows of uniforms against the straightforward version, a generator of its
    own for every visit (the oracle): independent replications of each, and no KPI differs
    by more than Welch's test allows at the 1% level (fixed seeds, so the verdict is fixed)."""
    plan = small_plan(days=2.5)
    names = ["visits", "orders", "units_lost", "fill_rate", "avg_basket_units", "conversion_rate"]

    def kpis(batched: bool) -> pd.DataFrame:
        rows = [
            P.kpis(run_replication(plan, seed=seed, batched_draws=batched).log.to_frame())
            for seed in range(30, 36)
        ]
        return pd.concat(rows)[names]

    fast, oracle = kpis(True), kpis(False)
    for name in names:
        verdict = stats.ttest_ind(fast[name], oracle[name], equal_var=False)
        assert verdict.pvalue > 0.01, (name, fast[name].mean(), oracle[name].mean())
    assert not fast.equals(oracle)  # two draws of the model, not one run twice


def test_a_streamed_run_leaves_its_flushed_batches_to_reference_counting(tmp_path: Path) -> None:
    """With the collector paused, a batch handed to the file must be freed at once: nothing
    of a flushed segment (its buffers, its put functions) may wait for the collector."""
    gc.collect()
    gc.disable()
    try:
        with stream_to(tmp_path / "streamed.parquet", flush_rows=500) as log:
            kept = run_replication(small_plan(days=0.5), seed=3, log=log)
            assert log.flushed >= 4 * 500
            assert gc.collect() == 0
            assert kept.log is log
    finally:
        gc.enable()


def test_a_streamed_run_writes_the_log_the_in_memory_run_holds(tmp_path: Path) -> None:
    plan = small_plan(days=1.0)
    with stream_to(tmp_path / "streamed.parquet", flush_rows=500) as log:
        streamed = run_replication(plan, seed=9, log=log)
        assert len(streamed.log) > 4 * 500  # several batches went to the file during the run
        assert len(streamed.log) - log.flushed < 500  # and memory held at most one
    held = run_replication(plan, seed=9)
    assert read_log(tmp_path / "streamed.parquet").equals(held.log.to_frame())
    assert streamed.backend == held.backend


def test_a_log_of_another_replication_is_refused() -> None:
    with pytest.raises(ValueError, match=r"log\.replication is 1, the run's is 0"):
        run_replication(small_plan(days=0.1), seed=1, log=EventLog(replication=1))


class _CollectorSpy:
    """A replenishment policy that notes whether the collector is on at each review."""

    def __init__(self) -> None:
        self.seen: list[bool] = []

    def order_qty(self, position: int) -> int:
        self.seen.append(gc.isenabled())
        return 0


def test_a_run_pauses_the_collector_and_leaves_it_as_it_was() -> None:
    spy = _CollectorSpy()
    plan = small_plan(days=2.0)
    key = next(iter(plan.replenishment))
    plan = replace(plan, replenishment={**plan.replenishment, key: spy})
    assert gc.isenabled()
    run_replication(plan, seed=3)
    assert spy.seen
    assert not any(spy.seen)  # off during the run
    assert gc.isenabled()  # on again after
    gc.disable()
    try:
        run_replication(plan, seed=3)
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("scenario", "days"),
    [("baseline.toml", 3), ("pooled-vs-siloed.toml", 3), ("validation/backorders.toml", 300)],
)
def test_a_run_makes_no_garbage_the_collector_would_have_to_find(scenario: str, days: int) -> None:
    """The premise of pausing the collector: what a run drops is freed by reference counting,
    so with the collector off nothing is left for it while the world is alive (carts, orders,
    pickups, deliveries, returns, lost sales, fences, backorders)."""
    plan = plan_of(load_scenario(SCENARIOS / scenario).with_overrides({"horizon_days": days}))
    gc.collect()
    gc.disable()
    try:
        kept = run_replication(plan, seed=3)
        assert gc.collect() == 0
        assert len(kept.log) > 1000
    finally:
        gc.enable()


def test_started_steps_run_at_once_then_at_each_timeout_and_call_at_waits_for_its_time() -> None:
    world = World.build(small_plan(days=1.0), Streams(1))
    env, seen = world.env, []

    def steps() -> Generator[simpy.Event, object, None]:
        seen.append(("step", env.now))
        yield env.timeout(2.5)
        seen.append(("step", env.now))
        yield env.timeout(1.0)
        seen.append(("done", env.now))

    env.timeout(1.0).callbacks.append(lambda _: world.start(steps()))
    world.call_at(3.0, lambda: seen.append(("call", env.now)))
    world.call_at(-5.0, lambda: seen.append(("late", env.now)))  # a past time: now
    env.run(until=10.0)
    assert seen == [("late", 0.0), ("step", 1.0), ("call", 3.0), ("step", 3.5), ("done", 4.5)]


def test_a_visit_lets_go_of_its_journey_draws_when_its_journey_ends() -> None:
    # Orders' operations keep their visit for weeks; the journey's draws, basket and added units
    # are dropped when it ends, and a read of the dropped draws is a bug that must not pass.
    with pytest.raises(RuntimeError, match="read after its journey ended"):
        _SPENT.uniform()
    with pytest.raises(RuntimeError, match="read after its journey ended"):
        _SPENT.exponential(1.0)
