"""Commands: what a customer, a store or a system asks the backend to do.

A command carries everything the decision needs that is not in the state: the time (``at``),
the ids it creates, prices, deadlines. Its fields are checked on construction, so a malformed
command raises :class:`MalformedCommand` naming the field before any rule is looked at.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, dataclass_transform

from simulation.domain.errors import MalformedCommand
from simulation.domain.records import define, fast, record
from simulation.types import (
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    ReturnMode,
    SimTime,
    SkuId,
)

_POSITIVE = frozenset({"qty", "unit_price"})
_NON_NEGATIVE = frozenset({"level", "amount", "hold_minutes", "ttl"})
_IDS = frozenset({"customer", "cart", "order"})
_NAMES = frozenset({"location", "sku", "reason", "to"})
_ENUMS: dict[str, type] = {
    "channel": Channel,
    "mode": FulfilmentMode,
    "return_mode": ReturnMode,
}


def _where(cmd: object, name: str) -> str:
    return f"{type(cmd).__name__}.{name}"


def _check_number(cmd: object, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedCommand(_where(cmd, name), "a finite number", value)
    if name in _POSITIVE and value <= 0:
        raise MalformedCommand(_where(cmd, name), "a positive number", value)
    if name in _NON_NEGATIVE and value < 0:
        raise MalformedCommand(_where(cmd, name), "a number >= 0", value)
    if name in _WHOLE and not isinstance(value, int):
        raise MalformedCommand(_where(cmd, name), "a whole number of units", value)


def _check_id(cmd: object, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedCommand(_where(cmd, name), "an integer id >= 0", value)


def _check_name(cmd: object, name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise MalformedCommand(_where(cmd, name), "a non-empty string", value)


def _check_enum(cmd: object, name: str, value: Any) -> None:
    if not isinstance(value, _ENUMS[name]):
        raise MalformedCommand(_where(cmd, name), f"a {_ENUMS[name].__name__}", value)


_WHOLE = frozenset({"qty", "level"})
Check = Callable[[object, str, Any], None]
_CHECKS: dict[str, Check] = {
    **dict.fromkeys(_IDS, _check_id),
    **dict.fromkeys(_NAMES, _check_name),
    **dict.fromkeys(_ENUMS, _check_enum),
    **dict.fromkeys(_POSITIVE | _NON_NEGATIVE | {"at"}, _check_number),
}
"""The rule of each field name that has one; a field that is None is never checked."""
_PLANS: dict[type, Callable[[object], None]] = {}


def _check_field(cmd: object, name: str, value: Any) -> None:
    check = _CHECKS.get(name)
    if value is not None and check is not None:
        check(cmd, name, value)


def _valid_when(name: str) -> str:
    """A quick test, as source over ``v``, that passes only values the field's rule accepts.

    A value it does not pass goes to the rule itself, which accepts it or raises, so the test
    changes what a check costs, never what it decides.
    """
    number = "(v.__class__ is float or v.__class__ is int)"
    if name in _IDS:
        return "v.__class__ is int and v >= 0"
    if name in _NAMES:
        return "v.__class__ is str and v"
    if name in _ENUMS:
        return f"v.__class__ is _enum_{name}"
    if name in _WHOLE:
        low = ">" if name in _POSITIVE else ">="
        return f"v.__class__ is int and v {low} 0"
    if name in _POSITIVE:
        return f"{number} and 0 < v < _INF"
    if name in _NON_NEGATIVE:
        return f"{number} and 0 <= v < _INF"
    return f"{number} and -_INF < v < _INF"


def _checks_of(kind: type) -> Callable[[object], None]:
    """One function that checks every field of a command class that has a rule (cached).

    It is written out as source, one test per field, like the log's put functions: a loop
    over (field, rule) pairs cost more than the rest of building a command.
    """
    plan = _PLANS.get(kind)
    if plan is None:
        scope: dict[str, Any] = {"_INF": math.inf}
        lines = ["def check(cmd):"]
        for f in dataclasses.fields(kind):
            if f.name not in _CHECKS:
                continue
            scope[f"_rule_{f.name}"] = _CHECKS[f.name]
            if f.name in _ENUMS:
                scope[f"_enum_{f.name}"] = _ENUMS[f.name]
            lines += [
                f"    v = cmd.{f.name}",
                f"    if v is not None and not ({_valid_when(f.name)}):",
                f"        _rule_{f.name}(cmd, {f.name!r}, v)",
            ]
        lines.append("    return None")
        plan = _PLANS[kind] = define("check", "\n".join(lines), scope)
    return plan


class Command:
    """Base of all commands: checks every field by its name on construction."""

    __slots__ = ()

    def __post_init__(self) -> None:
        _checks_of(type(self))(self)


C = TypeVar("C", bound=type[Command])


@dataclass_transform(frozen_default=True, kw_only_default=True)
def command(cls: C) -> C:
    """Make ``cls`` a frozen, slotted, keyword-only command dataclass."""
    return typing.cast(C, fast(dataclass(frozen=True, slots=True, kw_only=True)(cls)))


# ---------------------------------------------------------------- stock


@command
class ReceiveStock(Command):
    at: SimTime
    location: LocationId
    sku: SkuId
    qty: int
    reason: str = "replenishment"


@command
class SetSafetyStock(Command):
    at: SimTime
    location: LocationId
    sku: SkuId
    level: int


@command
class FenceStock(Command):
    """Ring-fence ``level`` units at a location for one channel's exclusive use."""

    at: SimTime
    location: LocationId
    sku: SkuId
    channel: Channel
    level: int


