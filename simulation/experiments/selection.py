"""Selecting the best scenario: the fully sequential KN procedure (Kim & Nelson 2001).

With ``k`` scenarios compared on common random numbers, KN takes ``n0`` replications of each,
estimates the variance of every pairwise difference, then adds one replication at a time to the
scenarios still in contention and drops a scenario as soon as another is ahead of it by more
than a shrinking margin. With probability at least ``1 - alpha`` the survivor is the best
whenever the best is at least ``delta`` better than the second (the indifference zone).
Replications go where they decide the answer: clearly worse scenarios stop early.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

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
