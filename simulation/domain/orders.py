"""Orders: a checked-out cart, split into fulfilment legs, paid, shipped or collected.

An order has one leg per sourcing location; each leg has a fulfilment mode and lines. Its units
stay reserved at the leg's location until they leave (shipped, handed over, picked up) or the
leg ends without them leaving (cancelled, hold expired). Goods never leave for an unpaid order.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from simulation.domain.commands import (
    CancelOrder,
    CapturePayment,
    DeliverLeg,
    HandOverLeg,
    ShipLeg,
)
from simulation.domain.errors import (
    InvalidTransition,
    OrderMismatch,
    PaymentRequired,
    UnknownAggregate,
)
from simulation.domain.events import (
    Event,
    HoldExpired,
    HoldPlaced,
    LegDelivered,
    LegHandedOver,
    LegPickedUp,
    LegShipped,
    LineAllocated,
    OrderCancelled,
    OrderPlaced,
    PaymentCaptured,
    RefundIssued,
    ReservationReleased,
    ReturnReceived,
    StockIssued,
)
from simulation.domain.records import record, replacer, shared_lines
from simulation.domain.stock import StockLevel
from simulation.types import (
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    SimTime,
    SkuId,
)

MONEY_TOLERANCE = 1e-6
SHIPPED_MODES = frozenset(
    {FulfilmentMode.HOME_DELIVERY, FulfilmentMode.SHIP_FROM_STORE, FulfilmentMode.ENDLESS_AISLE}
)


class LegStatus(StrEnum):
    ALLOCATED = "allocated"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    HELD = "held"
    PICKED_UP = "picked_up"
    HANDED_OVER = "handed_over"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def reserves_stock(self) -> bool:
        """The leg's units are still reserved at its location."""
        return self in {LegStatus.ALLOCATED, LegStatus.HELD}

    @property
    def received(self) -> bool:
        """The customer has the units."""
        return self in {LegStatus.DELIVERED, LegStatus.PICKED_UP, LegStatus.HANDED_OVER}

    @property
    def left_location(self) -> bool:
        return self in {LegStatus.SHIPPED} or self.received


@record
class OrderLine:
    sku: SkuId
    qty: int
    unit_price: float


@record
class LegState:
    location: LocationId
    mode: FulfilmentMode
    lines: tuple[OrderLine, ...] = ()
    status: LegStatus = LegStatus.ALLOCATED
    hold_until: SimTime | None = None

    @property
    def amount(self) -> float:
        return sum(line.qty * line.unit_price for line in self.lines)


@record
class OrderState:
    customer: CustomerId
    channel: Channel
    cart: CartId
    amount: float
    legs: tuple[LegState, ...] = ()
    paid: float = 0.0
    refunded: float = 0.0
    cancelled: bool = False
    returned: tuple[tuple[SkuId, int], ...] = ()

    @property
    def is_paid(self) -> bool:
        return self.paid + MONEY_TOLERANCE >= self.amount > 0 or self.amount == 0

    def leg_at(self, location: str) -> LegState | None:
        for leg in self.legs:
            if leg.location == location:
                return leg
        return None

    def received_of(self, sku: str) -> int:
        return sum(
            line.qty
            for leg in self.legs
            if leg.status.received
            for line in leg.lines
            if line.sku == sku
        )

    def returned_of(self, sku: str) -> int:
        return sum(qty for s, qty in self.returned if s == sku)

    def unit_price_of(self, sku: str) -> float:
        return next(
            (line.unit_price for leg in self.legs for line in leg.lines if line.sku == sku), 0.0
        )


_replace_order = replacer(OrderState)
_replace_leg = replacer(LegState)
_one_line = shared_lines(OrderLine)

StockLookup = Callable[[LocationId, SkuId], StockLevel]


def existing_order(order_id: OrderId, state: OrderState | None) -> OrderState:
    if state is None:
        raise UnknownAggregate(f"order {order_id} does not exist", order=order_id)
    return state


def active_order(order_id: OrderId, state: OrderState | None) -> OrderState:
    order = existing_order(order_id, state)
    if order.cancelled:
        raise InvalidTransition(f"order {order_id} is cancelled", order=order_id)
    return order


def leg_of(order_id: OrderId, order: OrderState, location: str) -> LegState:
    leg = order.leg_at(location)
    if leg is None:
        raise UnknownAggregate(
            f"order {order_id} has no leg at {location}", order=order_id, location=location
        )
    return leg


