"""Touchpoint flows from a log: each visit's channels in order, then how it ended."""

from __future__ import annotations

import pandas as pd

from simulation.studio.journeys import LEFT, ORDERED, flows


def log(rows: list[tuple[int, float, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"replication": 0, "customer": c, "t": t, "type": k, "channel": ch}
         for c, t, k, ch in rows]
    )  # fmt: skip


def test_visits_flow_through_their_channels_to_their_outcome() -> None:
    found = flows(log([
        (1, 0.0, "CustomerArrived", "instagram"), (1, 1.0, "TouchpointVisited", "instagram"),
        (1, 2.0, "TouchpointVisited", "web"), (1, 3.0, "OrderPlaced", "web"),
        (2, 0.5, "CustomerArrived", "web"), (2, 1.5, "TouchpointVisited", "web"),
        (1, 9.0, "CustomerArrived", "store"),  # customer 1's second visit: no order
    ]))  # fmt: skip
    assert found.links == {
        ("1. instagram", "2. web"): 1, ("2. web", ORDERED): 1,
        ("1. web", LEFT): 1, ("1. store", LEFT): 1,
    }  # fmt: skip
    assert found.nodes[:3] == ["1. instagram", "1. store", "1. web"]


def test_cohorts_count_each_customer_in_the_week_of_their_first_visit() -> None:
    from simulation.studio.cohorts import MINUTES_PER_WEEK, cohorts

    week = MINUTES_PER_WEEK
    table = cohorts(log([
        (1, 10.0, "CustomerArrived", "web"), (1, 20.0, "OrderPlaced", "web"),
        (1, week + 5, "CustomerArrived", "app"), (1, week + 9, "OrderPlaced", "app"),
        (2, 30.0, "CustomerArrived", "store"),
        (3, week + 1, "CustomerArrived", "web"), (3, week + 2, "OrderPlaced", "web"),
    ]))  # fmt: skip
    assert table.to_dict("records") == [
        {"week": 1, "customers": 2, "came_back": 0.5, "ordered": 0.5, "ordered_again": 0.5},
        {"week": 2, "customers": 1, "came_back": 0.0, "ordered": 1.0, "ordered_again": 0.0},
    ]
