"""Placing an order: a cart checked out, its reservations handed to the order's legs.

The cart's lines must be covered exactly by the legs; each leg line is reserved at its
location (the cart's own reservation of it counts as credit), so an order is placed whole or
not at all.
"""

from __future__ import annotations

from simulation.domain.carts import CartState, StockLookup, open_cart, release_all
from simulation.domain.commands import Leg, PlaceOrder
from simulation.domain.errors import DuplicateAggregate, InvalidTransition, OrderMismatch
from simulation.domain.events import (
    CartCheckedOut,
    Event,
    LineAllocated,
    OrderPlaced,
    StockReserved,
)
from simulation.domain.orders import OrderState
from simulation.domain.stock import check_reservable
from simulation.types import SimTime


def _check_cover(command: PlaceOrder, cart: CartState) -> None:
    placed: dict[str, int] = {}
    for leg in command.legs:
        for line in leg.lines:
            placed[line.sku] = placed.get(line.sku, 0) + line.qty
    wanted = {line.sku: line.qty for line in cart.lines}
    if not wanted:
        raise InvalidTransition(f"cart {command.cart} is empty", cart=command.cart)
    if placed != wanted:
        raise OrderMismatch(
            f"order {command.order} legs place {placed} but cart {command.cart} holds {wanted}",
            order=command.order,
            cart=command.cart,
            placed=placed,
            wanted=wanted,
        )


def decide_place(
    command: PlaceOrder, cart_state: CartState | None, order: OrderState | None, stock: StockLookup
) -> list[Event]:
    """Check out the cart: release its reservations, place the order, reserve every leg line."""
    if order is not None:
        raise DuplicateAggregate(f"order {command.order} already exists", order=command.order)
    cart = open_cart(command.cart, cart_state)
    _check_cover(command, cart)
    at = SimTime(command.at)
    events: list[Event] = [
        CartCheckedOut(
            t=at,
            customer=cart.customer,
            cart=command.cart,
            channel=cart.channel,
            order=command.order,
        ),
        *release_all(cart, command.cart, at, "checkout"),
        OrderPlaced(
            t=at,
            customer=cart.customer,
            channel=cart.channel,
            cart=command.cart,
            order=command.order,
            qty=sum(line.qty for line in cart.lines),
            amount=cart.amount,
        ),
    ]
    for leg in command.legs:
        events.extend(_allocate(command, leg, cart, stock))
    return events


def _allocate(command: PlaceOrder, leg: Leg, cart: CartState, stock: StockLookup) -> list[Event]:
    at = SimTime(command.at)
    prices = {line.sku: line.unit_price for line in cart.lines}
    events: list[Event] = []
    for line in leg.lines:
        own = 0  # the cart's own reservation of the line, which the order takes over
        for r in cart.reservations:
            if r.location == leg.location and r.sku == line.sku and r.channel == cart.channel:
                own += r.qty
        check_reservable(
            stock(leg.location, line.sku),
            location=leg.location,
            sku=line.sku,
            channel=cart.channel,
            qty=line.qty,
            credit=own,
        )
        events += [
            LineAllocated(
                t=at,
                order=command.order,
                location=leg.location,
                sku=line.sku,
                qty=line.qty,
                amount=prices[line.sku],
                mode=leg.mode,
            ),
            StockReserved(
                t=at,
                location=leg.location,
                sku=line.sku,
                channel=cart.channel,
                qty=line.qty,
                order=command.order,
            ),
        ]
    return events
