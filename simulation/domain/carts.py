"""Carts that follow a customer across channels.

A cart is opened in one channel, may be moved to another (started in the app, finished in a
store), holds lines (sku, units, unit price) and, where the allocation policy reserves at
add-to-cart, reservations with a deadline. It ends checked out (into an order) or abandoned.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from simulation.domain.commands import (
    AbandonCart,
    AddToCart,
    ExpireReservations,
    MoveCart,
    OpenCart,
    RemoveFromCart,
)
from simulation.domain.errors import (
    DuplicateAggregate,
    InvalidTransition,
    NotYetExpired,
    UnknownAggregate,
)
from simulation.domain.events import (
    CartAbandoned,
    CartCheckedOut,
    CartItemAdded,
    CartItemRemoved,
    CartMoved,
    CartOpened,
    Event,
    ReservationExpired,
    ReservationReleased,
    StockReserved,
)
from simulation.domain.records import record, replacer, shared_lines
from simulation.domain.stock import StockLevel, check_reservable
from simulation.types import CartId, Channel, CustomerId, LocationId, SimTime, SkuId


class CartStatus(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"
    ABANDONED = "abandoned"


@record
class CartLine:
    sku: SkuId
    qty: int
    unit_price: float


@record
class Reservation:
    """Units a cart holds at a location, for the channel that reserved them, until a deadline."""

    location: LocationId
    sku: SkuId
    channel: Channel
    qty: int
    until: SimTime


@record
class CartState:
    customer: CustomerId
    channel: Channel
    status: CartStatus = CartStatus.OPEN
    lines: tuple[CartLine, ...] = ()
    reservations: tuple[Reservation, ...] = ()

    def qty_of(self, sku: str) -> int:
        return sum(line.qty for line in self.lines if line.sku == sku)

    def reserved_of(self, sku: str, location: str | None = None) -> int:
        return sum(
            r.qty
            for r in self.reservations
            if r.sku == sku and (location is None or r.location == location)
        )

    @property
    def amount(self) -> float:
        return sum(line.qty * line.unit_price for line in self.lines)


_replace_cart = replacer(CartState)
_one_line = shared_lines(CartLine)
_replace_reservation = replacer(Reservation)

CartCommand = OpenCart | AddToCart | RemoveFromCart | MoveCart | AbandonCart | ExpireReservations
StockLookup = Callable[[LocationId, SkuId], StockLevel]


def open_cart(cart_id: CartId, state: CartState | None) -> CartState:
    """The cart, which must exist and be open, or the error that says why not."""
    if state is None:
        raise UnknownAggregate(f"cart {cart_id} does not exist", cart=cart_id)
    if state.status is not CartStatus.OPEN:
        raise InvalidTransition(
            f"cart {cart_id} is {state.status.value}, not open", cart=cart_id, status=state.status
        )
    return state


def release_all(state: CartState, cart: CartId, at: SimTime, reason: str) -> list[Event]:
    """Give back every reservation the cart holds."""
    return [
        ReservationReleased(
            t=at,
            location=r.location,
            sku=r.sku,
            channel=r.channel,
            qty=r.qty,
            cart=cart,
            reason=reason,
        )
        for r in state.reservations
    ]


def decide_cart(command: CartCommand, state: CartState | None, stock: StockLookup) -> list[Event]:
    """Events for a cart command, or a :class:`DomainError` and no event."""
    at = SimTime(command.at)
    if isinstance(command, OpenCart):
        if state is not None:
            raise DuplicateAggregate(f"cart {command.cart} already exists", cart=command.cart)
        return [
            CartOpened(t=at, customer=command.customer, cart=command.cart, channel=command.channel)
        ]
    cart = open_cart(command.cart, state)
    match command:
        case AddToCart():
            return _add(command, cart, stock, at)
        case RemoveFromCart():
            return _remove(command, cart, at)
        case MoveCart():
            return [
                CartMoved(t=at, customer=cart.customer, cart=command.cart, channel=command.channel)
            ]
        case AbandonCart():
            return _abandon(command, cart, at)
        case ExpireReservations():
            return _expire(command, cart, at)


def _add(command: AddToCart, cart: CartState, stock: StockLookup, at: SimTime) -> list[Event]:
    events: list[Event] = [
        CartItemAdded(
            t=at,
            cart=command.cart,
            channel=cart.channel,
            sku=command.sku,
            qty=command.qty,
            amount=command.unit_price,
        )
    ]
    if command.reserve_at is not None:
        location = command.reserve_at
        check_reservable(
            stock(location, command.sku),
            location=location,
            sku=command.sku,
            channel=cart.channel,
            qty=command.qty,
        )
        events.append(
            StockReserved(
                t=at,
                location=location,
                sku=command.sku,
                channel=cart.channel,
                qty=command.qty,
                cart=command.cart,
                until=SimTime(at + command.ttl),
            )
        )
    return events


def _remove(command: RemoveFromCart, cart: CartState, at: SimTime) -> list[Event]:
    held = cart.qty_of(command.sku)
    if command.qty > held:
        raise InvalidTransition(
            f"cannot remove {command.qty} of {command.sku} from cart {command.cart}: "
            f"it holds {held}",
            cart=command.cart,
            sku=command.sku,
            requested=command.qty,
            held=held,
        )
    events: list[Event] = [
        CartItemRemoved(
            t=at, cart=command.cart, channel=cart.channel, sku=command.sku, qty=command.qty
        )
    ]
    # Reservations never exceed the units in the cart: give back the newest first.
    excess = cart.reserved_of(command.sku) - (held - command.qty)
    for r in reversed(cart.reservations):
        if excess <= 0:
            break
        if r.sku != command.sku:
            continue
        qty = min(r.qty, excess)
        excess -= qty
        events.append(
            ReservationReleased(
                t=at,
                location=r.location,
                sku=r.sku,
                channel=r.channel,
                qty=qty,
                cart=command.cart,
                reason="removed",
            )
        )
    return events


def _abandon(command: AbandonCart, cart: CartState, at: SimTime) -> list[Event]:
    """The customer leaves the cart: every reservation released, then the cart closed."""
    closed = CartAbandoned(
        t=at, customer=cart.customer, cart=command.cart, channel=cart.channel, reason=command.reason
    )
    return [*release_all(cart, command.cart, at, "abandoned"), closed]


def _expire(command: ExpireReservations, cart: CartState, at: SimTime) -> list[Event]:
    due = [r for r in cart.reservations if r.until <= at]
    if not due:
        raise NotYetExpired(
            f"cart {command.cart} has no reservation due by t={at}",
            cart=command.cart,
            at=at,
            deadlines=[r.until for r in cart.reservations],
        )
    return [
        ReservationExpired(
            t=at,
            location=r.location,
            sku=r.sku,
            channel=r.channel,
            qty=r.qty,
            cart=command.cart,
            until=r.until,
        )
        for r in due
    ]


def _merge_line(
    lines: tuple[CartLine, ...], sku: SkuId, qty: int, price: float
) -> tuple[CartLine, ...]:
    # A re-added sku keeps one line, at the latest price (as a checkout re-prices a cart).
    kept: list[CartLine] = []
    total = qty
    for line in lines:  # one pass, no generators: every add to cart comes here
        if line.sku == sku:
            total += line.qty
        else:
            kept.append(line)
    if total > 0:
        one = _one_line(sku, total, price)
        if not kept:  # most carts: one line, shared with every other cart of the same line
            return one
        kept.append(one[0])
    return tuple(kept)


def _release(
    reservations: tuple[Reservation, ...], event: ReservationReleased
) -> tuple[Reservation, ...]:
    # Take the units off the matching reservations, newest first, as _remove chose them.
    qty = event.qty
    location, sku, channel = event.location, event.sku, event.channel
    kept: list[Reservation] = []
    for r in reversed(reservations):
        if qty > 0 and r.location == location and r.sku == sku and r.channel == channel:
            taken = min(r.qty, qty)
            qty -= taken
            if r.qty > taken:
                kept.append(_replace_reservation(r, qty=r.qty - taken))
            continue
        kept.append(r)
    return tuple(reversed(kept))


def _expire_one(
    reservations: tuple[Reservation, ...], event: ReservationExpired
) -> tuple[Reservation, ...]:
    key = (event.location, event.sku, event.channel, event.qty, event.until)
    for i, r in enumerate(reservations):
        if (r.location, r.sku, r.channel, r.qty, r.until) == key:
            return reservations[:i] + reservations[i + 1 :]
    return reservations


def _opened(state: CartState | None, event: CartOpened) -> CartState:
    return CartState(customer=event.customer, channel=event.channel)


def _item_added(state: CartState | None, event: CartItemAdded) -> CartState | None:
    if state is None:
        return None
    return _replace_cart(state, lines=_merge_line(state.lines, event.sku, event.qty, event.amount))


def _item_removed(state: CartState | None, event: CartItemRemoved) -> CartState | None:
    if state is None:
        return None
    sku = event.sku
    return _replace_cart(state, lines=_merge_line(state.lines, sku, -event.qty, _price(state, sku)))


def _moved(state: CartState | None, event: CartMoved) -> CartState | None:
    return None if state is None else _replace_cart(state, channel=event.channel)


def _reserved(state: CartState | None, event: StockReserved) -> CartState | None:
    if state is None or event.cart is None:
        return state
    reservation = Reservation(
        location=event.location,
        sku=event.sku,
        channel=event.channel,
        qty=event.qty,
        until=event.until if event.until is not None else SimTime(float("inf")),
    )
    return _replace_cart(state, reservations=(*state.reservations, reservation))


def _released(state: CartState | None, event: ReservationReleased) -> CartState | None:
    if state is None or event.cart is None:
        return state
    return _replace_cart(state, reservations=_release(state.reservations, event))


def _expired(state: CartState | None, event: ReservationExpired) -> CartState | None:
    if state is None:
        return None
    return _replace_cart(state, reservations=_expire_one(state.reservations, event))


def _abandoned(state: CartState | None, event: CartAbandoned) -> CartState | None:
    return None if state is None else _replace_cart(state, status=CartStatus.ABANDONED)


def _checked_out(state: CartState | None, event: CartCheckedOut) -> CartState | None:
    return None if state is None else _replace_cart(state, status=CartStatus.CHECKED_OUT)


CartEvolver = Callable[[CartState | None, Any], CartState | None]

CART_EVOLVERS: dict[type[Event], CartEvolver] = {
    CartOpened: _opened,
    CartItemAdded: _item_added,
    CartItemRemoved: _item_removed,
    CartMoved: _moved,
    StockReserved: _reserved,
    ReservationReleased: _released,
    ReservationExpired: _expired,
    CartAbandoned: _abandoned,
    CartCheckedOut: _checked_out,
}
"""The cart after an event, by the event's exact type: None until it is opened, and
reservation events change it only when their ``cart`` is set."""


def evolve_cart(state: CartState | None, event: Event) -> CartState | None:
    """The cart after ``event`` (None until it is opened)."""
    step = CART_EVOLVERS.get(type(event))
    return state if step is None else step(state, event)


def _price(state: CartState, sku: str) -> float:
    for line in state.lines:
        if line.sku == sku:
            return line.unit_price
    return 0.0


CART_EVENTS: frozenset[type[Event]] = frozenset(CART_EVOLVERS)
"""Event types that change a cart (reservation events only when their ``cart`` is set)."""
