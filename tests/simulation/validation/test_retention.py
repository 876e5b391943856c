"""Repeat visits: the geometric law and its cut by the horizon, and the case against the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation.errors import InputError
from simulation.validation import CASES, run_rows
from simulation.validation.closed_forms.retention import RepeatVisits
from simulation.validation.retention import scenario_of


def test_without_a_horizon_the_law_is_geometric() -> None:
    law = RepeatVisits(repeat_rate=0.3, repeat_days=5.0)
    assert law.mean() == pytest.approx(1 / 0.7)
    assert [law.survival(k) for k in range(4)] == pytest.approx([1, 0.3, 0.09, 0.027])


def test_one_comeback_cut_by_the_horizon_by_hand() -> None:
    # P(t0 + E < H), t0 ~ U(0, W), E exponential of mean d:
    # 1 - (d / W) (exp(-(H - W) / d) - exp(-H / d)).
    p, d, w, h = 0.4, 2.0, 1.0, 6.0
    law = RepeatVisits(repeat_rate=p, repeat_days=d, window_days=w, horizon_days=h)
    reached = 1 - d / w * (math.exp(-(h - w) / d) - math.exp(-h / d))
    assert law.survival(1) == pytest.approx(p * reached, rel=1e-12)


def test_the_cut_law_against_a_direct_draw() -> None:
    law = RepeatVisits(repeat_rate=0.5, repeat_days=2.0, window_days=1.0, horizon_days=6.0)
    rng = np.random.default_rng(0)
    n = 400_000
    t = rng.uniform(0, 1, n)
    visits, alive = np.ones(n), np.ones(n, dtype=bool)
    for _ in range(40):
        t += rng.exponential(2.0, n)
        alive &= (rng.random(n) < 0.5) & (t < 6.0)
        visits += alive
    assert law.mean() == pytest.approx(visits.mean(), abs=4 * visits.std() / math.sqrt(n))
    assert law.mean() < law.geometric_mean()
    for k in (1, 2, 3):
        share = (visits > k).mean()
        assert law.survival(k) == pytest.approx(share, abs=4 * math.sqrt(share / n))


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"repeat_rate": 1.0}, "repeat_rate"),
        ({"repeat_rate": -0.1}, "repeat_rate"),
        ({"repeat_days": 0.0}, "repeat_days"),
        ({"horizon_days": 0.5}, "horizon_days"),
    ],
)
def test_bad_parameters_name_the_quantity(fields: dict[str, float], named: str) -> None:
    given = {"repeat_rate": 0.5, "repeat_days": 1.0, "window_days": 1.0, "horizon_days": 6.0}
    with pytest.raises(InputError) as error:
        RepeatVisits(**(given | fields))
    assert error.value.field == named


def test_the_engine_gives_the_geometric_law() -> None:
    rows = run_rows(CASES["repeat_visits"], {"customers": 800}, replications=6, seed=4, workers=2)
    assert len(rows) == 6  # the mean, then P(visits > k) for k = 1..5
    missed = [(r.metric, r.exact, r.ci_low, r.ci_high) for r in rows if not r.inside]
    assert not missed
    assert rows[0].exact == pytest.approx(2.0, abs=1e-4)  # p = 0.5, d = 0.25 day: barely cut
    assert all(r.replications == 6 and r.horizon_days == 6 for r in rows)


def test_the_scenario_takes_the_parameters() -> None:
    scenario = scenario_of({"repeat_rate": 0.2, "repeat_days": 1.5, "customers": 480})
    (segment,) = scenario.segments
    assert (segment.repeat_rate, segment.repeat_days) == (0.2, 1.5)
    assert scenario.arrivals.per_hour == 20
