"""The scenario's optional loyalty programme: who enrols, points, tiers, rewards.

A customer may enrol when they place an order, with the probability of the order's channel
times that of their segment; a member earns points on every order they pay (``points_per_unit``
per unit of money, times their tier's multiplier), and at checkout redeems their balance, in
whole steps of ``redeem_at`` points, as a discount the retailer pays (``point_value`` a point).
Membership adds ``retention_bonus`` to the log-odds of coming back and ``basket_bonus`` units to
the mean basket. It needs a ``[satisfaction]`` table (the loop that decides the next visit).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from simulation.scenario.fields import ChannelName, Model, NonNegative, Positive, Probability


class Tier(Model):
    """A tier of the programme, reached at a number of points earned since enrolment."""

    name: str = Field(min_length=1)
    """Name of the tier, as PointsEarned's reason holds it."""
    points: Annotated[int, Field(ge=0)]
    """Points earned since enrolment from which a member is in this tier."""
    multiplier: Positive = 1.0
    """Points earned per point of the base rate in this tier."""


class Loyalty(Model):
    """A loyalty programme (see the module docstring)."""

    enrolment: dict[ChannelName, Probability] = Field(default_factory=dict)
    """Probability that a customer who is not a member enrols when placing an order in each
    channel (channels not listed: 0)."""
    segments: dict[str, Probability] = Field(default_factory=dict)
    """Per segment name, a factor on that probability (segments not listed: 1)."""
    points_per_unit: NonNegative = 1.0
    """Points earned per unit of money paid (before the tier's multiplier)."""
    point_value: NonNegative = 0.01
    """Money a redeemed point is worth at checkout (the retailer's cost)."""
    redeem_at: Annotated[int, Field(gt=0)] = 500
    """Points redeemed at a time: a checkout redeems the balance in whole steps of this."""
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(name="member", points=0)])
    """The tiers, by rising points; the first starts at 0."""
    retention_bonus: Annotated[float, Field(ge=-5.0, le=5.0)] = 0.0
    """Added to a member's log-odds of coming back."""
    basket_bonus: Annotated[float, Field(ge=0.0, le=10.0)] = 0.0
    """Added to a member's mean units per basket."""

    @model_validator(mode="after")
    def _tiers(self) -> Self:
        points = [t.points for t in self.tiers]
        if not points or points[0] != 0:
            raise ValueError(f"tiers[0].points: expected 0 (the first tier), got {points[:1]}")
        for i in range(1, len(points)):
            if points[i] <= points[i - 1]:
                raise ValueError(
                    f"tiers[{i}].points: expected more than tiers[{i - 1}] ({points[i - 1]}), "
                    f"got {points[i]}"
                )
        return self
