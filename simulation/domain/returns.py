"""Returns: units a customer received come back to a store or by mail, and are refunded.

A returned unit is restocked at the receiving location (it is on hand again there) or written
off (it never re-enters stock). Nobody returns more of a sku than they received and have not
yet returned.
"""

from __future__ import annotations

from simulation.domain.commands import ReturnItems
from simulation.domain.errors import ReturnExceedsPurchase
from simulation.domain.events import Event, RefundIssued, ReturnReceived, StockRestocked
from simulation.domain.orders import OrderState, existing_order
from simulation.types import SimTime


def decide_return(command: ReturnItems, state: OrderState | None) -> list[Event]:
    order = existing_order(command.order, state)
    received = order.received_of(command.sku)
    returned = order.returned_of(command.sku)
    if command.qty > received - returned:
        raise ReturnExceedsPurchase(
            f"cannot return {command.qty} of {command.sku} on order {command.order}: "
            f"{received} received, {returned} already returned",
            order=command.order,
            sku=command.sku,
            requested=command.qty,
            received=received,
            returned=returned,
        )
    at = SimTime(command.at)
    value = command.qty * order.unit_price_of(command.sku)
    events: list[Event] = [
        ReturnReceived(
            t=at,
            customer=order.customer,
            order=command.order,
            location=command.location,
            sku=command.sku,
            qty=command.qty,
            amount=value,
            mode=command.return_mode,
            reason="restocked" if command.restock else "written_off",
        )
    ]
    if command.restock:
        events.append(
            StockRestocked(
                t=at,
                location=command.location,
                sku=command.sku,
                qty=command.qty,
                order=command.order,
            )
        )
    events.append(RefundIssued(t=at, order=command.order, amount=value, reason="return"))
    return events
