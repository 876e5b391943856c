"""What each customer met, folded from the event log: the experience projection.

:class:`Experience` reads events one at a time (:meth:`Experience.apply`) and keeps, per
customer, the experiences they met, each a :class:`Met` (when, which factor, how much), and
per order what the survey after it needs. The engine feeds it every event it logs, as it logs
it, and decides satisfaction, surveys and the next visit from it; the KPIs feed it the same
events read back from the log. One fold for both, so the behaviour and the KPIs cannot
disagree.

The factors (:data:`simulation.scenario.satisfaction.FACTORS`), each from the events it reads:

- ``late_day``: a leg delivered, picked up or handed over, or a click & collect hold placed
  (ready at the desk), after its ``DeliveryPromised.until``; ``amount`` is the days late.
- ``on_time``: a leg received by its promised date (``amount`` 1).
- ``stock_out``: a ``TouchpointVisited`` whose reason starts with ``no_stock_`` (missing stock
  met on a visit, whatever the customer did about it).
- ``hold_expired``: a ``HoldExpired`` of the customer's order.
- ``desk_gave_up``: a ``TouchpointVisited`` with reason ``pickup_reneged``.
- ``returned``: a ``ReturnReceived``.
- ``contact``: a ``TouchpointVisited`` with reason ``contact_service``.
- ``cart_moved``: a ``CartMoved`` (the cart keeps its content across channels).

An order is settled when each of its legs has been received, has expired or was cancelled;
:meth:`Experience.apply` returns the id of the order an event settled, for the survey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulation.domain import events as e
from simulation.types import MINUTES_PER_DAY, Channel, FulfilmentMode

NO_STOCK_PREFIX = "no_stock_"
_REASONS = {"pickup_reneged": "desk_gave_up", "contact_service": "contact"}


@dataclass(frozen=True, slots=True)
class Met:
    """One experience: at ``t`` (minutes), ``amount`` of ``factor`` (days late, or 1)."""

    t: float
    factor: str
    amount: float = 1.0


@dataclass(slots=True)
class CustomerExperience:
    """What one customer met so far, and how many visits they began."""

    segment: str
    visits: int = 0
    met: list[Met] = field(default_factory=list)


@dataclass(slots=True)
class OrderExperience:
    """One order as its survey sees it: whose, from which visit, and what its legs met."""

    customer: int
    visit: int  # the customer's visit it was placed in: 0 for the first
    channel: Channel
    mode: FulfilmentMode | None = None
    promised: dict[str, float] = field(default_factory=dict)  # location -> until
    legs: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    met: list[Met] = field(default_factory=list)  # this order's own (late, on time, expired)
    settled: bool = False


class Experience:
    """The fold of a log (one replication) into what each customer met (module docstring)."""

    __slots__ = ("customers", "late_legs", "orders", "promised_legs")

    def __init__(self) -> None:
        self.customers: dict[int, CustomerExperience] = {}
        self.orders: dict[int, OrderExperience] = {}
        self.promised_legs = 0
        """Legs with a promise that were received (or made ready) so far."""
        self.late_legs = 0
        """Those of them that came after their promise."""

    def apply(self, event: e.Event) -> int | None:
        """Fold one event in; the id of the order it settled, else None."""
        handler = _HANDLERS.get(type(event))
        return None if handler is None else handler(self, event)

    def met(self, customer: int) -> list[Met]:
        """The experiences ``customer`` met so far (empty for one never seen)."""
        known = self.customers.get(customer)
        return known.met if known is not None else []

    # ------------------------------------------------------------ handlers

    def _arrived(self, ev: e.CustomerArrived) -> None:
        known = self.customers.get(ev.customer)
        if known is None:
            known = self.customers[ev.customer] = CustomerExperience(segment=ev.segment)
        known.visits += 1

    def _placed(self, ev: e.OrderPlaced) -> None:
        known = self.customers.get(ev.customer)
        visit = known.visits - 1 if known is not None else 0
        self.orders[ev.order] = OrderExperience(ev.customer, visit, ev.channel)

    def _allocated(self, ev: e.LineAllocated) -> None:
        order = self.orders.get(ev.order)
        if order is not None:
            order.legs.add(ev.location)
            order.mode = ev.mode

    def _promised(self, ev: e.DeliveryPromised) -> None:
        order = self.orders.get(ev.order)
        if order is not None:
            order.promised[ev.location] = ev.until

    def _ready(self, ev: e.HoldPlaced) -> None:
        """A click & collect leg ready at the desk: late or on time against its promise."""
        order = self.orders.get(ev.order)
        if order is not None:
            self._against_promise(order, ev.location, ev.t)

    def _received(self, ev: e.LegDelivered | e.LegPickedUp | e.LegHandedOver) -> int | None:
        order = self.orders.get(ev.order)
        if order is None:
            return None
        if ev.mode is not FulfilmentMode.CLICK_AND_COLLECT:  # its promise was the desk's
            self._against_promise(order, ev.location, ev.t)
        return self._close(order, ev.order, ev.location)

    def _expired(self, ev: e.HoldExpired) -> int | None:
        order = self.orders.get(ev.order)
        if order is None:
            return None
        self._meet(order.customer, Met(ev.t, "hold_expired"), order)
        return self._close(order, ev.order, ev.location)

    def _cancelled(self, ev: e.OrderCancelled) -> int | None:
        order = self.orders.get(ev.order)
        if order is None or order.settled:
            return None
        order.closed |= order.legs
        order.settled = True
        return ev.order

    def _visited(self, ev: e.TouchpointVisited) -> None:
        reason = ev.reason
        factor = "stock_out" if reason.startswith(NO_STOCK_PREFIX) else _REASONS.get(reason)
        if factor is not None:
            self._meet(ev.customer, Met(ev.t, factor))

    def _returned(self, ev: e.ReturnReceived) -> None:
        self._meet(ev.customer, Met(ev.t, "returned"))

    def _moved(self, ev: e.CartMoved) -> None:
        self._meet(ev.customer, Met(ev.t, "cart_moved"))

    # ------------------------------------------------------------ helpers

    def _against_promise(self, order: OrderExperience, location: str, t: float) -> None:
        until = order.promised.pop(location, None)
        if until is None:
            return
        self.promised_legs += 1
        if t > until:
            self.late_legs += 1
            self._meet(order.customer, Met(t, "late_day", (t - until) / MINUTES_PER_DAY), order)
        else:
            self._meet(order.customer, Met(t, "on_time"), order)

    def _meet(self, customer: int, met: Met, order: OrderExperience | None = None) -> None:
        known = self.customers.get(customer)
        if known is not None:
            known.met.append(met)
        if order is not None:
            order.met.append(met)

    @staticmethod
    def _close(order: OrderExperience, order_id: int, location: str) -> int | None:
        order.closed.add(location)
        if order.settled or not order.legs <= order.closed:
            return None
        order.settled = True
        return order_id


Handler = Callable[[Experience, e.Event], int | None]
_HANDLERS: dict[type[e.Event], Handler] = {
    e.CustomerArrived: Experience._arrived,  # type: ignore[dict-item]
    e.OrderPlaced: Experience._placed,  # type: ignore[dict-item]
    e.LineAllocated: Experience._allocated,  # type: ignore[dict-item]
    e.DeliveryPromised: Experience._promised,  # type: ignore[dict-item]
    e.HoldPlaced: Experience._ready,  # type: ignore[dict-item]
    e.LegDelivered: Experience._received,  # type: ignore[dict-item]
    e.LegPickedUp: Experience._received,  # type: ignore[dict-item]
    e.LegHandedOver: Experience._received,  # type: ignore[dict-item]
    e.HoldExpired: Experience._expired,  # type: ignore[dict-item]
    e.OrderCancelled: Experience._cancelled,  # type: ignore[dict-item]
    e.TouchpointVisited: Experience._visited,  # type: ignore[dict-item]
    e.ReturnReceived: Experience._returned,  # type: ignore[dict-item]
    e.CartMoved: Experience._moved,  # type: ignore[dict-item]
}
"""The events the projection reads; every other type passes through untouched."""
TYPES = frozenset(cls.TYPE for cls in _HANDLERS)
"""Their type names: a log reader need only read these rows."""
