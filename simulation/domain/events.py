"""Events: facts in the past tense, one row each in the event log.

Every event is a frozen, slotted dataclass whose fields are a subset of the log's columns
(``COLUMNS``); the log adds ``seq``, ``type`` and ``replication``. The class name is the
stable ``type`` written to the log, so renaming a class is a schema change.

Fields, by column (null where the event does not concern it):

- ``t``: simulated minutes since the scenario start (float).
- ``customer``, ``cart``, ``order``: integer ids.
- ``channel``: a :class:`~simulation.types.Channel` value.
- ``location``, ``sku``: string ids from the scenario.
- ``qty``: units (int); ``amount``: money (float, the scenario's currency).
- ``mode``: a :class:`FulfilmentMode` for legs, a :class:`ReturnMode` for returns.
- ``reason``: why (a lost sale, a write-off, a cancellation).
- ``until``: a deadline in simulated minutes (reservations, holds).
- ``segment``: the customer segment's name.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, dataclass_transform

from simulation.domain.records import fast
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

SCHEMA_VERSION = 2
"""Version of the log's columns and event types; bumped on any incompatible change."""

COLUMNS: tuple[str, ...] = (
    "t",
    "customer",
    "channel",
    "location",
    "sku",
    "cart",
    "order",
    "qty",
    "amount",
    "mode",
    "reason",
    "until",
    "segment",
)
"""Event payload columns, in log order (after ``seq`` and ``type``, before ``replication``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events. ``t`` is when it happened, in simulated minutes."""

    TYPE: ClassVar[str] = "Event"
    t: SimTime


E = TypeVar("E", bound=type[Event])

EVENT_TYPES: dict[str, type[Event]] = {}
"""Every event class by its stable type name."""


@dataclass_transform(frozen_default=True, kw_only_default=True)
def event(cls: E) -> E:
    """Make ``cls`` a frozen, slotted event dataclass and register it by its class name."""
    made = fast(dataclass(frozen=True, slots=True, kw_only=True)(cls))
    name = made.__name__
    unknown = [f.name for f in dataclasses.fields(made) if f.name not in COLUMNS]
    if unknown:
        raise TypeError(f"event {name} has fields {unknown} that are not log columns {COLUMNS}")
    if name in EVENT_TYPES:
        raise TypeError(f"event type {name!r} is registered twice")
    made.TYPE = name
    EVENT_TYPES[name] = made
    return typing.cast(E, made)


# ---------------------------------------------------------------- stock (location x sku)


@event
class StockReceived(Event):
    """Units arrived on hand at a location (initial stock, replenishment, transfer in)."""

    location: LocationId
    sku: SkuId
    qty: int
    reason: str = "replenishment"


@event
class SafetyStockSet(Event):
    """Units held back from remote channels at a location; ``qty`` is the new level."""

    location: LocationId
    sku: SkuId
    qty: int


@event
class StockFenced(Event):
    """Units ring-fenced for one channel at a location; ``qty`` is the new fence (0 lifts it)."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int


@event
class StockReserved(Event):
    """Units set aside for a cart or an order; exactly one of ``cart`` and ``order`` is set."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int
    cart: CartId | None = None
    order: OrderId | None = None
    until: SimTime | None = None


@event
class ReservationReleased(Event):
    """A reservation given back before it expired (cart edited, abandoned, checked out)."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int
    cart: CartId | None = None
    order: OrderId | None = None
    reason: str


@event
class ReservationExpired(Event):
    """A cart's reservation reached its deadline and went back to the shelf."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int
    cart: CartId
    until: SimTime


