"""The scenario's customer-loop tables: promises, satisfaction, surveys and retention.

A scenario without a ``[satisfaction]`` table keeps the constant repeat model (each segment's
``repeat_rate``) and logs none of the loop's events. With one, every customer carries a
satisfaction score on the 0-10 scale of the likelihood-to-recommend question: the segment's
``baseline`` plus, for each experience they met (a late delivery, a stock-out, an expired
hold...), that factor's weight, fading with ``half_life_days``. Their next visit comes with a
probability given by a logistic link of that score, and customers answer surveys (NPS, CSAT)
around it. The weights are 0 by default: a table with no weights reproduces the constant
repeat model exactly (the same visits, plus the survey and promise events).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulation.scenario.fields import Model, NonNegative, Positive, Probability

FACTORS = (
    "late_day", "on_time", "stock_out", "hold_expired", "desk_gave_up", "returned", "contact",
    "cart_moved",
)  # fmt: skip
"""The experience factors, as :mod:`simulation.customers.experience` reads them from the log."""
Factor = Literal[
    "late_day", "on_time", "stock_out", "hold_expired", "desk_gave_up", "returned", "contact",
    "cart_moved",
]  # fmt: skip
Weight = Annotated[float, Field(ge=-10.0, le=10.0)]
Score = Annotated[float, Field(ge=0.0, le=10.0)]
Slope = Annotated[float, Field(ge=-5.0, le=5.0)]


class Weights(Model):
    """Points of satisfaction (0-10 scale) one occurrence of each experience adds (negative:
    it takes them away), before it fades."""

    late_day: Weight = 0.0
    """Per day a leg reached the customer (or the desk) after its promised date (points/day)."""
    on_time: Weight = 0.0
    """A leg received by its promised date (points)."""
    stock_out: Weight = 0.0
    """Missing stock met on a visit, whatever the customer did then (points)."""
    hold_expired: Weight = 0.0
    """A click & collect hold that expired before the customer collected it (points)."""
    desk_gave_up: Weight = 0.0
    """Leaving the pickup desk queue when patience ran out (points)."""
    returned: Weight = 0.0
    """A return sent back and refunded (points)."""
    contact: Weight = 0.0
    """A contact with customer service, by chat or phone (points)."""
    cart_moved: Weight = 0.0
    """A cart carried to another channel with its content (points)."""


class SegmentSatisfaction(Model):
    """One segment's own values; a field left out keeps the ``[satisfaction]`` table's."""

    baseline: Score | None = None
    """Satisfaction of a customer of this segment who has met nothing yet (0-10)."""
    weights: dict[Factor, Weight] = Field(default_factory=dict)
    """Weights that differ from the table's, by factor (points)."""
    half_life_days: Positive | None = None
    """Days after which an experience weighs half as much."""
    retention: Slope | None = None
    """Change in the log-odds of coming back per point of satisfaction above the baseline."""
    delay: Slope | None = None
    """Change in the log of the delay before the next visit per point above the baseline."""


class Satisfaction(Model):
    """Each customer's satisfaction (0-10) from what they met, fading with time; it sets their
    survey answers and whether and when they come back. Without this table every segment keeps
    its constant repeat_rate."""

    enabled: bool = True
    """false turns the customer loop off in a scenario that extends one with this table."""
    baseline: Score = 7.5
    """Satisfaction of a customer who has met nothing yet (0-10, the likelihood-to-recommend
    scale; 7.5 sits between passives and promoters)."""
    weights: Weights = Field(default_factory=Weights)
    """Points each experience adds to or takes from satisfaction (0: it does not matter)."""
    half_life_days: Positive = 30.0
    """Days after which an experience weighs half as much (exponential fading)."""
    retention: Slope = 0.0
    """Logistic link: the log-odds of coming back are logit(repeat_rate) + retention x
    (satisfaction - baseline); 0 keeps the segment's repeat_rate (per point)."""
    delay: Slope = 0.0
    """The delay before the next visit is the segment's, times exp(-delay x (satisfaction at
    the visit's start - baseline)): a happier customer comes back sooner (per point)."""
    response_rate: Probability = 0.1
    """Share of settled orders whose customer answers the survey (NPS and CSAT)."""
    answer_sd: NonNegative = 1.0
    """Spread of an answer around the customer's satisfaction (points of the 0-10 scale)."""
    segments: dict[str, SegmentSatisfaction] = Field(default_factory=dict)
    """Per segment name, values that differ from this table's."""


class Promises(Model):
    """What the retailer promises at checkout; a leg that comes later is late."""

    delivery_days: Annotated[float, Field(gt=0.0, le=365.0)] | None = None
    """Days promised for a carrier's leg (home delivery, ship from store, endless aisle);
    None: the carriers' ship_days_mean + ship_days_sd."""
    collect_hours: Positive = 24.0
    """Hours promised for a click & collect leg to be ready at the desk."""
