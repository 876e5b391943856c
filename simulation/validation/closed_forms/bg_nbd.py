"""The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way", Marketing Science 24(2)): closed forms the simulation's ``btyd`` customers are held to.

While alive, a customer buys as a Poisson process of rate ``lam``; after each repeat purchase
they drop out for good with probability ``p``. Across customers ``lam ~ Gamma(r, rate=alpha)``
and ``p ~ Beta(a, b)``. Time counts from the customer's first purchase (which is not a repeat
and cannot end their life); ``t`` and ``T`` are in the unit ``alpha`` is a rate of (days here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from simulation.validation.closed_forms._checks import _check_nonnegative, _check_positive


@dataclass(frozen=True, slots=True)
class BgNbd:
    """The model's four parameters; each must be > 0."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for field in ("r", "alpha", "a", "b"):
            _check_positive(f"bg_nbd.{field}", getattr(self, field))

    def expected_repeats(self, t: float) -> float:
        """E[X(t)]: repeat purchases in the ``t`` time units after the first purchase (eq. 9;
        at ``a = 1`` exactly, the limit from either side)."""
        _check_nonnegative("bg_nbd.t", t)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if a == 1.0:
            return (
                BgNbd(r, alpha, 1.0 - 1e-7, b).expected_repeats(t)
                + BgNbd(r, alpha, 1.0 + 1e-7, b).expected_repeats(t)
            ) / 2
        hyp = special.hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
        return float((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp))

    def probability_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(alive at ``T`` | ``x`` repeats, the last at ``t_x``), per customer (eq. 13)."""
        x, t_x, T = _histories(x, t_x, T)
        ratio = np.where(x > 0, self.a / np.maximum(self.b + x - 1.0, 1e-300), 0.0)
        return 1.0 / (1.0 + ratio * ((self.alpha + T) / (self.alpha + t_x)) ** (self.r + x))

    def log_likelihood(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
        """The log-likelihood of the customers' (x, t_x, T), summed (eq. 6, in logs)."""
        x, t_x, T = _histories(x, t_x, T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
        gone = special.betaln(a + 1.0, np.maximum(b + x - 1.0, 1e-300)) - special.betaln(a, b)
        gone = gone - (r + x) * np.log(alpha + t_x)
        return float(np.sum(common + np.where(x > 0, np.logaddexp(alive, gone), alive)))


def _histories(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    if (x < 0).any() or (t_x < 0).any() or (t_x > T).any():
        raise ValueError("BG/NBD histories need x >= 0 and 0 <= t_x <= T")
    return x, t_x, T
