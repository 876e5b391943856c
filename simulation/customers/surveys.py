"""Survey answers around a satisfaction score, and the scores read from them.

A customer who answers gives two: how likely they are to recommend the retailer, 0-10 (NPS's
question), their satisfaction now plus a normal noise of the scenario's ``answer_sd``, rounded
and kept within 0-10; and how satisfied they are with the order, 1-5 (CSAT), the order's own
score (:meth:`SatisfactionModel.order_score`) mapped onto 1-5 (0 -> 1, 10 -> 5) with the same
noise, rounded. NPS is the % of promoters (9-10) less the % of detractors (0-6), from -100 to
100; CSAT is the mean answer, 1-5.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

_NORMAL = NormalDist()
PROMOTER, DETRACTOR = 9, 6
"""Answers at or above PROMOTER are promoters', at or below DETRACTOR detractors'."""


def _noisy(value: float, sd: float, u: float) -> float:
    return value + sd * _NORMAL.inv_cdf(min(max(u, 1e-12), 1.0 - 1e-12)) if sd > 0 else value


def recommend_answer(score: float, sd: float, u: float) -> int:
    """The 0-10 answer of a customer of satisfaction ``score``, from the uniform ``u``."""
    return int(min(10, max(0, round(_noisy(score, sd, u)))))


def csat_answer(order_score: float, sd: float, u: float) -> int:
    """The 1-5 answer about an order of score ``order_score`` (0-10), from the uniform ``u``."""
    return int(min(5, max(1, round(1.0 + 0.4 * _noisy(order_score, sd, u)))))


def nps(answers: Sequence[int]) -> float:
    """Net promoter score of 0-10 answers: % promoters - % detractors (NaN without answers)."""
    if not answers:
        return float("nan")
    promoters = sum(a >= PROMOTER for a in answers)
    detractors = sum(a <= DETRACTOR for a in answers)
    return 100.0 * (promoters - detractors) / len(answers)
