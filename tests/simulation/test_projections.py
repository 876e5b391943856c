"""Projections: each KPI from the log alone, held to the domain's fold and to hand counts."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import projections as P
from simulation.demo import run_demo
from simulation.domain import Backend, DomainError, fold
from simulation.domain.commands import Command
from simulation.domain.events import Event
from simulation.eventlog import EventLog
from tests import strategies as S


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return run_demo().log.to_frame()


def _oracle_stock(events: list[Event], t: float) -> dict[tuple[str, str], tuple[int, int]]:
    backend = fold(e for e in events if e.t <= t)
    return {key: (s.on_hand, s.reserved_total) for key, s in backend.stock.items()}


def _projected_stock(log: pd.DataFrame, t: float) -> dict[tuple[str, str], tuple[int, int]]:
    table = P.stock_at(log, t)
    return {(row.location, row.sku): (row.on_hand, row.reserved) for row in table.itertuples()}


def _nonzero(
    stock: dict[tuple[str, str], tuple[int, int]],
) -> dict[tuple[str, str], tuple[int, int]]:
    return {k: v for k, v in stock.items() if v != (0, 0)}


@pytest.mark.parametrize("t", [0, 60, 100, 600, 1559, 1560, 4000, float("inf")])
def test_stock_at_matches_the_fold_on_the_demo(demo: pd.DataFrame, t: float) -> None:
    events = list(run_demo().log)
    assert _nonzero(_projected_stock(demo, t)) == _nonzero(_oracle_stock(events, t))


@st.composite
def timed_commands(draw: st.DrawFn) -> list[Command]:
    at, commands = 0.0, []
    for _ in range(draw(st.integers(0, 60))):
        at += draw(st.sampled_from([0.0, 1.0, 7.5]))
        commands.append(draw(S.commands(at=at)))
    return commands


@settings(max_examples=40, deadline=None)
@given(commands=timed_commands(), t=st.floats(0, 300))
def test_stock_at_matches_the_fold_on_random_logs(commands: list[Command], t: float) -> None:
    backend, log = Backend(), EventLog()
    for command in commands:
        try:
            log.extend(backend.handle(command))
        except DomainError:
            continue
    if not len(log):
        return
    frame = log.to_frame()
    assert _nonzero(_projected_stock(frame, t)) == _nonzero(_oracle_stock(list(log), t))
    flows = P.stock_flows(frame).set_index(["location", "sku"])
    final = P.stock_at(frame).set_index(["location", "sku"])
    on_hand = (
        flows["received"]
        + flows["restocked"]
        - flows["issued"]
        - flows["written_off"]
        - flows["transferred_out"]
    )
    assert on_hand.to_dict() == final["on_hand"].reindex(on_hand.index).to_dict()


def test_conservation_per_location_and_sku_on_the_demo(demo: pd.DataFrame) -> None:
    flows = P.stock_flows(demo).set_index(["location", "sku"])
    stock = P.stock_at(demo).set_index(["location", "sku"])
    # Worked by hand from simulation/demo.py.
    assert flows.loc[("S01", "TEE")].to_dict() == {
        "replication": 0, "received": 10, "restocked": 0, "issued": 6, "written_off": 0,
        "transferred_out": 0,
    }  # fmt: skip
    assert flows.loc[("S01", "JEANS"), "restocked"] == 1
    assert flows.loc[("S02", "TEE"), "written_off"] == 1
    balance = (
        flows["received"]
        + flows["restocked"]
        - flows["issued"]
        - flows["written_off"]
        - flows["transferred_out"]
    )
    assert (balance == stock["on_hand"]).all()


def test_demo_kpis_match_a_hand_count(demo: pd.DataFrame) -> None:
    row = P.kpis(demo).iloc[0]
    assert row["customers"] == 9
    assert row["visits"] == 9
    assert row["orders"] == 7  # customers 1, 2, 3, 4, 7, 8, 9
    assert row["units_ordered"] == 2 + 2 + 2 + 3 + 1 + 4 + 1
    assert row["units_lost"] == 5 + 1
    assert row["fill_rate"] == pytest.approx(15 / 21)
    assert row["reservations_expired"] == 1
    assert row["holds_expired"] == 1
    assert row["orders_cancelled"] == 1
    assert row["units_shipped"] == 2 + 2 + 2 + 1 + 4  # carry-out, home, C&C pickup, SFS x2
    assert row["units_returned"] == 2
    assert row["refunded"] == pytest.approx(89.0 + 59.0 + 3 * 19.9 + 59.0)
    assert row["ordered_value"] == pytest.approx(39.8 + 148.0 + 118.0 + 59.7 + 89.0 + 79.6 + 59.0)


def test_orders_by_channel_and_mode(demo: pd.DataFrame) -> None:
    table = P.orders_by_channel_and_mode(demo).set_index(["channel", "mode"])
    assert table.loc[("store", "carry_out"), "orders"] == 1  # the cart moved from the app
    assert table.loc[("web", "home_delivery")].to_dict() == {
        "replication": 0, "orders": 2, "units": 3, "value": pytest.approx(59.0 + 89.0 + 59.0),
    }  # fmt: skip
    assert table["orders"].sum() == 7


def test_fill_rate_and_lost_sales_by_channel(demo: pd.DataFrame) -> None:
    fill = P.fill_rate(demo).set_index("channel")
    assert fill.loc["marketplace", "fill_rate"] == 0.0
    assert fill.loc["app", "fill_rate"] == pytest.approx(6 / 7)
    lost = P.lost_sales(demo).set_index(["channel", "reason"])
    assert lost.loc[("marketplace", "no_stock"), "units"] == 5
    assert lost.loc[("marketplace", "no_stock"), "value"] == pytest.approx(445.0)


def test_expired_reservations_and_holds(demo: pd.DataFrame) -> None:
    table = P.reservations_expired(demo).set_index("channel")
    assert table.loc["web"].to_dict() == {
        "replication": 0, "reservations": 1, "reserved_units": 1, "holds": 1,
    }  # fmt: skip


def test_returns_by_mode_and_outcome(demo: pd.DataFrame) -> None:
    table = P.returns(demo).set_index(["mode", "outcome"])
    assert table.loc[("mail", "written_off"), "units"] == 1
    assert table.loc[("store", "restocked"), "value"] == pytest.approx(59.0)


def test_kpis_are_per_replication(demo: pd.DataFrame) -> None:
    twice = pd.concat([demo, demo.assign(replication=demo["replication"] + 1)])
    table = P.kpis(twice)
    assert table["replication"].tolist() == [0, 1]
    pd.testing.assert_series_equal(
        table.iloc[0].drop("replication"), table.iloc[1].drop("replication"), check_names=False
    )


def test_journey_kpis_on_the_demo(demo: pd.DataFrame) -> None:
    row = P.kpis(demo, horizon=5000.0).iloc[0]
    assert row["visits"] == 9
    assert row["conversion_rate"] == pytest.approx(7 / 9)
    assert row["avg_basket_units"] == pytest.approx(15 / 7)
    assert row["split_rate"] == 0.0
    assert row["hold_expiry_rate"] == 0.5  # customer 4's hold of 2
    assert row["stockouts"] == 1  # the last sneaker at S02
    # Delivered or collected legs: order 3 picked up at t=600, order 7 at 1800, order 2 at 2000.
    assert row["lead_time_days"] == pytest.approx(
        ((600 - 42) + (1800 - 302) + (2000 - 32)) / 3 / 1440
    )
    assert row["customer_value"] == pytest.approx((39.8 + 59.0 + 59.0 + 0 + 89.0 + 79.6 + 0) / 9)


def test_conversion_counts_the_order_to_the_visit_it_came_from(demo: pd.DataFrame) -> None:
    table = P.conversion(demo).set_index(["channel", "segment"])
    assert table.loc[("instagram", "social"), "orders"] == 1  # discovered there, bought in store
    assert table.loc[("marketplace", "bulk"), "conversion"] == 0.0
    assert table["visits"].sum() == 9


def test_inventory_turns_integrate_on_hand_over_time() -> None:
    frame = run_demo().log.to_frame()
    turns = P.inventory_turns(frame, horizon=5000.0).set_index("location")
    # S02: 8 tee + 1 sneaker from t=0; sneaker out at 400; one tee written off at 1000.
    average = (9 * 400 + 8 * 600 + 7 * 4000) / 5000
    assert turns.loc["S02", "average_on_hand"] == pytest.approx(average)
    assert turns.loc["S02", "turns"] == pytest.approx(1 / average * 365 * 1440 / 5000)


def test_revenue_margin_and_fulfilment_cost_by_hand(demo: pd.DataFrame) -> None:
    costs = P.Costs(
        unit_cost={"TEE": 8.0, "JEANS": 25.0, "SNEAKER": 40.0},
        ship_cost={"WH1": 4.0, "S01": 6.0, "S02": 6.0},
    )
    row = P.kpis(demo, costs=costs).iloc[0]
    # Units that left: 2+4 tees at S01, jeans 1 (WH1) + 2 (S01), sneakers 1 (WH1) + 1 (S02).
    sales = 2 * 19.9 + 59.0 + 89.0 + 2 * 59.0 + 89.0 + 4 * 19.9
    assert row["revenue"] == pytest.approx(sales - 89.0 - 59.0)  # two returns refunded
    cogs = 6 * 8.0 + 3 * 25.0 + 2 * 40.0 - 25.0  # one pair of jeans back on the shelf
    assert row["gross_margin"] == pytest.approx(sales - 148.0 - cogs)
    # Parcels: 2 units from WH1, 1 from S02, 4 from S01 (carry-out and pickup cost nothing).
    assert row["fulfilment_cost_per_order"] == pytest.approx((2 * 4.0 + 6.0 + 4 * 6.0) / 7)


def _periodic_log() -> pd.DataFrame:
    """A store over three days (periods of 1440 min): 5 units in, 7 demanded on day 1 (two
    backordered), an order of 6 received on day 2 (fills the backorder), 1 sold on day 3."""
    from simulation.domain.events import (
        BackorderFilled,
        BackorderPlaced,
        StockIssued,
        StockReceived,
        StockReserved,
    )
    from simulation.types import Channel, CustomerId, FulfilmentMode, LocationId, OrderId, SkuId

    loc, sku, mode = LocationId("S01"), SkuId("ITEM"), FulfilmentMode.CARRY_OUT
    store, who = Channel.STORE, CustomerId(1)

    def sale(t: float, order: int, qty: int) -> list[Event]:
        return [
            StockReserved(t=t, location=loc, sku=sku, channel=store, qty=qty, order=OrderId(order)),
            StockIssued(
                t=t, location=loc, sku=sku, channel=store, qty=qty, order=OrderId(order), mode=mode
            ),
        ]

    events: list[Event] = [
        StockReceived(t=0.0, location=loc, sku=sku, qty=5, reason="initial"),
        *sale(100.0, 1, 5),
        BackorderPlaced(
            t=200.0,
            customer=who,
            channel=store,
            order=OrderId(2),
            location=loc,
            sku=sku,
            qty=2,
            amount=20.0,
            mode=mode,
        ),
        StockReceived(t=1450.0, location=loc, sku=sku, qty=6),
        StockReserved(t=1450.0, location=loc, sku=sku, channel=store, qty=2, order=OrderId(2)),
        BackorderFilled(t=1450.0, order=OrderId(2), location=loc, sku=sku, qty=2),
        StockIssued(
            t=1450.0, location=loc, sku=sku, channel=store, qty=2, order=OrderId(2), mode=mode
        ),
        *sale(3000.0, 3, 1),
    ]
    log = EventLog()
    log.extend(events)
    return log.to_frame()


def test_net_inventory_at_period_ends_counts_backorders_against_stock() -> None:
    log = _periodic_log()
    ends = P.period_ends(1440.0, 0.0, 3 * 1440.0)
    assert list(ends) == [1440.0, 2880.0, 4320.0]
    net = P.net_inventory_at(log, ends)
    assert list(net["net"]) == [-2, 4, 3]  # 5 - 7; + 6 received; - 1 sold


def test_period_costs_charge_net_inventory_and_each_order_by_hand() -> None:
    costs = P.PeriodCosts(holding=0.5, shortage=3.0, fixed_order=10.0)
    table = P.period_costs(log := _periodic_log(), costs, period=1440.0, since=0.0, until=4320.0)
    assert list(table["shortage"]) == [6.0, 0.0, 0.0]
    assert list(table["holding"]) == [0.0, 2.0, 1.5]
    assert list(table["ordering"]) == [0.0, 10.0, 0.0]  # the receipt at 1450 is day 2's order
    assert list(table["cost"]) == [6.0, 12.0, 1.5]
    later = P.period_costs(log, costs, period=1440.0, since=1000.0, until=4320.0)
    assert list(later["t"]) == [2880.0, 4320.0]  # whole periods after the warm-up only