@command
class WriteOffStock(Command):
    at: SimTime
    location: LocationId
    sku: SkuId
    qty: int
    reason: str


@command
class TransferStock(Command):
    """Send unreserved units from ``location`` to another location ``to`` (arrives later)."""

    at: SimTime
    location: LocationId
    to: LocationId
    sku: SkuId
    qty: int


# ---------------------------------------------------------------- carts


@command
class OpenCart(Command):
    at: SimTime
    customer: CustomerId
    cart: CartId
    channel: Channel


@command
class AddToCart(Command):
    """Add units at ``unit_price``; with ``reserve_at``, also reserve them there for ``ttl``."""

    at: SimTime
    cart: CartId
    sku: SkuId
    qty: int
    unit_price: float
    reserve_at: LocationId | None = None
    ttl: float = 30.0

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if self.reserve_at is not None and (
            not isinstance(self.reserve_at, str) or not self.reserve_at
        ):
            raise MalformedCommand(_where(self, "reserve_at"), "a location id", self.reserve_at)


@command
class RemoveFromCart(Command):
    at: SimTime
    cart: CartId
    sku: SkuId
    qty: int


@command
class MoveCart(Command):
    at: SimTime
    cart: CartId
    channel: Channel


@command
class AbandonCart(Command):
    at: SimTime
    cart: CartId
    reason: str = "abandoned"


@command
class ExpireReservations(Command):
    """Release every reservation of the cart whose deadline is at or before ``at``."""

    at: SimTime
    cart: CartId


# ---------------------------------------------------------------- orders


@record
class LegLine:
    sku: SkuId
    qty: int


@record
class Leg:
    """Part of an order sourced from one location and fulfilled by one mode."""

    location: LocationId
    mode: FulfilmentMode
    lines: tuple[LegLine, ...]


def _check_legs(cmd: object, legs: Any) -> None:
    if not isinstance(legs, tuple) or not legs:
        raise MalformedCommand(_where(cmd, "legs"), "a non-empty tuple of Leg", legs)
    seen: set[str] = set()
    for i, leg in enumerate(legs):
        path = f"legs[{i}]"
        if not isinstance(leg, Leg):
            raise MalformedCommand(_where(cmd, path), "a Leg", leg)
        if leg.location in seen:
            raise MalformedCommand(
                _where(cmd, f"{path}.location"), "one leg per location", leg.location
            )
        seen.add(leg.location)
        _check_field(cmd, "location", leg.location)
        _check_field(cmd, "mode", leg.mode)
        if not isinstance(leg.lines, tuple) or not leg.lines:
            raise MalformedCommand(_where(cmd, f"{path}.lines"), "a non-empty tuple", leg.lines)
        for j, line in enumerate(leg.lines):
            if not isinstance(line, LegLine):
                raise MalformedCommand(_where(cmd, f"{path}.lines[{j}]"), "a LegLine", line)
            _check_field(cmd, "sku", line.sku)
            if isinstance(line.qty, bool) or not isinstance(line.qty, int) or line.qty <= 0:
                raise MalformedCommand(_where(cmd, f"{path}.lines[{j}].qty"), "units > 0", line.qty)


@command
class PlaceOrder(Command):
    """Check out a cart into an order whose legs cover the cart's lines exactly."""

    at: SimTime
    order: OrderId
    cart: CartId
    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        _check_legs(self, self.legs)


@command
class CapturePayment(Command):
    at: SimTime
    order: OrderId
    amount: float


@command
class ShipLeg(Command):
    """Hand a delivery leg (home, ship-from-store, endless aisle) to the carrier."""

    at: SimTime
    order: OrderId
    location: LocationId


@command
class DeliverLeg(Command):
    at: SimTime
    order: OrderId
    location: LocationId


@command
class HandOverLeg(Command):
    """Give a carry-out leg to the customer at the store counter."""

    at: SimTime
    order: OrderId
    location: LocationId


@command
class PlaceHold(Command):
    """A click & collect leg is ready in store; hold it for ``hold_minutes``."""

    at: SimTime
    order: OrderId
    location: LocationId
    hold_minutes: float


@command
class PickUpLeg(Command):
    at: SimTime
    order: OrderId
    location: LocationId


@command
class ExpireHold(Command):
    at: SimTime
    order: OrderId
    location: LocationId


@command
class CancelOrder(Command):
    at: SimTime
    order: OrderId
    reason: str = "customer"


@command
class ReturnItems(Command):
    """Units of a received order come back to ``location``; restocked there or written off."""

    at: SimTime
    order: OrderId
    sku: SkuId
    qty: int
    location: LocationId
    return_mode: ReturnMode
    restock: bool = True

    def __post_init__(self) -> None:
        Command.__post_init__(self)
        if not isinstance(self.restock, bool):
            raise MalformedCommand(_where(self, "restock"), "true or false", self.restock)


# ---------------------------------------------------------------- backorders


@command
class PlaceBackorder(Command):
    """Order units that are not in stock at ``location``, to be filled when stock arrives."""

    at: SimTime
    customer: CustomerId
    channel: Channel
    order: OrderId
    location: LocationId
    sku: SkuId
    qty: int
    unit_price: float
    mode: FulfilmentMode = FulfilmentMode.HOME_DELIVERY


@command
class FillBackorder(Command):
    """Give a waiting backorder the units it waits for, from the free stock of its location."""

    at: SimTime
    order: OrderId
