"""The loop's KPIs and its experience projection on hand-made logs."""

from __future__ import annotations

import math

import pandas as pd

from simulation.customers import surveys
from simulation.customers.experience import Experience, Met
from simulation.customers.kpis import KPI_NAMES, loop_kpis
from simulation.customers.kpis import surveys as survey_table
from simulation.customers.retention import come_back_probability, delay_factor
from simulation.customers.satisfaction import SatisfactionModel
from simulation.domain import events as e
from simulation.eventlog import EventLog
from simulation.report.numbers import KPIS
from simulation.types import Channel, CustomerId, FulfilmentMode, LocationId, OrderId, SimTime

WEB, HOME = Channel.WEB, FulfilmentMode.HOME_DELIVERY
DAY = 1440.0


def _t(x: float) -> SimTime:
    return SimTime(x)


def _log(events: list[e.Event]) -> pd.DataFrame:
    log = EventLog()
    log.extend(events)
    return log.to_frame()


def _arrive(t: float, customer: int) -> e.CustomerArrived:
    return e.CustomerArrived(t=_t(t), customer=CustomerId(customer), channel=WEB, segment="s")


def _answer(customer: int, order: int, question: str, value: int) -> e.SurveyAnswered:
    return e.SurveyAnswered(
        t=_t(9.0), customer=CustomerId(customer), order=OrderId(order), channel=WEB, mode=HOME,
        segment="s", reason=question, qty=value,
    )  # fmt: skip


def test_nps_csat_churn_and_retention_from_their_events() -> None:
    answers = [(1, 10), (2, 9), (3, 8), (4, 6)]
    frame = _log(
        [_arrive(0.0, c) for c in (1, 2, 3, 4)]
        + [_arrive(5.0, 1), _arrive(6.0, 2)]
        + [_answer(c, c, "nps", v) for c, v in answers]
        + [_answer(c, c, "csat", 4 + (c == 1)) for c, _ in answers]
        + [e.CustomerChurned(t=_t(7.0), customer=CustomerId(3), segment="s", reason="late_day",
                             amount=5.0)]
    )  # fmt: skip
    row = loop_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert row["nps"] == 100 * (2 - 1) / 4
    assert row["csat"] == 4.25
    assert row["survey_responses"] == 4
    assert row["churn_rate"] == 1 / 4
    assert row["retention_rate"] == 2 / 3  # two came back, one churned
    table = survey_table(frame)
    assert table[["responses", "nps", "csat"]].to_numpy().tolist() == [[4, 25.0, 4.25]]


def test_without_loop_events_the_loop_kpis_are_unknown() -> None:
    frame = _log([_arrive(0.0, 1), _arrive(3.0, 1)])
    row = loop_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert all(math.isnan(row[k]) for k in KPI_NAMES)


def test_every_loop_kpi_is_described_in_the_customers_group() -> None:
    for name in KPI_NAMES:
        assert KPIS[name].group == "customers", name


def test_a_leg_late_against_its_promise_and_the_order_settling() -> None:
    fold = Experience()
    o, c, loc = OrderId(7), CustomerId(1), LocationId("WH1")
    steps: list[tuple[e.Event, int | None]] = [
        (_arrive(0.0, 1), None),
        (e.OrderPlaced(t=_t(1.0), customer=c, channel=WEB, cart=1, order=o, qty=1, amount=5.0),  # type: ignore[arg-type]
         None),
        (e.LineAllocated(t=_t(1.0), order=o, location=loc, sku="A", qty=1, amount=5.0, mode=HOME),  # type: ignore[arg-type]
         None),
        (e.DeliveryPromised(t=_t(1.0), customer=c, order=o, location=loc, mode=HOME,
                            until=_t(1.0 + 2 * DAY)), None),
        (e.TouchpointVisited(t=_t(2.0), customer=c, channel=WEB, reason="no_stock_leave"), None),
        (e.LegDelivered(t=_t(1.0 + 3.5 * DAY), order=o, location=loc, mode=HOME), 7),
    ]  # fmt: skip
    for event, settled in steps:
        assert fold.apply(event) == settled
    assert fold.customers[1].met == [Met(2.0, "stock_out"), Met(1.0 + 3.5 * DAY, "late_day", 1.5)]
    assert fold.orders[7].met == [Met(1.0 + 3.5 * DAY, "late_day", 1.5)]
    assert (fold.late_legs, fold.promised_legs) == (1, 1)


def test_satisfaction_fades_by_half_each_half_life_and_names_the_worst_factor() -> None:
    model = SatisfactionModel(
        baseline=7.0, weights={"late_day": -2.0, "on_time": 0.5}, half_life=10 * DAY,
        retention=1.0, delay=0.0,
    )  # fmt: skip
    met = [Met(0.0, "late_day", 1.5), Met(0.0, "on_time")]
    assert model.score(met, 0.0) == 7.0 - 3.0 + 0.5
    assert math.isclose(model.score(met, 10 * DAY), 7.0 - 1.5 + 0.25)
    assert model.reason(met, 10 * DAY) == "late_day"
    assert model.reason([Met(0.0, "on_time")], 0.0) == "none"
    assert model.score([Met(0.0, "late_day", 9.0)], 0.0) == 0.0  # kept within 0-10


def test_the_retention_link_keeps_the_rate_at_the_baseline_and_moves_with_it() -> None:
    assert come_back_probability(0.3, 0.8, 0.0) == 0.3
    assert come_back_probability(0.3, 0.0, -4.0) == 0.3
    low, high = come_back_probability(0.3, 0.8, -2.0), come_back_probability(0.3, 0.8, 2.0)
    assert low < 0.3 < high
    assert math.isclose(math.log(high / (1 - high)) - math.log(0.3 / 0.7), 1.6)
    assert delay_factor(0.5, 0.0) == 1.0
    assert delay_factor(0.5, -2.0) == math.exp(1.0)


def test_answers_stay_on_their_scales() -> None:
    assert surveys.recommend_answer(7.5, 0.0, 0.5) == 8  # round half to even: 7.5 -> 8
    assert surveys.recommend_answer(9.8, 3.0, 0.999) == 10
    assert surveys.recommend_answer(0.2, 3.0, 0.001) == 0
    assert surveys.csat_answer(10.0, 0.0, 0.5) == 5
    assert surveys.csat_answer(0.0, 0.0, 0.5) == 1
    assert surveys.nps([10, 9, 7, 3]) == 25.0


def test_a_replication_without_answers_has_unknown_scores_not_missing_values() -> None:
    frame = _log(
        [_arrive(0.0, 1), e.CustomerChurned(t=_t(7.0), customer=CustomerId(1), segment="s",
                                            reason="none", amount=7.0)]
    )  # fmt: skip
    row = loop_kpis(frame, pd.Index([0], name="replication")).iloc[0]
    assert row.dtype == "float64"
    assert math.isnan(row["nps"])
    assert math.isnan(row["csat"])
    assert row["churn_rate"] == 1.0
