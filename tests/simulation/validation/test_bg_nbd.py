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
