"""Satisfaction: a score on the 0-10 scale from what a customer met, fading with time.

``score(t) = clip(baseline + sum of weight[factor] x amount x 2^(-(t - t_met) / half_life),
0, 10)`` over the experiences met up to ``t``. The score drives the survey answers
(:mod:`simulation.customers.surveys`) and the next visit (:mod:`simulation.customers.retention`).
With every weight 0 it is the baseline, always.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simulation.customers.experience import Met

LOWEST, HIGHEST = 0.0, 10.0
NO_REASON = "none"
"""A churn's reason when no experience weighed against satisfaction."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SatisfactionModel:
    """One segment's satisfaction and retention parameters (the scenario's, compiled)."""

    baseline: float
    weights: Mapping[str, float]
    half_life: float  # minutes
    retention: float  # log-odds of coming back per point above the baseline
    delay: float  # log of the next visit's delay, per point below the baseline

    def contributions(self, met: Iterable[Met], t: float) -> dict[str, float]:
        """Points each factor adds to the score at ``t`` (faded); factors of weight 0 left out."""
        out: dict[str, float] = {}
        rate = math.log(2.0) / self.half_life
        for m in met:
            weight = self.weights.get(m.factor, 0.0)
            if weight and m.t <= t:
                out[m.factor] = out.get(m.factor, 0.0) + weight * m.amount * math.exp(
                    -rate * (t - m.t)
                )
        return out

    def score(self, met: Iterable[Met], t: float) -> float:
        """The satisfaction at ``t``, 0-10."""
        raw = self.baseline + sum(self.contributions(met, t).values())
        return min(HIGHEST, max(LOWEST, raw))

    def order_score(self, met: Iterable[Met]) -> float:
        """The satisfaction with one order: the baseline plus what that order met, unfaded."""
        raw = self.baseline + sum(self.weights.get(m.factor, 0.0) * m.amount for m in met)
        return min(HIGHEST, max(LOWEST, raw))

    def reason(self, met: Iterable[Met], t: float) -> str:
        """The factor that weighs most against satisfaction at ``t``, or ``none``."""
        parts = self.contributions(met, t)
        worst = min(parts, key=lambda f: (parts[f], f), default=None)
        return worst if worst is not None and parts[worst] < 0 else NO_REASON
