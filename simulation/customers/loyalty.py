"""The loyalty programme as the log tells it: who is a member, their tier and their points.

:class:`Programme` folds ``LoyaltyEnrolled``, ``PointsEarned`` and ``PointsRedeemed`` into each
member's balance and points earned; the engine feeds it every event it logs (as it does the
experience projection) and decides enrolment, earning and redemption from it, and the KPIs
fold the log with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulation.domain import events as e


@dataclass(frozen=True, slots=True)
class TierRule:
    """A tier: its name, the points earned from which it holds, its earning multiplier."""

    name: str
    points: int
    multiplier: float


@dataclass(slots=True)
class Member:
    """One member: their points to spend and those earned since they enrolled."""

    balance: int = 0
    earned: int = 0


@dataclass(slots=True)
class Programme:
    """The fold of a log (one replication) into the programme's members."""

    members: dict[int, Member] = field(default_factory=dict)

    def apply(self, event: e.Event) -> None:
        """Fold one event in (every type but the programme's three passes through)."""
        fold = _FOLDS.get(type(event))
        if fold is not None:
            fold(self.members.setdefault(event.customer, Member()), event)  # type: ignore[attr-defined]


def _earned(member: Member, event: e.PointsEarned) -> None:
    member.balance += event.qty
    member.earned += event.qty


def _redeemed(member: Member, event: e.PointsRedeemed) -> None:
    member.balance -= event.qty


_FOLDS: dict[type[e.Event], Callable[[Member, Any], None]] = {
    e.LoyaltyEnrolled: lambda member, event: None,
    e.PointsEarned: _earned,
    e.PointsRedeemed: _redeemed,
}


def tier_of(earned: int, tiers: Sequence[TierRule]) -> TierRule:
    """The highest tier whose threshold ``earned`` points reach (tiers by rising points)."""
    reached = tiers[0]
    for tier in tiers:
        if earned >= tier.points:
            reached = tier
    return reached


def points_for(amount: float, per_unit: float, multiplier: float) -> int:
    """Whole points earned on ``amount`` of money."""
    return max(0, math.floor(amount * per_unit * multiplier + 1e-9))


def redeemable(balance: int, step: int, point_value: float, amount: float) -> int:
    """Points to redeem at a checkout of ``amount``: whole steps of the balance, worth no more
    than the order."""
    if point_value <= 0:
        return 0
    steps = min(balance // step, math.floor(amount / (step * point_value) + 1e-9))
    return max(0, steps) * step
