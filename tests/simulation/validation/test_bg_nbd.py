"""BG/NBD closed forms against a direct simulation of the model (fixed seed, 95% intervals)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from simulation.errors import InputError
from simulation.validation.closed_forms.bg_nbd import BgNbd

T = 30.0
Z = 1.96


def _customers(model: BgNbd, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """n customers' repeats x, last repeat t_x and alive-at-T, drawn as the model says."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(model.r, 1.0 / model.alpha, n)
    p = rng.beta(model.a, model.b, n)
    x, t_x, now = np.zeros(n), np.zeros(n), np.zeros(n)
    alive = np.ones(n, bool)
    buying = np.ones(n, bool)
    while buying.any():
        now[buying] += rng.exponential(1.0 / lam[buying])
        buying &= now <= T
        x[buying] += 1
        t_x[buying] = now[buying]
        drop = buying & (rng.random(n) < p)
        alive[drop] = False
        buying &= ~drop
    return x, t_x, alive


@pytest.mark.parametrize(
    "model",
    [BgNbd(0.243, 4.414, 0.793, 2.426), BgNbd(2.0, 10.0, 3.0, 4.0), BgNbd(1.0, 5.0, 1.0, 2.0)],
    ids=["cdnow-fit", "a>1", "a=1"],
)
def test_expected_repeats_and_alive_match_the_process(model: BgNbd) -> None:
    x, t_x, alive = _customers(model, 40_000, seed=7)
    half = Z * x.std(ddof=1) / np.sqrt(len(x))
    assert abs(x.mean() - model.expected_repeats(T)) < half
    p_alive = model.probability_alive(x, t_x, np.full_like(x, T))
    gap = alive - p_alive  # E[P(alive | history)] = P(alive)
    assert abs(gap.mean()) < Z * gap.std(ddof=1) / np.sqrt(len(gap))


def test_no_repeat_means_alive_and_time_zero_means_none() -> None:
    model = BgNbd(1.0, 5.0, 2.0, 3.0)
    assert model.probability_alive(np.array([0.0]), np.array([0.0]), np.array([T]))[0] == 1.0
    assert model.expected_repeats(0.0) == pytest.approx(0.0, abs=1e-12)
    recent = model.probability_alive(np.array([3.0]), np.array([29.0]), np.array([T]))[0]
    long_ago = model.probability_alive(np.array([3.0]), np.array([2.0]), np.array([T]))[0]
    assert 0 < long_ago < recent < 1


def test_the_likelihood_recovers_the_parameters() -> None:
    truth = BgNbd(2.0, 10.0, 3.0, 4.0)
    x, t_x, _ = _customers(truth, 20_000, seed=3)
    periods = np.full_like(x, T)

    def minus(log_params: np.ndarray) -> float:
        return -BgNbd(*np.exp(log_params)).log_likelihood(x, t_x, periods)

    fit = optimize.minimize(minus, np.zeros(4), method="Nelder-Mead", options={"maxiter": 4000})
    found = np.exp(fit.x)
    assert found == pytest.approx([2.0, 10.0, 3.0, 4.0], rel=0.25)


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(InputError, match=r"bg_nbd\.alpha"):
        BgNbd(1.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="t_x <= T"):
        BgNbd(1.0, 1.0, 1.0, 1.0).probability_alive(np.array([1.0]), np.array([5.0]), np.ones(1))


def test_the_engines_btyd_visits_match_the_closed_forms() -> None:
    """validate-model --case bg_nbd at a small size: both rows inside their intervals."""
    from simulation.validation import CASES
    from simulation.validation.registry import run_rows

    rows = run_rows(CASES["bg_nbd"], {"customers": 400, "days": 35}, replications=4, seed=11)
    assert [r.metric.split(":")[0] for r in rows] == ["E[X(T)]", "P(X(T) = 0)"]
    assert all(r.inside for r in rows), [(r.exact, r.ci_low, r.ci_high) for r in rows]
    assert rows[0].exact > 0.5  # customers did come back


def test_a_first_visit_always_has_a_next_and_the_law_is_per_customer() -> None:
    """With certain dropout (b tiny), a customer visits twice at most: the first visit is
    never the last, the first repeat always is."""
    from simulation.engine.compile import plan_of
    from simulation.engine.run import run_replication
    from simulation.validation.bg_nbd import histories, scenario_of

    params = {"r": 5.0, "alpha": 1.0, "a": 50.0, "b": 0.01, "customers": 300, "days": 60}
    scenario = scenario_of(params)
    log = run_replication(plan_of(scenario), seed=2).log.to_table().to_pandas()
    h = histories(log, scenario.horizon_days)
    assert (h["x"] >= 1).mean() > 0.9  # a rate of 5 a day: nearly all came back
    assert (h["x"] <= 1).mean() > 0.99  # and then dropped out (p ~ Beta(50, 0.01))


def test_conditional_repeats_match_the_papers_worked_example() -> None:
    """Fader, Hardie & Lee (2005), section 5: with the CDNOW fit, a customer with 2 repeats,
    the last at week 30.43, observed 38.86 weeks, makes 1.226 repeats in the next 39 weeks; a
    customer just born expects E[X(39)]."""
    cdnow = BgNbd(0.243, 4.414, 0.793, 2.426)
    one = cdnow.conditional_repeats(39.0, np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert one[0] == pytest.approx(1.226, abs=5e-4)
    newborn = cdnow.conditional_repeats(39.0, np.zeros(1), np.zeros(1), np.zeros(1))
    assert newborn[0] == pytest.approx(cdnow.expected_repeats(39.0))


def test_fit_recovers_or_says_it_cannot() -> None:
    from simulation.validation.closed_forms.bg_nbd import fit

    x, t_x, _ = _customers(BgNbd(2.0, 10.0, 3.0, 4.0), 5000, seed=9)
    found = fit(x, t_x, np.full_like(x, T))
    assert found is not None
    assert found.r == pytest.approx(2.0, rel=0.3)
    assert fit(np.zeros(50), np.zeros(50), np.full(50, T)) is None


def test_a_btyd_segment_refuses_the_customer_loop_beside_it() -> None:
    from simulation.scenario import load_scenario
    from simulation.scenario.library import scenario_file

    base = load_scenario(scenario_file("baseline"))  # it has a [satisfaction] table
    first = base.segments[0].model_dump(mode="json") | {
        "btyd": {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}
    }
    rest = [s.model_dump(mode="json") for s in base.segments[1:]]
    with pytest.raises(InputError, match=r"segments\[0\]\.btyd: expected no \[satisfaction\]"):
        base.with_overrides({"segments": [first, *rest]})
