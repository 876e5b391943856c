"""Selecting the best scenario: the fully sequential KN procedure (Kim & Nelson 2001).

With ``k`` scenarios compared on common random numbers, KN takes ``n0`` replications of each,
estimates the variance of every pairwise difference, then adds one replication at a time to the
scenarios still in contention and drops a scenario as soon as another is ahead of it by more
than a shrinking margin. With probability at least ``1 - alpha`` the survivor is the best
whenever the best is at least ``delta`` better than the second (the indifference zone).
Replications go where they decide the answer: clearly worse scenarios stop early.

:func:`screen` is the other question, for a fixed sample: which scenarios cannot be told from
the best (the subset that holds the best with probability at least ``1 - alpha``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from simulation.errors import InputError

Sample = Callable[[int, int], float]
"""``sample(scenario, replication)``: one replication's KPI of one scenario."""


@dataclass(frozen=True, slots=True)
class Selection:
    best: int
    replications: tuple[int, ...]  # per scenario, how many were run
    means: tuple[float, ...]


def kn_select(
    sample: Sample,
    k: int,
    *,
    delta: float,
    alpha: float = 0.05,
    n0: int = 10,
    maximise: bool = True,
    most: int = 10_000,
) -> Selection:
    """The KN procedure; see the module docstring. Larger is better unless ``maximise=False``."""
    if k < 2:
        raise InputError("scenarios", "two or more", k)
    if delta <= 0:
        raise InputError("delta", "an indifference zone > 0", delta)
    if not 0 < alpha < 1 - 1 / k:
        raise InputError("alpha", f"a probability in (0, {1 - 1 / k:.3g})", alpha)
    if n0 < 2:
        raise InputError("n0", "at least 2 first replications", n0)
    sign = 1.0 if maximise else -1.0
    data: list[list[float]] = [[sign * sample(i, r) for r in range(n0)] for i in range(k)]
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    h2 = 2 * eta * (n0 - 1)
    first = np.array(data)
    s2 = np.array([[np.var(first[i] - first[j], ddof=1) for j in range(k)] for i in range(k)])
    alive = set(range(k))
    r = n0
    while len(alive) > 1 and r < most:
        means = {i: float(np.mean(data[i][:r])) for i in alive}
        out = set()
        for i in alive:
            for j in alive - {i}:
                w = max(0.0, delta / (2 * r) * (h2 * s2[i, j] / delta**2 - r))
                if means[i] < means[j] - w:
                    out.add(i)
                    break
        alive -= out
        if len(alive) > 1:
            for i in alive:
                data[i].append(sign * sample(i, r))
            r += 1
    best = max(alive, key=lambda i: float(np.mean(data[i])))
    return Selection(
        best=best,
        replications=tuple(len(d) for d in data),
        means=tuple(sign * float(np.mean(d)) for d in data),
    )


def screen(samples: np.ndarray, *, alpha: float = 0.05, maximise: bool = True) -> tuple[int, ...]:
    """The scenarios not shown worse than any other: a subset holding the best with
    probability at least ``1 - alpha``.

    ``samples`` is k x n: row i holds scenario i's n replications, column r the same
    replication (common random numbers are allowed: only paired differences are used).
    Scenario i stays when mean_i >= mean_j - W_ij for every j (<= mean_j + W_ij when
    minimising), W_ij = t S_ij / sqrt(n), S_ij^2 the sample variance of the paired
    differences and t the (1 - alpha)^(1 / (k - 1)) quantile of Student's t with n - 1
    degrees of freedom.

    Source: Nelson, Swann, Goldsman & Song, "Simple procedures for selecting the best
    simulated system when the number of alternatives is large", Operations Research 49(6),
    2001, §3 (the screening procedure).
    """
    data = np.asarray(samples, dtype="float64")
    if data.ndim != 2 or data.shape[0] < 2:
        raise InputError("samples", "a k x n array with k >= 2 scenarios", data.shape)
    k, n = data.shape
    if n < 2:
        raise InputError("samples", "at least 2 replications per scenario", n)
    if not 0 < alpha < 1:
        raise InputError("alpha", "a probability in (0, 1)", alpha)
    sign = 1.0 if maximise else -1.0
    means = sign * data.mean(axis=1)
    spread = (data[:, None, :] - data[None, :, :]).std(axis=2, ddof=1)
    t = float(stats.t.ppf((1 - alpha) ** (1 / (k - 1)), n - 1))
    margin = t * spread / np.sqrt(n)
    kept = np.all(means[:, None] >= means[None, :] - margin - 1e-12, axis=1)
    return tuple(int(i) for i in np.flatnonzero(kept))