def require_status(order_id: OrderId, leg: LegState, *allowed: LegStatus) -> None:
    if leg.status not in allowed:
        raise InvalidTransition(
            f"leg of order {order_id} at {leg.location} is {leg.status.value}, "
            f"expected {' or '.join(s.value for s in allowed)}",
            order=order_id,
            location=leg.location,
            status=leg.status.value,
        )


def require_mode(order_id: OrderId, leg: LegState, allowed: frozenset[FulfilmentMode]) -> None:
    if leg.mode not in allowed:
        raise InvalidTransition(
            f"leg of order {order_id} at {leg.location} is {leg.mode.value}, "
            f"expected {' or '.join(sorted(m.value for m in allowed))}",
            order=order_id,
            location=leg.location,
            mode=leg.mode.value,
        )


def require_paid(order_id: OrderId, order: OrderState) -> None:
    if not order.is_paid:
        raise PaymentRequired(
            f"order {order_id} is not paid: {order.paid:.2f} of {order.amount:.2f}",
            order=order_id,
            paid=order.paid,
            amount=order.amount,
        )


# ---------------------------------------------------------------- payment, shipping, cancelling


def decide_payment(command: CapturePayment, state: OrderState | None) -> list[Event]:
    order = active_order(command.order, state)
    due = order.amount - order.paid
    if due <= MONEY_TOLERANCE:
        raise InvalidTransition(f"order {command.order} is already paid", order=command.order)
    if abs(command.amount - due) > MONEY_TOLERANCE:
        raise OrderMismatch(
            f"payment of {command.amount:.2f} for order {command.order} does not match "
            f"the {due:.2f} due",
            order=command.order,
            amount=command.amount,
            due=due,
        )
    return [PaymentCaptured(t=SimTime(command.at), order=command.order, amount=command.amount)]


def issue_leg(order_id: OrderId, order: OrderState, leg: LegState, at: SimTime) -> list[Event]:
    """The units of a leg leave its location: one StockIssued per line."""
    return [
        StockIssued(
            t=at,
            location=leg.location,
            sku=line.sku,
            channel=order.channel,
            qty=line.qty,
            order=order_id,
            mode=leg.mode,
        )
        for line in leg.lines
    ]


def release_leg(
    order_id: OrderId, order: OrderState, leg: LegState, at: SimTime, reason: str
) -> list[Event]:
    """Give back a leg's reserved units at its location."""
    return [
        ReservationReleased(
            t=at,
            location=leg.location,
            sku=line.sku,
            channel=order.channel,
            qty=line.qty,
            order=order_id,
            reason=reason,
        )
        for line in leg.lines
    ]


def decide_shipping(
    command: ShipLeg | DeliverLeg | HandOverLeg, state: OrderState | None
) -> list[Event]:
    order = active_order(command.order, state)
    leg = leg_of(command.order, order, command.location)
    at = SimTime(command.at)
    match command:
        case ShipLeg():
            require_mode(command.order, leg, SHIPPED_MODES)
            require_status(command.order, leg, LegStatus.ALLOCATED)
            require_paid(command.order, order)
            shipped = LegShipped(t=at, order=command.order, location=leg.location, mode=leg.mode)
            return [*issue_leg(command.order, order, leg, at), shipped]
        case DeliverLeg():
            require_status(command.order, leg, LegStatus.SHIPPED)
            return [LegDelivered(t=at, order=command.order, location=leg.location, mode=leg.mode)]
        case HandOverLeg():
            require_mode(command.order, leg, frozenset({FulfilmentMode.CARRY_OUT}))
            require_status(command.order, leg, LegStatus.ALLOCATED)
            require_paid(command.order, order)
            handed = LegHandedOver(t=at, order=command.order, location=leg.location, mode=leg.mode)
            return [*issue_leg(command.order, order, leg, at), handed]


