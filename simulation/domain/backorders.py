"""Backorders: a customer who finds no stock orders the units to come when stock arrives.

A backorder is placed for one sku at one location; it reserves nothing (there is nothing to
reserve) and is counted in the location's ``backordered`` units, which replenishment adds to
demand. When stock arrives, the back office fills waiting backorders, oldest first: the units
are reserved and issued at once. A backorder is filled whole or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from simulation.domain.commands import FillBackorder, PlaceBackorder
from simulation.domain.errors import (
    DuplicateAggregate,
    InvalidTransition,
    MalformedCommand,
    UnknownAggregate,
)
from simulation.domain.events import (
    BackorderFilled,
    BackorderPlaced,
    Event,
    StockIssued,
    StockReserved,
)
from simulation.domain.records import record, replacer
from simulation.domain.stock import StockLevel, check_reservable
from simulation.types import Channel, CustomerId, FulfilmentMode, LocationId, SimTime, SkuId

BackorderCommand = PlaceBackorder | FillBackorder


@record
class BackorderState:
    customer: CustomerId
    channel: Channel
    location: LocationId
    sku: SkuId
    qty: int
    amount: float
    mode: FulfilmentMode
    filled: bool = False


_replace_backorder = replacer(BackorderState)


def decide_backorder(
    command: BackorderCommand,
    state: BackorderState | None,
    order_exists: bool,
    stock: Callable[[LocationId, SkuId], StockLevel],
) -> list[Event]:
    """The events of placing or filling a backorder."""
    at = SimTime(command.at)
    if isinstance(command, PlaceBackorder):
        amount = command.qty * command.unit_price
        if not math.isfinite(amount):
            raise MalformedCommand(
                "PlaceBackorder.unit_price", "a price whose total for qty is finite", amount
            )
        if state is not None or order_exists:
            raise DuplicateAggregate(f"order {command.order} already exists", order=command.order)
        return [
            BackorderPlaced(
                t=at, customer=command.customer, channel=command.channel, order=command.order,
                location=command.location, sku=command.sku, qty=command.qty,
                amount=amount, mode=command.mode,
            )
        ]  # fmt: skip
    if state is None:
        raise UnknownAggregate(f"backorder {command.order} does not exist", order=command.order)
    if state.filled:
        raise InvalidTransition(f"backorder {command.order} is already filled", order=command.order)
    check_reservable(
        stock(state.location, state.sku),
        location=state.location, sku=state.sku, channel=state.channel, qty=state.qty,
    )  # fmt: skip
    loc, sku, qty, channel, order = (
        state.location,
        state.sku,
        state.qty,
        state.channel,
        command.order,
    )
    return [
        StockReserved(t=at, location=loc, sku=sku, channel=channel, qty=qty, order=order),
        BackorderFilled(t=at, order=order, location=loc, sku=sku, qty=qty),
        StockIssued(
            t=at, location=loc, sku=sku, channel=channel, qty=qty, order=order, mode=state.mode
        ),
    ]


def _placed(state: BackorderState | None, event: BackorderPlaced) -> BackorderState:
    return BackorderState(
        customer=event.customer, channel=event.channel, location=event.location,
        sku=event.sku, qty=event.qty, amount=event.amount, mode=event.mode,
    )  # fmt: skip


def _filled(state: BackorderState | None, event: BackorderFilled) -> BackorderState | None:
    return None if state is None else _replace_backorder(state, filled=True)


BackorderEvolver = Callable[[BackorderState | None, Any], BackorderState | None]

BACKORDER_EVOLVERS: dict[type[Event], BackorderEvolver] = {
    BackorderPlaced: _placed,
    BackorderFilled: _filled,
}
"""The backorder after an event, by the event's exact type (None until it is placed)."""


def evolve_backorder(state: BackorderState | None, event: Event) -> BackorderState | None:
    step = BACKORDER_EVOLVERS.get(type(event))
    return state if step is None else step(state, event)


BACKORDER_EVENTS: frozenset[type[Event]] = frozenset(BACKORDER_EVOLVERS)
"""Event types that change a backorder."""
