"""Repeat visits with a constant repeat rate: a geometric number of visits, cut by the horizon.

At the start of every visit a customer decides, with probability p, to come back once more,
an exponential time of mean d later; the decisions are independent. Without a horizon the
number of visits V is geometric on {1, 2, ...}: P(V > k) = p^k and E[V] = 1 / (1 - p)
(Feller, *An Introduction to Probability Theory and Its Applications*, vol. 1, 3rd ed., 1968,
section XI.2; in marketing, the "shifted geometric" of Fader, Hardie & Lee, *RFM and CLV*,
Journal of Marketing Research 42 (2005), whose BG/NBD has it for one customer's purchases).

A run ends at H, and the first visits fall uniformly in [0, W]: visit k + 1 happens when k
comebacks were decided and the k gaps, a Gamma(k, d) time S_k, end before H, so

    P(V > k) = p^k * P(t0 + S_k < H),  t0 ~ U(0, W),

and, with F_k the Gamma(k, d) distribution function and G_k(x) = x F_k(x) - k d F_{k+1}(x) its
integral from 0 to x, P(t0 + S_k < H) = (G_k(H) - G_k(H - W)) / W. E[V] = sum_k P(V > k).
Invalid parameters raise :class:`~simulation.errors.InputError` naming the quantity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from simulation.errors import InputError
from simulation.validation.closed_forms._checks import _check_positive

_TAIL = 1e-15


@dataclass(frozen=True, slots=True, kw_only=True)
class RepeatVisits:
    """Visits of a customer under a constant ``repeat_rate`` p, ``repeat_days`` d between
    visits, first visits uniform over the first ``window_days`` W of a ``horizon_days`` H run
    (None: no horizon, the plain geometric law)."""

    repeat_rate: float
    repeat_days: float
    window_days: float = 1.0
    horizon_days: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.repeat_rate) and 0 <= self.repeat_rate < 1):
            raise InputError("repeat_rate", "a probability in [0, 1)", self.repeat_rate)
        _check_positive("repeat_days", self.repeat_days)
        _check_positive("window_days", self.window_days)
        if self.horizon_days is not None and not self.horizon_days > self.window_days:
            raise InputError(
                "horizon_days", f"a horizon after the arrivals' window ({self.window_days:g} "
                "days)", self.horizon_days,
            )  # fmt: skip

    def reached(self, k: int) -> float:
        """P(k comebacks decided happen before the horizon): P(t0 + S_k < H)."""
        if k == 0 or self.horizon_days is None:
            return 1.0
        h, w = self.horizon_days, self.window_days
        return (self._integral(k, h) - self._integral(k, h - w)) / w

    def _integral(self, k: int, x: float) -> float:
        """G_k(x): the integral of the Gamma(k, d) distribution function from 0 to x."""
        d = self.repeat_days
        cdf = stats.gamma.cdf
        return float(x * cdf(x, k, scale=d) - k * d * cdf(x, k + 1, scale=d))

    def survival(self, k: int) -> float:
        """P(V > k): more than k visits within the horizon."""
        if k < 0:
            raise InputError("k", "an integer >= 0", k)
        return self.repeat_rate**k * self.reached(k)

    def mean(self) -> float:
        """E[V], the expected visits per customer (1 / (1 - p) without a horizon)."""
        if self.horizon_days is None:
            return 1.0 / (1.0 - self.repeat_rate)
        total, k = 0.0, 0
        while (term := self.survival(k)) > _TAIL or k == 0:
            total += term
            k += 1
        return total

    def geometric_mean(self) -> float:
        """1 / (1 - p): the mean without the horizon's cut."""
        return 1.0 / (1.0 - self.repeat_rate)