def decide_cancel(command: CancelOrder, state: OrderState | None) -> list[Event]:
    """Cancel an order none of whose goods have left: release what is reserved, refund."""
    order = active_order(command.order, state)
    gone = [leg.location for leg in order.legs if leg.status.left_location]
    if gone:
        raise InvalidTransition(
            f"order {command.order} cannot be cancelled: legs at {gone} have left",
            order=command.order,
            locations=gone,
        )
    at = SimTime(command.at)
    events: list[Event] = [OrderCancelled(t=at, order=command.order, reason=command.reason)]
    for leg in order.legs:
        if leg.status.reserves_stock:
            events += release_leg(command.order, order, leg, at, "cancelled")
    refund = order.paid - order.refunded
    if refund > MONEY_TOLERANCE:
        events.append(RefundIssued(t=at, order=command.order, amount=refund, reason="cancelled"))
    return events


# ---------------------------------------------------------------- evolve


def _set_leg(state: OrderState, location: str, **changes: object) -> OrderState:
    legs = [_replace_leg(leg, **changes) if leg.location == location else leg for leg in state.legs]
    return _replace_order(state, legs=tuple(legs))


def _add_line(state: OrderState, event: LineAllocated) -> OrderState:
    one = _one_line(event.sku, event.qty, event.amount)
    leg = state.leg_at(event.location)
    if leg is None:
        new_leg = LegState(location=event.location, mode=event.mode, lines=one)
        return _replace_order(state, legs=(*state.legs, new_leg))
    return _set_leg(state, event.location, lines=(*leg.lines, *one))


def _add_returned(state: OrderState, sku: SkuId, qty: int) -> OrderState:
    total = qty + state.returned_of(sku)
    kept = tuple((s, q) for s, q in state.returned if s != sku)
    return _replace_order(state, returned=(*kept, (sku, total)))


def _placed(state: OrderState | None, event: OrderPlaced) -> OrderState:
    return OrderState(
        customer=event.customer, channel=event.channel, cart=event.cart, amount=event.amount
    )


def _allocated(state: OrderState | None, event: LineAllocated) -> OrderState | None:
    return None if state is None else _add_line(state, event)


def _paid(state: OrderState | None, event: PaymentCaptured) -> OrderState | None:
    return None if state is None else _replace_order(state, paid=state.paid + event.amount)


def _refunded(state: OrderState | None, event: RefundIssued) -> OrderState | None:
    return None if state is None else _replace_order(state, refunded=state.refunded + event.amount)


def _held(state: OrderState | None, event: HoldPlaced) -> OrderState | None:
    if state is None:
        return None
    return _set_leg(state, event.location, status=LegStatus.HELD, hold_until=event.until)


def _leg_becomes(status: LegStatus) -> OrderEvolver:
    """The evolver of an event that moves a leg to ``status``."""

    def evolve(state: OrderState | None, event: Any) -> OrderState | None:
        return None if state is None else _set_leg(state, event.location, status=status)

    return evolve


def _cancelled(state: OrderState | None, event: OrderCancelled) -> OrderState | None:
    if state is None:
        return None
    cancelled = tuple(
        _replace_leg(leg, status=LegStatus.CANCELLED) if leg.status.reserves_stock else leg
        for leg in state.legs
    )
    return _replace_order(state, cancelled=True, legs=cancelled)


def _returned(state: OrderState | None, event: ReturnReceived) -> OrderState | None:
    return None if state is None else _add_returned(state, event.sku, event.qty)


OrderEvolver = Callable[[OrderState | None, Any], OrderState | None]

ORDER_EVOLVERS: dict[type[Event], OrderEvolver] = {
    OrderPlaced: _placed,
    LineAllocated: _allocated,
    PaymentCaptured: _paid,
    RefundIssued: _refunded,
    HoldPlaced: _held,
    LegShipped: _leg_becomes(LegStatus.SHIPPED),
    LegDelivered: _leg_becomes(LegStatus.DELIVERED),
    LegHandedOver: _leg_becomes(LegStatus.HANDED_OVER),
    LegPickedUp: _leg_becomes(LegStatus.PICKED_UP),
    HoldExpired: _leg_becomes(LegStatus.EXPIRED),
    OrderCancelled: _cancelled,
    ReturnReceived: _returned,
}
"""The order after an event, by the event's exact type (None until it is placed)."""


def evolve_order(state: OrderState | None, event: Event) -> OrderState | None:
    """The order after ``event`` (None until it is placed)."""
    step = ORDER_EVOLVERS.get(type(event))
    return state if step is None else step(state, event)


ORDER_EVENTS: frozenset[type[Event]] = frozenset(ORDER_EVOLVERS)
"""Event types that change an order."""
