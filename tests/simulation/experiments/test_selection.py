"""KN selection: correct with at least the promised probability, and cheap on clear losers."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.errors import InputError
from simulation.experiments.selection import kn_select


def normal_systems(means: list[float], sd: float, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    cache: dict[tuple[int, int], float] = {}

    def sample(i: int, r: int) -> float:
        if (i, r) not in cache:
            cache[i, r] = float(rng.normal(means[i], sd))
        return cache[i, r]

    return sample


def test_the_best_is_chosen_with_the_promised_probability() -> None:
    # Slippage configuration: the best is exactly delta ahead of four equal others.
    means, delta, alpha = [1.0, 0.0, 0.0, 0.0, 0.0], 1.0, 0.05
    runs = 300
    correct = sum(
        kn_select(normal_systems(means, 2.0, seed), 5, delta=delta, alpha=alpha, n0=10).best == 0
        for seed in range(runs)
    )
    # KN guarantees P(correct) >= 0.95; allow for the sampling error of 300 runs (99.9%).
    assert correct / runs >= 0.95 - 3.29 * np.sqrt(0.95 * 0.05 / runs)


def test_clear_losers_stop_early_and_minimising_works() -> None:
    choice = kn_select(normal_systems([10.0, 0.0, 9.5], 1.0, 1), 3, delta=0.5, n0=10)
    assert choice.best == 0
    assert choice.replications[1] == 10  # dropped at the first look
    assert choice.replications[0] > 10
    cheapest = kn_select(normal_systems([5.0, 3.0, 4.0], 0.5, 2), 3, delta=0.5, maximise=False)
    assert cheapest.best == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"k": 1}, "scenarios"),
        ({"delta": 0.0}, "delta"),
        ({"alpha": 0.9}, "alpha"),
        ({"n0": 1}, "n0"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, float], field: str) -> None:
    settings = {"k": 3, "delta": 1.0, "alpha": 0.05, "n0": 5, **kwargs}
    with pytest.raises(InputError) as raised:
        kn_select(lambda i, r: 0.0, int(settings.pop("k")), **settings)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_screening_keeps_the_best_with_the_promised_probability() -> None:
    # Five systems on common random numbers (a shared term per replication), the best
    # (smallest) only a little ahead: the subset must hold it in >= 95% of samples.
    from simulation.experiments.selection import screen

    means = np.array([0.0, 0.1, 0.1, 0.5, 2.0])
    runs, held = 300, 0
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        shared = rng.normal(0.0, 5.0, 20)
        samples = means[:, None] + shared[None, :] + rng.normal(0.0, 0.5, (5, 20))
        held += 0 in screen(samples, maximise=False)
    assert held / runs >= 0.95 - 3.29 * np.sqrt(0.95 * 0.05 / runs)


def test_screening_drops_clear_losers_and_names_bad_input() -> None:
    from simulation.experiments.selection import screen

    samples = np.array([[1.0, 1.1, 0.9, 1.0], [5.0, 5.2, 4.9, 5.1], [1.05, 1.0, 1.0, 1.1]])
    assert screen(samples, maximise=False) == (0, 2)
    assert screen(samples) == (1,)
    with pytest.raises(InputError) as caught:
        screen(samples[:1])
    assert caught.value.field == "samples"
