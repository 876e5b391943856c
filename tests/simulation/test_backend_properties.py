"""Properties of the domain over random command sequences (hypothesis stateful testing).

Random commands (mostly refused) are mixed with targeted ones that follow the life of carts
and orders, so that every rule is reached. After every step: stock is never negative, reserved
never exceeds on hand, every reserved unit belongs to an open cart or a live order leg, a
refused command produced no event and changed nothing, and folding the log rebuilds exactly the
state the deciders reached. At the end the log's ``seq`` is gapless and strictly increasing.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simulation.domain import Backend, DomainError, fold
from simulation.domain.carts import CartStatus
from simulation.domain.commands import (
    AddToCart,
    CancelOrder,
    CapturePayment,
    Command,
    DeliverLeg,
    ExpireHold,
    ExpireReservations,
    FillBackorder,
    HandOverLeg,
    OpenCart,
    PickUpLeg,
    PlaceBackorder,
    PlaceHold,
    PlaceOrder,
    ReceiveStock,
    ReturnItems,
    ShipLeg,
)
from simulation.domain.events import StockIssued
from simulation.domain.orders import MONEY_TOLERANCE, SHIPPED_MODES, LegState, LegStatus
from simulation.domain.stock import CHANNELS
from simulation.eventlog import EventLog
from simulation.types import CartId, CustomerId, FulfilmentMode, OrderId, ReturnMode, SimTime, SkuId
from tests import strategies as S

_MOVING = frozenset({LegStatus.ALLOCATED, LegStatus.SHIPPED, LegStatus.HELD})


def _copy(backend: Backend) -> Backend:
    # Aggregate states are immutable: copying the dicts copies the state.
    return Backend(
        dict(backend.stock), dict(backend.carts), dict(backend.orders), dict(backend.backorders)
    )


def reservation_owners(backend: Backend) -> Counter[tuple[str, str, str]]:
    """Units reserved per (location, sku, channel) according to the carts and the orders."""
    owned: Counter[tuple[str, str, str]] = Counter()
    for cart in backend.carts.values():
        for r in cart.reservations:
            owned[r.location, r.sku, r.channel.value] += r.qty
    for order in backend.orders.values():
        for leg in order.legs:
            if leg.status.reserves_stock:
                for line in leg.lines:
                    owned[leg.location, line.sku, order.channel.value] += line.qty
    return owned


class BackendMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = Backend()
        self.log = EventLog()
        self.now = 0.0
        self.next_id = 100
        self.accepted = 0
        self.refused = 0

    def apply(self, command: Command) -> None:
        before, size = _copy(self.backend), len(self.log)
        try:
            events = self.backend.handle(command)
        except DomainError:
            self.refused += 1
            assert self.backend == before, f"refused {command} changed the state"
            assert len(self.log) == size
            return
        self.accepted += 1
        assert events, f"{command} was accepted but produced no event"
        assert all(e.t == self.now for e in events)
        self.log.extend(events)

    def fresh(self) -> int:
        self.next_id += 1
        return self.next_id

    @property
    def at(self) -> SimTime:
        return SimTime(self.now)

    # ------------------------------------------------------------ rules

    @rule(step=S.minutes)
    def time_passes(self, step: float) -> None:
        self.now += step

    @rule(data=st.data())
    def any_command(self, data: st.DataObject) -> None:
        self.apply(data.draw(S.commands(at=self.now)))

    @rule(location=S.locations, sku=S.skus, qty=st.integers(1, 12))
    def receive(self, location: str, sku: str, qty: int) -> None:
        self.apply(ReceiveStock(at=self.at, location=location, sku=sku, qty=qty))  # type: ignore[arg-type]

    def open_carts(self) -> list[CartId]:
        return [k for k, c in self.backend.carts.items() if c.status is CartStatus.OPEN]

    @rule(channel=S.channels, data=st.data())
    def shop(self, channel: S.Channel, data: st.DataObject) -> None:
        """A customer opens a cart and adds one or two skus, reserving them or not."""
        cart = CartId(self.fresh())
        self.apply(OpenCart(at=self.at, customer=CustomerId(cart), cart=cart, channel=channel))
        for sku in data.draw(st.lists(S.skus, min_size=1, max_size=2, unique=True)):
            self.add_to(cart, sku, data)

    @precondition(lambda self: self.open_carts())
    @rule(data=st.data(), sku=S.skus)
    def add(self, data: st.DataObject, sku: S.SkuId) -> None:
        self.add_to(data.draw(st.sampled_from(self.open_carts())), sku, data)

    def add_to(self, cart: CartId, sku: S.SkuId, data: st.DataObject) -> None:
        qty, ttl = data.draw(st.integers(1, 3)), data.draw(S.minutes)
        where = data.draw(st.none() | S.locations)
        self.apply(
            AddToCart(
                at=self.at, cart=cart, sku=sku, qty=qty, unit_price=S.PRICES[sku],
                reserve_at=where, ttl=ttl,
            )
        )  # fmt: skip

    @precondition(lambda self: any(self.backend.carts[k].lines for k in self.open_carts()))
    @rule(data=st.data())
    def checkout(self, data: st.DataObject) -> None:
        carts = [k for k in self.open_carts() if self.backend.carts[k].lines]
        self.checkout_cart(data.draw(st.sampled_from(carts)), data)

    def checkout_cart(self, cart: CartId, data: st.DataObject) -> None:
        """Place an order for the cart at locations that can serve it, and usually pay."""
        state = self.backend.carts[cart]
        lines = {line.sku: line.qty for line in state.lines}

        def prefer(sku: SkuId, qty: int) -> list[S.LocationId]:
            return [
                loc
                for loc in S.LOCATIONS
                if self.backend.stock_level(loc, sku).available_to(state.channel)
                + state.reserved_of(sku, loc)
                >= qty
            ]

        order = OrderId(self.fresh())
        legs = S.legs(lines, data, prefer)
        self.apply(PlaceOrder(at=self.at, order=order, cart=cart, legs=legs))
        if order in self.backend.orders and data.draw(st.integers(0, 3)) > 0:
            amount = self.backend.orders[order].amount
            self.apply(CapturePayment(at=self.at, order=order, amount=amount))

    @precondition(lambda self: self.backend.carts)
    @rule(data=st.data())
    def expire_reservations(self, data: st.DataObject) -> None:
        self.apply(
            ExpireReservations(
                at=self.at, cart=data.draw(st.sampled_from(sorted(self.backend.carts)))
            )
        )

    @precondition(lambda self: self.backend.orders)
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from(sorted(self.backend.orders)))
        state = self.backend.orders[order]
        self.apply(
            CapturePayment(at=self.at, order=order, amount=max(state.amount - state.paid, 0.0))
        )

    def live_legs(self) -> list[tuple[OrderId, LegState]]:
        return [
            (order_id, leg)
            for order_id, order in sorted(self.backend.orders.items())
            if not order.cancelled
            for leg in order.legs
            if leg.status in _MOVING
        ]

    @precondition(lambda self: self.live_legs())
    @rule(data=st.data(), hold=S.minutes)
    def progress_leg(self, data: st.DataObject, hold: float) -> None:
        order, leg = data.draw(st.sampled_from(self.live_legs()))
        self.progress(order, leg, data, hold)

    @rule(channel=S.channels, data=st.data())
    def journey(self, channel: S.Channel, data: st.DataObject) -> None:
        """One customer from cart to the end of their order: the deep paths in one step."""
        self.shop(channel, data)
        cart = CartId(self.next_id)
        self.time_passes(data.draw(S.minutes))
        if cart in self.open_carts() and self.backend.carts[cart].lines:
            self.checkout_cart(cart, data)
        order = OrderId(self.next_id)
        for _ in range(data.draw(st.integers(0, 4))):
            legs = [leg for o, leg in self.live_legs() if o == order]
            if not legs:
                break
            self.time_passes(data.draw(S.minutes))
            if data.draw(st.integers(0, 9)) == 0:
                self.apply(CancelOrder(at=self.at, order=order))
            else:
                self.progress(order, data.draw(st.sampled_from(legs)), data, data.draw(S.minutes))

    def progress(self, order: OrderId, leg: LegState, data: st.DataObject, hold: float) -> None:
        """Send the command that moves a leg on from where it is."""
        at, loc = self.at, leg.location
        match leg.status, leg.mode:
            case LegStatus.ALLOCATED, FulfilmentMode.CLICK_AND_COLLECT:
                self.apply(PlaceHold(at=at, order=order, location=loc, hold_minutes=hold))
            case LegStatus.ALLOCATED, FulfilmentMode.CARRY_OUT:
                self.apply(HandOverLeg(at=at, order=order, location=loc))
            case LegStatus.ALLOCATED, mode if mode in SHIPPED_MODES:
                self.apply(ShipLeg(at=at, order=order, location=loc))
            case LegStatus.SHIPPED, _:
                self.apply(DeliverLeg(at=at, order=order, location=loc))
            case LegStatus.HELD, _ if data.draw(st.booleans()):
                self.apply(PickUpLeg(at=at, order=order, location=loc))
            case LegStatus.HELD, _:
                # Nobody came: let the clock reach the deadline (or not quite) and expire it.
                until = leg.hold_until if leg.hold_until is not None else self.now
                self.now = max(self.now, until - data.draw(st.sampled_from([0.0, 0.5])))
                self.apply(ExpireHold(at=self.at, order=order, location=loc))
            case _:
                self.apply(CancelOrder(at=at, order=order))

    def received(self) -> list[tuple[OrderId, SkuId]]:
        return [
            (order_id, line.sku)
            for order_id, order in sorted(self.backend.orders.items())
            for leg in order.legs
            if leg.status.received
            for line in leg.lines
        ]

    @precondition(lambda self: self.received())
    @rule(data=st.data(), qty=S.units, where=S.locations, how=S.return_modes, restock=st.booleans())
    def give_back(
        self, data: st.DataObject, qty: int, where: S.LocationId, how: ReturnMode, restock: bool
    ) -> None:
        order, sku = data.draw(st.sampled_from(self.received()))
        self.apply(
            ReturnItems(
                at=self.at,
                order=order,
                sku=sku,
                qty=qty,
                location=where,
                return_mode=how,
                restock=restock,
            )
        )

    @rule(channel=S.channels, location=S.locations, sku=S.skus, qty=st.integers(1, 4))
    def backorder(self, channel: S.Channel, location: str, sku: str, qty: int) -> None:
        self.apply(
            PlaceBackorder(
                at=self.at, customer=CustomerId(self.fresh()), channel=channel,
                order=OrderId(self.fresh()), location=location, sku=sku, qty=qty, unit_price=5.0,
            )  # type: ignore[arg-type]
        )  # fmt: skip

    @rule(data=st.data())
    def fill_backorder(self, data: st.DataObject) -> None:
        waiting = sorted(o for o, b in self.backend.backorders.items() if not b.filled)
        if waiting:
            self.apply(FillBackorder(at=self.at, order=data.draw(st.sampled_from(waiting))))

    # ------------------------------------------------------------ invariants

    @invariant()
    def a_filled_backorder_has_left_with_its_units(self) -> None:
        issued = Counter(
            e.order
            for e in self.log
            if isinstance(e, StockIssued) and e.order in self.backend.backorders
        )
        for order, backorder in self.backend.backorders.items():
            assert issued[order] == (1 if backorder.filled else 0), order

    @invariant()
    def stock_is_never_negative_and_reserved_within_on_hand(self) -> None:
        for key, level in self.backend.stock.items():
            assert level.on_hand >= 0, key
            assert min(level.reserved) >= 0, key
            assert level.reserved_total <= level.on_hand, (key, level)

    @invariant()
    def every_reserved_unit_has_an_owner(self) -> None:
        reserved: Counter[tuple[str, str, str]] = Counter()
        for (location, sku), level in self.backend.stock.items():
            for channel, qty in zip(CHANNELS, level.reserved, strict=True):
                if qty:
                    reserved[location, sku, channel.value] = qty
        assert reserved == reservation_owners(self.backend)

    @invariant()
    def money_is_never_refunded_twice(self) -> None:
        for order in self.backend.orders.values():
            assert order.refunded <= order.paid + MONEY_TOLERANCE

    def teardown(self) -> None:
        assert fold(self.log) == self.backend, "folding the log did not rebuild the state"
        seq = np.asarray(self.log.to_table()["seq"])
        assert np.array_equal(seq, np.arange(1, len(self.log) + 1))


BackendMachine.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
TestBackend = BackendMachine.TestCase
