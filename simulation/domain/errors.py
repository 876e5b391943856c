"""Domain errors: a command broke a business rule, and no event was produced.

Each error names the rule it enforces (``rule``, a stable dotted name that the reference API
returns in its problem details) and carries the ids and quantities involved (``context``).
"""

from __future__ import annotations

from typing import ClassVar

from simulation.errors import InputError, OmnicanalError


class DomainError(OmnicanalError):
    """A command that the current state does not allow."""

    rule: ClassVar[str] = "domain"

    def __init__(self, message: str, **context: object) -> None:
        self.message = message
        self.context = context
        super().__init__(f"[{self.rule}] {message}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.context.items())
        return f"{type(self).__name__}(rule={self.rule!r}, {fields})"


class MalformedCommand(InputError):
    """A command whose fields are of the wrong type or out of range, before any rule is checked."""


class UnknownAggregate(DomainError):
    """The command names a cart, order or stock item that does not exist."""

    rule = "aggregate.unknown"


class DuplicateAggregate(DomainError):
    """The command would create a cart or order whose id is taken."""

    rule = "aggregate.duplicate"


class InsufficientStock(DomainError):
    """More units asked for than are available to that channel at that location."""

    rule = "stock.insufficient"


class InvalidTransition(DomainError):
    """The aggregate is not in a state that allows the command (a closed cart, a shipped order)."""

    rule = "state.invalid_transition"


class OrderMismatch(DomainError):
    """An order's legs do not cover its cart exactly, or a payment does not match the amount due."""

    rule = "order.mismatch"


class PickupTooLate(DomainError):
    """A click & collect pickup attempted at or after the hold's expiry."""

    rule = "hold.expired"


class NotYetExpired(DomainError):
    """An expiry command sent before the reservation or hold expires."""

    rule = "expiry.not_due"


class PaymentRequired(DomainError):
    """Goods may not leave a location for an order that is not paid."""

    rule = "payment.required"


class ReturnExceedsPurchase(DomainError):
    """More units returned than were received by the customer and not yet returned."""

    rule = "return.exceeds_purchase"
