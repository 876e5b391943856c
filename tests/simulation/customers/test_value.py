"""Customers' value and channels: hand counts on the demo, the old per-customer projection as
the oracle of the net value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import projections as P
from simulation.api import run
from simulation.customers import value
from simulation.demo import run_demo

BASELINE = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return run_demo().log.to_frame()


def test_shopping_channels_by_hand(demo: pd.DataFrame) -> None:
    people = value.customers(demo).set_index("customer")
    # 1: discovered on instagram, researched on the web, cart in the app, bought in store.
    assert people.loc[1, "channels"] == 4
    assert people.loc[4, "channels"] == 2  # an email, then the web
    assert people.loc[6, "channels"] == 1  # came through chat (a service line), carted on the web
    assert people["channels"].sum() == 4 + 2 + 7 * 1
    assert people["visits"].tolist() == [1] * 9
    assert people.loc[1, "segment"] == "social"
    assert people.loc[7, "first"] == 300.0


def test_net_value_per_customer_is_the_old_projections(demo: pd.DataFrame) -> None:
    old = P.customer_value(demo).set_index(["replication", "customer"])
    new = value.customers(demo).set_index(["replication", "customer"])
    pd.testing.assert_series_equal(new["net_value"], old["net_value"], check_dtype=False)
    assert new["orders"].tolist() == old["orders"].tolist()


def test_single_and_multi_channel_kpis_by_hand(demo: pd.DataFrame) -> None:
    row = P.kpis(demo).iloc[0]
    assert row["multichannel_customers"] == 2  # customers 1 and 4
    assert row["multichannel_share"] == pytest.approx(2 / 9)
    assert row["multichannel_orders_per_customer"] == 1.0
    assert row["multichannel_customer_value"] == pytest.approx((39.8 + 0.0) / 2)  # 4's refunded
    assert row["single_channel_orders_per_customer"] == pytest.approx(5 / 7)
    assert row["single_channel_customer_value"] == pytest.approx(
        (59.0 + 59.0 + 0.0 + 0.0 + 89.0 + 79.6 + 0.0) / 7
    )
    assert row["repeat_visit_rate"] == 0.0
    assert row["repeat_purchase_rate"] == 0.0
    # The demo lasts under a week: no cohort has a week after its first one.
    assert pd.isna(row["retention_week_1"])
    assert pd.isna(row["multichannel_retention"])


def test_a_customer_first_seen_in_the_warm_up_is_left_out(demo: pd.DataFrame) -> None:
    row = P.kpis(demo, warmup=100.0).iloc[0]
    assert row["customers"] == 3  # 7, 8 and 9 arrive after minute 100
    assert row["multichannel_customers"] == 0
    assert row["customer_value"] == pytest.approx((89.0 + 79.6 + 0.0) / 3)


def test_no_customers_gives_zero_counts_and_no_rates(demo: pd.DataFrame) -> None:
    stock_only = demo[demo["customer"].isna() & ~demo["type"].isin(["RefundIssued"])]
    row = P.kpis(stock_only).iloc[0]
    assert row["multichannel_customers"] == 0
    assert pd.isna(row["customer_value"])
    assert pd.isna(row["multichannel_customer_value"])


def test_the_fast_table_is_the_plain_group_by_on_a_run() -> None:
    log = run(BASELINE, seed=4, out=None, replications=2, workers=1,
              overrides={"horizon_days": 3, "arrivals.per_hour": 20}).log  # fmt: skip
    fast = value.customers(log).set_index(["replication", "customer"])
    mine = log[log["customer"].notna()]
    shopping = mine[mine["channel"].notna() & ~mine["channel"].isin(value.SERVICE_CHANNELS)]
    plain = shopping.groupby(["replication", "customer"])["channel"].nunique()
    visits = mine[mine["type"] == "CustomerArrived"].groupby(["replication", "customer"]).size()
    assert fast["channels"].to_dict() == plain.reindex(fast.index, fill_value=0).to_dict()
    assert fast["visits"].to_dict() == visits.to_dict()
    assert (fast["channels"] >= 2).any()
    assert (fast["visits"] >= 2).any()


@settings(max_examples=80, deadline=None)
@given(
    people=st.sets(st.tuples(st.integers(0, 3), st.integers(1, 10**9)), min_size=1, max_size=30),
    others=st.lists(st.tuples(st.integers(0, 4), st.integers(1, 10**9)), max_size=30),
    dense=st.booleans(),
)
def test_a_customers_position_is_the_binary_searchs(
    people: set[tuple[int, int]], others: list[tuple[int, int]], dense: bool
) -> None:
    """The table read by id (dense ids) and the binary search (sparse ones) agree."""
    pairs = {(r, c % 50 + 1) for r, c in people} if dense else people
    key = np.array(sorted((r << 40) | c for r, c in pairs), dtype="int64")
    asked = np.array([*key, *((r << 40) | (c % 60 + 1 if dense else c) for r, c in others)],
                     dtype="int64")  # fmt: skip
    where, known = value._where(key, asked)
    expected = np.isin(asked, key)
    assert known.tolist() == expected.tolist()
    assert (key[where[known]] == asked[known]).all()