@event
class StockIssued(Event):
    """Reserved units left a location for an order (shipped, handed over, picked up)."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int
    order: OrderId
    mode: FulfilmentMode


@event
class StockTransferredOut(Event):
    """Units left a location for another one; ``reason`` names the destination.

    They arrive later as a ``StockReceived`` with reason ``transfer``.
    """

    location: LocationId
    sku: SkuId
    qty: int
    reason: str


@event
class StockWrittenOff(Event):
    """Units removed from on-hand stock (damage, shrink, an unsellable return)."""

    location: LocationId
    sku: SkuId
    qty: int
    reason: str


@event
class StockRestocked(Event):
    """A returned unit put back on hand at a location."""

    location: LocationId
    sku: SkuId
    qty: int
    order: OrderId


# ---------------------------------------------------------------- carts


@event
class CartOpened(Event):
    customer: CustomerId
    cart: CartId
    channel: Channel


@event
class CartItemAdded(Event):
    """``amount`` is the unit price agreed when the item was added."""

    cart: CartId
    channel: Channel
    sku: SkuId
    qty: int
    amount: float


@event
class CartItemRemoved(Event):
    cart: CartId
    channel: Channel
    sku: SkuId
    qty: int


@event
class CartMoved(Event):
    """The customer carried the cart to another channel (``channel`` is the new one)."""

    customer: CustomerId
    cart: CartId
    channel: Channel


@event
class CartAbandoned(Event):
    customer: CustomerId
    cart: CartId
    channel: Channel
    reason: str


@event
class CartCheckedOut(Event):
    customer: CustomerId
    cart: CartId
    channel: Channel
    order: OrderId


# ---------------------------------------------------------------- orders


@event
class OrderPlaced(Event):
    """``qty`` is the order's total units, ``amount`` its total price."""

    customer: CustomerId
    channel: Channel
    cart: CartId
    order: OrderId
    qty: int
    amount: float


@event
class LineAllocated(Event):
    """Part of an order sourced from one location, fulfilled by one mode (a leg's line)."""

    order: OrderId
    location: LocationId
    sku: SkuId
    qty: int
    amount: float
    mode: FulfilmentMode


@event
class PaymentCaptured(Event):
    order: OrderId
    amount: float


@event
class LegShipped(Event):
    """A leg left its location by carrier (home delivery, ship-from-store, endless aisle)."""

    order: OrderId
    location: LocationId
    mode: FulfilmentMode


@event
class LegDelivered(Event):
    order: OrderId
    location: LocationId
    mode: FulfilmentMode


@event
class LegHandedOver(Event):
    """A carry-out leg given to the customer across the store counter."""

    order: OrderId
    location: LocationId
    mode: FulfilmentMode


@event
class HoldPlaced(Event):
    """A click & collect leg is ready at the store, held until ``until``."""

    order: OrderId
    location: LocationId
    until: SimTime


@event
class LegPickedUp(Event):
    order: OrderId
    location: LocationId
    mode: FulfilmentMode


@event
class HoldExpired(Event):
    """Nobody came before ``until``: the leg is cancelled and its units go back on sale."""

    order: OrderId
    location: LocationId


@event
class OrderCancelled(Event):
    order: OrderId
    reason: str


@event
class ReturnReceived(Event):
    """Units of an order came back; ``amount`` is the refund value of those units."""

    customer: CustomerId
    order: OrderId
    location: LocationId
    sku: SkuId
    qty: int
    amount: float
    mode: ReturnMode
    reason: str


@event
class RefundIssued(Event):
    order: OrderId
    amount: float
    reason: str


# ---------------------------------------------------------------- backorders


@event
class BackorderPlaced(Event):
    """A customer found no stock and ordered ``qty`` units to come when stock arrives."""

    customer: CustomerId
    channel: Channel
    order: OrderId
    location: LocationId
    sku: SkuId
    qty: int
    amount: float
    mode: FulfilmentMode


@event
class BackorderFilled(Event):
    """Stock arrived and went to a waiting backorder (with its StockReserved and StockIssued)."""

    order: OrderId
    location: LocationId
    sku: SkuId
    qty: int


# ---------------------------------------------------------------- journeys (observations)


@event
class CustomerArrived(Event):
    """A customer's visit begins at a touchpoint."""

    customer: CustomerId
    channel: Channel
    segment: str


@event
class TouchpointVisited(Event):
    """One step of a journey: ``reason`` is the step (discover, research, check_stock, ...)."""

    customer: CustomerId
    channel: Channel
    reason: str
    sku: SkuId | None = None


@event
class StockChecked(Event):
    """A customer looked up availability; ``qty`` is what the channel showed."""

    customer: CustomerId
    channel: Channel
    location: LocationId
    sku: SkuId
    qty: int


@event
class SaleLost(Event):
    """Demand that left unserved: ``reason`` says why (no_stock, queue, price, ...)."""

    customer: CustomerId
    channel: Channel
    sku: SkuId
    qty: int
    amount: float
    reason: str
    location: LocationId | None = None


