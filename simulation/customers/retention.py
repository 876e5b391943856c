"""Retention: whether, and how soon, a customer comes back, from their satisfaction.

The probability of a next visit is a logistic link of the satisfaction ``s``:
``logit(p) = logit(repeat_rate) + retention x (s - baseline)``, so a customer at the baseline
comes back with the segment's ``repeat_rate``, and with ``retention = 0`` (or every weight 0)
every customer does: the constant repeat model is the special case. The delay before that
visit is the segment's exponential, times ``exp(-delay x (s - baseline))`` with ``s`` the
satisfaction when the visit began.
"""

from __future__ import annotations

import math


def come_back_probability(
    repeat_rate: float, slope: float, above: float, bonus: float = 0.0
) -> float:
    """P(next visit) for a segment's ``repeat_rate``, link ``slope``, a satisfaction ``above``
    the baseline (points; negative below) and a ``bonus`` on the log-odds (a loyalty
    member's). Exactly ``repeat_rate`` when ``slope x above + bonus`` is 0, and 0 or 1 when
    the rate is."""
    shift = slope * above + bonus
    if shift == 0.0 or repeat_rate <= 0.0 or repeat_rate >= 1.0:
        return repeat_rate
    odds = math.log(repeat_rate / (1.0 - repeat_rate)) + shift
    return 1.0 / (1.0 + math.exp(-odds)) if odds > -700 else 0.0


def delay_factor(slope: float, above: float) -> float:
    """What the next visit's delay is multiplied by; exactly 1 when ``slope x above`` is 0."""
    shift = slope * above
    return 1.0 if shift == 0.0 else math.exp(-shift)
