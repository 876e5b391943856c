"""The two knobs calibration needs: visits that only browse, by channel; store returns apart."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from simulation.engine.run import run_replication
from simulation.types import Channel
from tests.simulation.plans import segment, small_plan


def _log(**changes: object) -> pd.DataFrame:
    plan = small_plan(days=3.0)
    plan = replace(plan, **changes)  # type: ignore[arg-type]
    return run_replication(plan, seed=5).log.to_frame()


def test_no_bounce_anywhere_leaves_the_log_as_it_was() -> None:
    before = _log()
    pd.testing.assert_frame_equal(_log(browse_only={}), before)


def test_every_web_visit_bounces_and_no_other() -> None:
    log = _log(browse_only={Channel.WEB: 1.0})
    arrived = log[log["type"] == "CustomerArrived"]
    left = log[log["type"] == "CustomerLeft"]
    browsed = left[left["reason"] == "browsed"]
    assert len(browsed) == (arrived["channel"] == "web").sum() > 0  # repeat visits included
    assert (browsed["channel"] == "web").all()
    channels = arrived.groupby("customer")["channel"].agg(lambda c: set(c.astype(str)))
    web_only = set(channels[channels == {"web"}].index)
    theirs = log[log["customer"].isin(web_only) & (log["type"] != "CustomerArrived")]
    # one first page, then gone: no cart, no order, nothing else in their visits
    assert set(theirs["type"].astype(str)) == {"TouchpointVisited", "CustomerLeft"}
    assert set(theirs.loc[theirs["type"] == "TouchpointVisited", "reason"]) == {"discover"}
    assert (log["type"] == "OrderPlaced").sum() > 0


def test_a_bounce_share_is_met_within_its_binomial_interval() -> None:
    log = _log(browse_only={Channel.APP: 0.4})
    arrived = log[log["type"] == "CustomerArrived"]
    app = arrived[arrived["channel"] == "app"]
    left = log[log["type"] == "CustomerLeft"]
    share = (left["reason"] == "browsed").sum() / len(app)
    n = len(app)
    assert share == pytest.approx(0.4, abs=3 * (0.4 * 0.6 / n) ** 0.5)


def test_store_returns_follow_their_own_rate() -> None:
    plan = small_plan(days=6.0)
    never_online = segment(return_rate=0.0, store_return_rate=1.0)
    log = run_replication(replace(plan, segments=(never_online,)), seed=5).log.to_frame()
    back = log[log["type"] == "ReturnReceived"]["order"]
    legs = log[log["type"] == "StockIssued"][["order", "mode"]]
    modes = set(legs[legs["order"].isin(back)]["mode"].astype(str))
    assert len(back) > 0
    assert modes == {"carry_out"}
