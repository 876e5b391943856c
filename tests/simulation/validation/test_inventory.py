"""The inventory studies: sweeps on common random numbers, and risk pooling (fixed seeds)."""

from __future__ import annotations

import pytest

from simulation.validation import CASES, run_rows
from simulation.validation.table import Row


def _by_metric(rows: list[Row], start: str) -> Row:
    (row,) = [r for r in rows if r.metric.startswith(start)]
    return row


def test_newsvendor_sweep_finds_the_textbook_optimum() -> None:
    # Example 4.3's demand moments (mean 50, sd 8) as compound Poisson baskets; S = 56, 57, 58.
    params = {"days": 20, "sweep_width": 1}
    rows = run_rows(CASES["newsvendor"], params, replications=4, seed=7, workers=2)
    assert [r.exact for r in rows[:3]] == pytest.approx([2.048432, 2.047911, 2.075606], abs=1e-6)
    assert all(r.inside for r in rows), rows
    exact = _by_metric(rows, "minimiser S of the simulated cost curve (range")
    assert exact.exact == 57
    textbook = _by_metric(rows, "minimiser S of the simulated cost curve vs the textbook")
    assert textbook.exact == pytest.approx(56.6040, abs=5e-5)


@pytest.mark.slow
def test_newsvendor_sweep_at_full_width() -> None:
    rows = run_rows(CASES["newsvendor"], {"days": 40}, replications=10, seed=3, workers=2)
    assert len(rows) == 9 + 2
    assert all(r.inside for r in rows), rows


def test_s_S_sweep_holds_example_4_7() -> None:
    # Snyder & Shen Example 4.7: (s, S) = (4, 10) at 8.034112, and its eight neighbours.
    rows = run_rows(CASES["s_S"], {"days": 50}, replications=4, seed=5, workers=1)
    best = _by_metric(rows, "cost per period at (s, S) = (4, 10)")
    assert best.exact == pytest.approx(8.034112, abs=1e-6)
    assert len(rows) == 9 + 2
    assert all(r.inside for r in rows), rows
    assert [r.exact for r in rows[-2:]] == [4, 10]


@pytest.mark.slow
def test_s_S_sweep_longer() -> None:
    rows = run_rows(CASES["s_S"], {"days": 300}, replications=8, seed=9, workers=2)
    assert all(r.inside for r in rows), rows


def test_risk_pooling_reproduces_the_exact_poisson_ratio() -> None:
    # N = 4 stores of Poisson(10) at S = 13 each vs one stock of Poisson(40) at S = 45.
    rows = run_rows(CASES["risk_pooling"], {"days": 40}, replications=4, seed=13, workers=2)
    ratio = _by_metric(rows, "cost ratio separate / pooled")
    assert ratio.exact == pytest.approx(2.046606, abs=1e-6)
    assert _by_metric(rows, "safety stock ratio").exact == pytest.approx(2.4)
    assert all(r.inside for r in rows), rows


@pytest.mark.slow
def test_risk_pooling_with_nine_stores() -> None:
    params = {"stores": 9, "demand_per_day": 10, "days": 100}
    rows = run_rows(CASES["risk_pooling"], params, replications=6, seed=2, workers=2)
    assert _by_metric(rows, "cost ratio separate / pooled").exact == pytest.approx(3.0877, abs=1e-4)
    assert all(r.inside for r in rows), rows


def test_a_study_checks_its_parameters_before_running() -> None:
    from simulation.errors import InputError

    with pytest.raises(InputError, match="demand_sd"):
        CASES["newsvendor"].prepare({"demand_sd": 5.0})  # below sqrt(50): not a basket demand
    with pytest.raises(InputError, match="stores"):
        CASES["risk_pooling"].prepare({"stores": 1})
    with pytest.raises(InputError, match="sweep_width"):
        CASES["s_S"].prepare({"sweep_width": 0.5})