@event
class CustomerLeft(Event):
    customer: CustomerId
    channel: Channel
    reason: str


# ---------------------------------------------------------------- marketing


@event
class CampaignTouched(Event):
    """A campaign brought this customer's first visit, noted as it begins: ``reason`` is the
    campaign's name, ``channel`` the channel it came through."""

    customer: CustomerId
    channel: Channel
    reason: str


# ---------------------------------------------------------------- customers (experience, surveys)
# Noted by the engine only when the scenario has a ``satisfaction`` table: a scenario without
# one logs none of them.


@event
class DeliveryPromised(Event):
    """The retailer's promise for one leg of an order, made at checkout: ``until`` is when the
    leg should reach the customer (a carrier's modes) or be ready at the desk (click &
    collect), from the sourcing decision and the scenario's promised carrier days."""

    customer: CustomerId
    order: OrderId
    location: LocationId
    mode: FulfilmentMode
    until: SimTime


@event
class SurveyAnswered(Event):
    """A customer answered the survey sent once an order was settled (every leg received,
    expired or cancelled). ``reason`` is the question: ``nps`` (``qty`` 0-10, how likely they
    are to recommend the retailer) or ``csat`` (``qty`` 1-5, how satisfied they are with this
    order); ``channel`` is the channel the order was placed in, ``mode`` its fulfilment mode."""

    customer: CustomerId
    order: OrderId
    channel: Channel
    mode: FulfilmentMode
    segment: str
    reason: str
    qty: int


@event
class CustomerChurned(Event):
    """A customer decided, when they would have come back, not to: ``reason`` is the
    experience factor that weighed most against their satisfaction then (``none`` when none
    did: the segment's base rate alone), ``amount`` their satisfaction (0-10)."""

    customer: CustomerId
    segment: str
    reason: str
    amount: float


@event
class LoyaltyEnrolled(Event):
    """A customer joined the loyalty programme when placing an order in ``channel``
    (``reason``: the tier they start in). Noted only by a scenario with a loyalty table."""

    customer: CustomerId
    channel: Channel
    segment: str
    order: OrderId
    reason: str


@event
class PointsEarned(Event):
    """A member earned ``qty`` points on a paid order (``reason``: their tier then)."""

    customer: CustomerId
    order: OrderId
    qty: int
    reason: str


@event
class PointsRedeemed(Event):
    """A member redeemed ``qty`` points at checkout for a discount of ``amount``, which the
    retailer pays (a reward's cost)."""

    customer: CustomerId
    order: OrderId
    qty: int
    amount: float


# ---------------------------------------------------------------- field metadata

Converter = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field of an event type is read back from a log row."""

    name: str
    expected: str
    convert: Converter
    required: bool


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not float(value).is_integer():
        raise ValueError(value)
    return int(value)


def _as_str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(value)
    return value


_CONVERTERS: dict[Any, tuple[str, Converter]] = {
    int: ("an integer", _as_int),
    float: ("a number", float),
    str: ("a non-empty string", _as_str),
    SimTime: ("a number", float),
    CustomerId: ("an integer id", _as_int),
    CartId: ("an integer id", _as_int),
    OrderId: ("an integer id", _as_int),
    LocationId: ("a location id", _as_str),
    SkuId: ("a sku id", _as_str),
    Channel: (f"one of {[c.value for c in Channel]}", Channel),
    FulfilmentMode: (f"one of {[m.value for m in FulfilmentMode]}", FulfilmentMode),
    ReturnMode: (f"one of {[m.value for m in ReturnMode]}", ReturnMode),
}


def _spec(name: str, hint: Any, has_default: bool) -> FieldSpec:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = len(args) == 1 and type(None) in typing.get_args(hint)
    base = args[0] if optional else hint
    expected, convert = _CONVERTERS[base]
    return FieldSpec(name, expected, convert, required=not optional and not has_default)


def _field_specs(cls: type[Event]) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls)
    return tuple(
        _spec(
            f.name,
            hints[f.name],
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    )


FIELD_SPECS: dict[str, tuple[FieldSpec, ...]] = {
    name: _field_specs(cls) for name, cls in EVENT_TYPES.items()
}
"""For each event type, how to read each of its fields back from a row."""
