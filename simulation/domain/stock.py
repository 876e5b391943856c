"""Stock of one sku at one location: on hand, reserved per channel, safety stock, fences.

What a channel may promise (:meth:`StockLevel.available_to`) is on-hand stock, less what is
already reserved, less the units ring-fenced for *other* channels and not yet used by them,
less the safety stock for remote channels (the store floor sells down to the last unit on
the shelf). Reserved never exceeds on hand, and nothing is ever negative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulation.domain.commands import (
    FenceStock,
    ReceiveStock,
    SetSafetyStock,
    TransferStock,
    WriteOffStock,
)
from simulation.domain.errors import InsufficientStock
from simulation.domain.events import (
    Event,
    ReservationExpired,
    ReservationReleased,
    SafetyStockSet,
    StockFenced,
    StockIssued,
    StockReceived,
    StockReserved,
    StockRestocked,
    StockTransferredOut,
    StockWrittenOff,
)
from simulation.domain.records import record, replacer
from simulation.types import Channel, SimTime

CHANNELS: tuple[Channel, ...] = tuple(Channel)
_INDEX = {c: i for i, c in enumerate(CHANNELS)}
_ZEROS = (0,) * len(CHANNELS)
_REMOTE = frozenset(c for c in CHANNELS if not c.is_physical)
"""Channels that must leave the safety stock (see :meth:`StockLevel.safety_for`)."""

StockCommand = ReceiveStock | SetSafetyStock | FenceStock | WriteOffStock | TransferStock


@record
class StockLevel:
    """The state of one (location, sku). ``reserved`` and ``fences`` are indexed like CHANNELS."""

    on_hand: int = 0
    safety: int = 0
    reserved: tuple[int, ...] = _ZEROS
    fences: tuple[int, ...] = _ZEROS

    @property
    def reserved_total(self) -> int:
        return sum(self.reserved)

    def reserved_for(self, channel: Channel) -> int:
        return self.reserved[_INDEX[channel]]

    def fence_for(self, channel: Channel) -> int:
        return self.fences[_INDEX[channel]]

    @property
    def free(self) -> int:
        """Units on hand and not reserved by anyone."""
        return self.on_hand - sum(self.reserved)

    def fenced_for_others(self, channel: Channel) -> int:
        """Units ring-fenced for other channels and not yet reserved by them."""
        if not any(self.fences):  # the common, unfenced case, on the hot path
            return 0
        i = _INDEX[channel]
        return sum(
            max(0, fence - used)
            for j, (fence, used) in enumerate(zip(self.fences, self.reserved, strict=True))
            if j != i
        )

    def safety_for(self, channel: Channel) -> int:
        """The safety stock ``channel`` must leave (none for the store floor)."""
        return 0 if channel.is_physical else self.safety

    def available_to(self, channel: Channel) -> int:
        """Units that ``channel`` may reserve now (never negative).

        That is ``free - fenced_for_others(channel) - safety_for(channel)``, written out: it is
        asked for every availability check and every reservation, mostly of unfenced stock.
        """
        available = self.on_hand - sum(self.reserved)
        if channel in _REMOTE:
            available -= self.safety
        if any(self.fences):
            available -= self.fenced_for_others(channel)
        return available if available > 0 else 0


_replace_level = replacer(StockLevel)


def decide_stock(command: StockCommand, state: StockLevel) -> list[Event]:
    """Stock-keeping commands on one (location, sku): receive, safety level, fence, write-off."""
    at = SimTime(command.at)
    match command:
        case ReceiveStock():
            return [
                StockReceived(
                    t=at,
                    location=command.location,
                    sku=command.sku,
                    qty=command.qty,
                    reason=command.reason,
                )
            ]
        case SetSafetyStock():
            return [
                SafetyStockSet(t=at, location=command.location, sku=command.sku, qty=command.level)
            ]
        case FenceStock():
            return [
                StockFenced(
                    t=at,
                    location=command.location,
                    sku=command.sku,
                    channel=command.channel,
                    qty=command.level,
                )
            ]
        case WriteOffStock() | TransferStock():
            if command.qty > state.free:
                verb = "write off" if isinstance(command, WriteOffStock) else "transfer"
                raise InsufficientStock(
                    f"cannot {verb} {command.qty} of {command.sku} at {command.location}: "
                    f"only {state.free} unreserved on hand",
                    location=command.location,
                    sku=command.sku,
                    requested=command.qty,
                    available=state.free,
                )
            if isinstance(command, TransferStock):
                return [
                    StockTransferredOut(
                        t=at,
                        location=command.location,
                        sku=command.sku,
                        qty=command.qty,
                        reason=f"to {command.to}",
                    )
                ]
            return [
                StockWrittenOff(
                    t=at,
                    location=command.location,
                    sku=command.sku,
                    qty=command.qty,
                    reason=command.reason,
                )
            ]


def check_reservable(
    state: StockLevel, *, location: str, sku: str, channel: Channel, qty: int, credit: int = 0
) -> None:
    """Raise :class:`InsufficientStock` unless ``channel`` may reserve ``qty`` more units.

    ``credit`` counts units this same command gives back first (a cart's own reservation that
    an order takes over at checkout).
    """
    available = state.available_to(channel) + credit
    if qty > available:
        raise InsufficientStock(
            f"{channel.value} cannot reserve {qty} of {sku} at {location}: {available} available "
            f"to {channel.value} (on hand {state.on_hand}, reserved {state.reserved_total}, "
            f"fenced for other channels {state.fenced_for_others(channel)}, "
            f"safety {state.safety_for(channel)})",
            location=location,
            sku=sku,
            channel=channel.value,
            requested=qty,
            available=available,
        )


def _add(values: tuple[int, ...], channel: Channel, delta: int) -> tuple[int, ...]:
    changed = list(values)  # quicker than joining two slices around the new value
    changed[_INDEX[channel]] += delta
    return tuple(changed)


def _set(values: tuple[int, ...], channel: Channel, value: int) -> tuple[int, ...]:
    changed = list(values)
    changed[_INDEX[channel]] = value
    return tuple(changed)


def _received(state: StockLevel, event: StockReceived | StockRestocked) -> StockLevel:
    return _replace_level(state, on_hand=state.on_hand + event.qty)


def _safety_set(state: StockLevel, event: SafetyStockSet) -> StockLevel:
    return _replace_level(state, safety=event.qty)


def _fenced(state: StockLevel, event: StockFenced) -> StockLevel:
    return _replace_level(state, fences=_set(state.fences, event.channel, event.qty))


def _reserved(state: StockLevel, event: StockReserved) -> StockLevel:
    return _replace_level(state, reserved=_add(state.reserved, event.channel, event.qty))


def _released(state: StockLevel, event: ReservationReleased | ReservationExpired) -> StockLevel:
    return _replace_level(state, reserved=_add(state.reserved, event.channel, -event.qty))


def _issued(state: StockLevel, event: StockIssued) -> StockLevel:
    return _replace_level(
        state,
        on_hand=state.on_hand - event.qty,
        reserved=_add(state.reserved, event.channel, -event.qty),
    )


def _removed(state: StockLevel, event: StockWrittenOff | StockTransferredOut) -> StockLevel:
    return _replace_level(state, on_hand=state.on_hand - event.qty)


StockEvolver = Callable[[StockLevel, Any], StockLevel]

STOCK_EVOLVERS: dict[type[Event], StockEvolver] = {
    StockReceived: _received,
    StockRestocked: _received,
    SafetyStockSet: _safety_set,
    StockFenced: _fenced,
    StockReserved: _reserved,
    ReservationReleased: _released,
    ReservationExpired: _released,
    StockIssued: _issued,
    StockWrittenOff: _removed,
    StockTransferredOut: _removed,
}
"""The stock level after an event, by the event's exact type (a registry, not a ``match``:
one dict lookup per event instead of a class pattern tested per case)."""


def evolve_stock(state: StockLevel, event: Event) -> StockLevel:
    """The stock level after ``event``; events about other things leave it as it is."""
    step = STOCK_EVOLVERS.get(type(event))
    return state if step is None else step(state, event)


STOCK_EVENTS: frozenset[type[Event]] = frozenset(STOCK_EVOLVERS)
"""Event types that change a (location, sku) stock level."""
