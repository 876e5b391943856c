"""The omnichannel backend: every aggregate's state, a command router and an event router.

:class:`Backend` is what the simulation and the reference API both talk to. ``decide`` asks
the right aggregate's decider for the events of a command without changing anything;
``evolve`` folds one event into the aggregates it concerns; ``handle`` does both. Folding the
same events with :func:`fold` rebuilds exactly the same state, which is what makes the
event log the single source of truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from simulation.domain.backorders import (
    BACKORDER_EVENTS,
    BACKORDER_EVOLVERS,
    BackorderCommand,
    BackorderEvolver,
    BackorderState,
    decide_backorder,
)
from simulation.domain.carts import (
    CART_EVENTS,
    CART_EVOLVERS,
    CartCommand,
    CartEvolver,
    CartState,
    decide_cart,
)
from simulation.domain.checkout import decide_place
from simulation.domain.commands import (
    AbandonCart,
    AddToCart,
    CancelOrder,
    CapturePayment,
    Command,
    DeliverLeg,
    ExpireHold,
    ExpireReservations,
    FenceStock,
    FillBackorder,
    HandOverLeg,
    MoveCart,
    OpenCart,
    PickUpLeg,
    PlaceBackorder,
    PlaceHold,
    PlaceOrder,
    ReceiveStock,
    RemoveFromCart,
    ReturnItems,
    SetSafetyStock,
    ShipLeg,
    TransferStock,
    WriteOffStock,
)
from simulation.domain.errors import DuplicateAggregate, MalformedCommand
from simulation.domain.events import Event
from simulation.domain.holds import decide_hold
from simulation.domain.orders import (
    ORDER_EVENTS,
    ORDER_EVOLVERS,
    OrderEvolver,
    OrderState,
    decide_cancel,
    decide_payment,
    decide_shipping,
)
from simulation.domain.returns import decide_return
from simulation.domain.stock import (
    STOCK_EVENTS,
    STOCK_EVOLVERS,
    StockCommand,
    StockEvolver,
    StockLevel,
    decide_stock,
)
from simulation.types import CartId, LocationId, OrderId, SkuId

StockKey = tuple[LocationId, SkuId]
_EMPTY = StockLevel()


@dataclass(slots=True)
class Backend:
    """All aggregates of one backend, keyed by their ids.

    The aggregate states are immutable; the backend only swaps them for the states ``evolve``
    returns. Two backends are equal when every aggregate state is equal.
    """

    stock: dict[StockKey, StockLevel] = field(default_factory=dict)
    carts: dict[CartId, CartState] = field(default_factory=dict)
    orders: dict[OrderId, OrderState] = field(default_factory=dict)
    backorders: dict[OrderId, BackorderState] = field(default_factory=dict)

    # ------------------------------------------------------------ reading

    def stock_level(self, location: LocationId, sku: SkuId) -> StockLevel:
        """The stock of ``sku`` at ``location`` (all zero if nothing ever happened there)."""
        return self.stock.get((location, sku), _EMPTY)

    def cart(self, cart: CartId) -> CartState | None:
        return self.carts.get(cart)

    def order(self, order: OrderId) -> OrderState | None:
        return self.orders.get(order)

    # ------------------------------------------------------------ deciding

    def decide(self, command: Command) -> list[Event]:
        """The events ``command`` produces, or the :class:`DomainError` that forbids it.

        Nothing changes: call :meth:`evolve` (or :meth:`handle`) to apply the events.
        """
        handler = _DECIDERS.get(type(command))
        if handler is None:
            raise MalformedCommand("command", "a known command type", type(command).__name__)
        return handler(self, command)

    def handle(self, command: Command) -> list[Event]:
        """Decide ``command`` and apply its events; on a domain error nothing changes."""
        events = self.decide(command)
        for e in events:  # self.evolve(e), written out: one call less per event
            for fold in _FOLDS.get(type(e), ()):
                fold(self, e)
        return events

    # ------------------------------------------------------------ evolving

    def evolve(self, event: Event) -> None:
        """Fold one event into every aggregate it concerns."""
        for fold in _FOLDS.get(type(event), ()):
            fold(self, event)


# ---------------------------------------------------------------- event routing

Fold = Callable[[Backend, Any], None]
"""Folds an event of one type into one kind of aggregate of a backend."""


def _fold_stock(step: StockEvolver) -> Fold:
    def fold(b: Backend, e: Any) -> None:
        key = (e.location, e.sku)
        b.stock[key] = step(b.stock.get(key, _EMPTY), e)

    return fold


def _fold_cart(step: CartEvolver) -> Fold:
    def fold(b: Backend, e: Any) -> None:
        cart_id = e.cart
        if cart_id is not None:
            cart = step(b.carts.get(cart_id), e)
            if cart is not None:
                b.carts[cart_id] = cart

    return fold


def _fold_order(step: OrderEvolver) -> Fold:
    def fold(b: Backend, e: Any) -> None:
        order_id = e.order
        order = step(b.orders.get(order_id), e)
        if order is not None:
            b.orders[order_id] = order

    return fold


def _fold_backorder(step: BackorderEvolver) -> Fold:
    def fold(b: Backend, e: Any) -> None:
        order_id = e.order
        backorder = step(b.backorders.get(order_id), e)
        if backorder is not None:
            b.backorders[order_id] = backorder

    return fold


def _folds() -> dict[type[Event], tuple[Fold, ...]]:
    """Per event type, what :meth:`Backend.evolve` does: stock, cart, order, backorder."""
    folds: dict[type[Event], tuple[Fold, ...]] = {}
    for kind in STOCK_EVENTS | CART_EVENTS | ORDER_EVENTS | BACKORDER_EVENTS:
        plan: list[Fold] = []
        if kind in STOCK_EVOLVERS:
            plan.append(_fold_stock(STOCK_EVOLVERS[kind]))
        if kind in CART_EVOLVERS:
            plan.append(_fold_cart(CART_EVOLVERS[kind]))
        if kind in ORDER_EVOLVERS:
            plan.append(_fold_order(ORDER_EVOLVERS[kind]))
        if kind in BACKORDER_EVOLVERS:
            plan.append(_fold_backorder(BACKORDER_EVOLVERS[kind]))
        folds[kind] = tuple(plan)
    return folds


_FOLDS = _folds()


def fold(events: Iterable[Event], into: Backend | None = None) -> Backend:
    """Fold ``events`` in order into ``into`` (a new, empty backend by default)."""
    backend = Backend() if into is None else into
    for e in events:
        backend.evolve(e)
    return backend


# ---------------------------------------------------------------- command routing


def _stock(b: Backend, c: Any) -> list[Event]:
    command: StockCommand = c
    return decide_stock(command, b.stock_level(command.location, command.sku))


def _cart(b: Backend, c: Any) -> list[Event]:
    command: CartCommand = c
    return decide_cart(command, b.carts.get(command.cart), b.stock_level)


def _place(b: Backend, c: Any) -> list[Event]:
    command: PlaceOrder = c
    if command.order in b.backorders:
        raise DuplicateAggregate(f"order {command.order} already exists", order=command.order)
    return decide_place(
        command, b.carts.get(command.cart), b.orders.get(command.order), b.stock_level
    )


def _backorder(b: Backend, c: Any) -> list[Event]:
    command: BackorderCommand = c
    return decide_backorder(
        command, b.backorders.get(command.order), command.order in b.orders, b.stock_level
    )


def _order(decider: Callable[[Any, OrderState | None], list[Event]]) -> Decider:
    def decide(b: Backend, c: Any) -> list[Event]:
        return decider(c, b.orders.get(c.order))

    return decide


Decider = Callable[[Backend, Any], list[Event]]

_DECIDERS: dict[type[Command], Decider] = {
    ReceiveStock: _stock,
    SetSafetyStock: _stock,
    FenceStock: _stock,
    WriteOffStock: _stock,
    TransferStock: _stock,
    OpenCart: _cart,
    AddToCart: _cart,
    RemoveFromCart: _cart,
    MoveCart: _cart,
    AbandonCart: _cart,
    ExpireReservations: _cart,
    PlaceOrder: _place,
    CapturePayment: _order(decide_payment),
    ShipLeg: _order(decide_shipping),
    DeliverLeg: _order(decide_shipping),
    HandOverLeg: _order(decide_shipping),
    PlaceHold: _order(decide_hold),
    PickUpLeg: _order(decide_hold),
    ExpireHold: _order(decide_hold),
    CancelOrder: _order(decide_cancel),
    ReturnItems: _order(decide_return),
    PlaceBackorder: _backorder,
    FillBackorder: _backorder,
}
