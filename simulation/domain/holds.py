"""Click & collect holds: a leg ready in store, kept for the customer until a deadline.

A hold is placed when the leg is ready; the customer picks it up before ``until`` (and only
for a paid order), or the hold expires: the units go back on sale and a paid leg is refunded.
"""

from __future__ import annotations

from simulation.domain.commands import ExpireHold, PickUpLeg, PlaceHold
from simulation.domain.errors import NotYetExpired, PickupTooLate
from simulation.domain.events import Event, HoldExpired, HoldPlaced, LegPickedUp, RefundIssued
from simulation.domain.orders import (
    MONEY_TOLERANCE,
    LegStatus,
    OrderState,
    active_order,
    issue_leg,
    leg_of,
    release_leg,
    require_mode,
    require_paid,
    require_status,
)
from simulation.types import FulfilmentMode, SimTime

PICKUP = frozenset({FulfilmentMode.CLICK_AND_COLLECT})

HoldCommand = PlaceHold | PickUpLeg | ExpireHold


def decide_hold(command: HoldCommand, state: OrderState | None) -> list[Event]:
    """Events for a hold command on an order's click & collect leg."""
    order = active_order(command.order, state)
    leg = leg_of(command.order, order, command.location)
    require_mode(command.order, leg, PICKUP)
    at = SimTime(command.at)
    match command:
        case PlaceHold():
            require_status(command.order, leg, LegStatus.ALLOCATED)
            until = SimTime(at + command.hold_minutes)
            return [HoldPlaced(t=at, order=command.order, location=leg.location, until=until)]
        case PickUpLeg():
            until = leg.hold_until if leg.hold_until is not None else at
            if leg.status is not LegStatus.EXPIRED:
                require_status(command.order, leg, LegStatus.HELD)
            if leg.status is LegStatus.EXPIRED or at >= until:
                raise PickupTooLate(
                    f"hold of order {command.order} at {leg.location} expired at t={until}, "
                    f"pickup attempted at t={at}",
                    order=command.order,
                    location=leg.location,
                    until=until,
                    at=at,
                )
            require_paid(command.order, order)
            picked = LegPickedUp(t=at, order=command.order, location=leg.location, mode=leg.mode)
            return [*issue_leg(command.order, order, leg, at), picked]
        case ExpireHold():
            require_status(command.order, leg, LegStatus.HELD)
            return _expire(command, order, at)


def _expire(command: ExpireHold, order: OrderState, at: SimTime) -> list[Event]:
    leg = leg_of(command.order, order, command.location)
    until = leg.hold_until if leg.hold_until is not None else at
    if at < until:
        raise NotYetExpired(
            f"hold of order {command.order} at {leg.location} runs until t={until}, now t={at}",
            order=command.order,
            location=leg.location,
            until=until,
            at=at,
        )
    events: list[Event] = [
        HoldExpired(t=at, order=command.order, location=leg.location),
        *release_leg(command.order, order, leg, at, "hold_expired"),
    ]
    # Refund the leg's value out of what was paid and not yet refunded.
    refund = min(leg.amount, order.paid - order.refunded)
    if refund > MONEY_TOLERANCE:
        events.append(RefundIssued(t=at, order=command.order, amount=refund, reason="hold_expired"))
    return events
