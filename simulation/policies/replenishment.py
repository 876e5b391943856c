"""Replenishment: how much a location orders when it reviews a sku's inventory position.

The inventory position is on hand + on order - reserved (units promised are gone). Each policy
has one method, ``order_qty(position)``, called at every review (periodic review; a review
period of one day by default):

- ``sS``: when the position is at or below ``s``, order up to ``S``;
- ``RQ``: when the position is at or below the reorder point ``R``, order ``Q`` units (as many
  multiples of ``Q`` as bring the position above ``R``);
- ``base_stock``: order up to ``S`` at every review (``sS`` with ``s = S - 1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from simulation.errors import InputError
from simulation.policies.registry import register


class ReplenishmentPolicy(Protocol):
    """What the engine asks of a replenishment policy at a review."""

    def order_qty(self, position: int) -> int:
        """Units to order for an inventory position of ``position`` (0: none)."""


@register("replenishment", "sS")
@dataclass(frozen=True, slots=True)
class MinMax:
    s: int
    S: int

    def __post_init__(self) -> None:
        if self.s >= self.S:
            raise InputError("S", f"an order-up-to level above s = {self.s}", self.S)

    def order_qty(self, position: int) -> int:
        return self.S - position if position <= self.s else 0


@register("replenishment", "RQ")
@dataclass(frozen=True, slots=True)
class ReorderPointQuantity:
    R: int
    Q: int

    def __post_init__(self) -> None:
        if self.Q < 1:
            raise InputError("Q", "an order quantity >= 1", self.Q)

    def order_qty(self, position: int) -> int:
        if position > self.R:
            return 0
        return self.Q * math.ceil((self.R + 1 - position) / self.Q)


@register("replenishment", "base_stock")
@dataclass(frozen=True, slots=True)
class BaseStock:
    S: int

    def order_qty(self, position: int) -> int:
        return max(0, self.S - position)


@register("replenishment", "none")
@dataclass(frozen=True, slots=True)
class NoReplenishment:
    def order_qty(self, position: int) -> int:
        return 0
