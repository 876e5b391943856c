"""A scripted day and a half of an omnichannel retailer, folded through the real domain.

Nine customers cross channels (Instagram to web to app to store, email to web, chat to web,
a marketplace), and the script exercises every fulfilment mode: carry-out, home delivery,
ship-from-store, click & collect picked up and click & collect expired, a cancellation, returns
by mail (written off) and in store (restocked), an expired cart reservation, replenishment, and
commands the domain refuses (too much stock asked for, a pickup after the hold ran out).

It is deterministic: no randomness, no clock. Until the SimPy engine runs scenario files, this
is what ``omnicanal demo`` runs; afterwards it stays as the smallest end-to-end example.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from simulation.commandlog import ACCEPTED, CommandLog
from simulation.domain.backend import Backend
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
    HandOverLeg,
    Leg,
    LegLine,
    MoveCart,
    OpenCart,
    PickUpLeg,
    PlaceHold,
    PlaceOrder,
    ReceiveStock,
    ReturnItems,
    SetSafetyStock,
    ShipLeg,
    WriteOffStock,
)
from simulation.domain.errors import DomainError
from simulation.domain.events import (
    CustomerArrived,
    CustomerLeft,
    Event,
    SaleLost,
    StockChecked,
    TouchpointVisited,
)
from simulation.eventlog import EventLog
from simulation.types import (
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    ReturnMode,
    SimTime,
    SkuId,
)

WH1, S01, S02 = LocationId("WH1"), LocationId("S01"), LocationId("S02")
TEE, JEANS, SNEAKER = SkuId("TEE"), SkuId("JEANS"), SkuId("SNEAKER")
PRICE = {TEE: 19.9, JEANS: 59.0, SNEAKER: 89.0}
HOME, SFS, CC, CARRY = (
    FulfilmentMode.HOME_DELIVERY,
    FulfilmentMode.SHIP_FROM_STORE,
    FulfilmentMode.CLICK_AND_COLLECT,
    FulfilmentMode.CARRY_OUT,
)


@dataclass(frozen=True, slots=True)
class Attempt:
    """A command the script expects the domain may refuse, and the event that records it."""

    command: Command
    if_refused: Event | None = None


Scripted = Command | Event | Attempt


@dataclass(slots=True)
class DemoRun:
    """What the demo produced: the event log, the command log, the final backend, the
    commands the domain refused."""

    log: EventLog
    backend: Backend
    commands: CommandLog = field(default_factory=CommandLog)
    refused: list[tuple[Command, DomainError]] = field(default_factory=list)

    def do(self, command: Command) -> None:
        """Record ``command`` and fold its events (a refusal raises, recorded too)."""
        owner = _owner(self.backend, command)
        try:
            events = self.backend.handle(command)
        except DomainError as refused:
            self.commands.record(command, owner, refused.rule)
            raise
        self.log.extend(events, self.commands.record(command, owner, ACCEPTED))

    def command_table(self) -> pa.Table:
        """The command log as a table (its reads and notes from the event log)."""
        return self.commands.to_table(self.log.to_table())

    def note(self, event: Event) -> None:
        """Record an observation: its id, and its event (its record)."""
        self.log.append(event, self.commands.observe())


def _owner(backend: Backend, command: Command) -> int | None:
    """Whose journey a command is in: the customer it names, or who owns its cart or order;
    None for a location's."""
    if (customer := getattr(command, "customer", None)) is not None:
        return int(customer)
    order = getattr(command, "order", None)
    placed = backend.order(order) if order is not None else None
    if placed is not None:
        return int(placed.customer)
    cart = getattr(command, "cart", None)  # a checkout's order is not placed yet
    opened = backend.cart(cart) if cart is not None else None
    return int(opened.customer) if opened is not None else None


def _t(minutes: float) -> SimTime:
    return SimTime(minutes)


def _legs(*legs: tuple[LocationId, FulfilmentMode, dict[SkuId, int]]) -> tuple[Leg, ...]:
    return tuple(
        Leg(
            location=loc,
            mode=mode,
            lines=tuple(LegLine(sku=s, qty=q) for s, q in lines.items()),
        )
        for loc, mode, lines in legs
    )


def _arrive(at: float, who: int, channel: Channel, segment: str) -> Event:
    return CustomerArrived(t=_t(at), customer=CustomerId(who), channel=channel, segment=segment)


def _visit(at: float, who: int, channel: Channel, step: str, sku: SkuId | None = None) -> Event:
    return TouchpointVisited(
        t=_t(at), customer=CustomerId(who), channel=channel, reason=step, sku=sku
    )


def _leave(at: float, who: int, channel: Channel, why: str) -> Event:
    return CustomerLeft(t=_t(at), customer=CustomerId(who), channel=channel, reason=why)


def _buy(
    at: float, who: int, channel: Channel, legs: tuple[Leg, ...], reserve: LocationId | None = None
) -> list[Scripted]:
    """Open a cart, add every leg line, place the order and pay it (cart and order id = who)."""
    cart, order = CartId(who), OrderId(who)
    lines = [(line.sku, line.qty) for leg in legs for line in leg.lines]
    steps: list[Scripted] = [
        OpenCart(at=_t(at), customer=CustomerId(who), cart=cart, channel=channel)
    ]
    steps += [
        AddToCart(
            at=_t(at + 1), cart=cart, sku=sku, qty=qty, unit_price=PRICE[sku], reserve_at=reserve
        )
        for sku, qty in lines
    ]
    amount = round(sum(PRICE[sku] * qty for sku, qty in lines), 2)
    return [
        *steps,
        PlaceOrder(at=_t(at + 2), order=order, cart=cart, legs=legs),
        CapturePayment(at=_t(at + 2), order=order, amount=amount),
    ]


def _stock() -> list[Scripted]:
    received = {
        WH1: {TEE: 50, JEANS: 20, SNEAKER: 5},
        S01: {TEE: 10, JEANS: 4, SNEAKER: 2},
        S02: {TEE: 8, SNEAKER: 1},
    }
    steps: list[Scripted] = [
        ReceiveStock(at=_t(0), location=loc, sku=sku, qty=qty, reason="initial")
        for loc, skus in received.items()
        for sku, qty in skus.items()
    ]
    return [
        *steps,
        SetSafetyStock(at=_t(0), location=WH1, sku=SNEAKER, level=1),
        FenceStock(at=_t(0), location=S01, sku=TEE, channel=Channel.STORE, level=4),
    ]


def _customers() -> Iterator[list[Scripted]]:
    ig, web, app, store = Channel.INSTAGRAM, Channel.WEB, Channel.APP, Channel.STORE
    # 1: discovers a tee on Instagram, reads reviews on the web, carts it in the app with a
    #    reservation at the nearby store, and finishes the purchase on the store floor.
    yield [
        _arrive(10, 1, ig, "social"),
        _visit(10, 1, ig, "discover", TEE),
        _visit(12, 1, web, "research", TEE),
        OpenCart(at=_t(15), customer=CustomerId(1), cart=CartId(1), channel=app),
        AddToCart(at=_t(15), cart=CartId(1), sku=TEE, qty=2, unit_price=PRICE[TEE], reserve_at=S01, ttl=120),
        MoveCart(at=_t(60), cart=CartId(1), channel=store),
        PlaceOrder(at=_t(61), order=OrderId(1), cart=CartId(1), legs=_legs((S01, CARRY, {TEE: 2}))),
        CapturePayment(at=_t(61), order=OrderId(1), amount=39.8),
        HandOverLeg(at=_t(62), order=OrderId(1), location=S01),
        _leave(62, 1, store, "ordered"),
    ]  # fmt: skip
    # 2: orders jeans and sneakers on the web for home delivery, sends the sneakers back by
    #    mail (damaged: written off).
    yield [
        _arrive(30, 2, web, "loyal"),
        *_buy(30, 2, web, _legs((WH1, HOME, {JEANS: 1, SNEAKER: 1}))),
        _leave(32, 2, web, "ordered"),
        ShipLeg(at=_t(90), order=OrderId(2), location=WH1),
        DeliverLeg(at=_t(2000), order=OrderId(2), location=WH1),
        ReturnItems(at=_t(4000), order=OrderId(2), sku=SNEAKER, qty=1, location=WH1,
                    return_mode=ReturnMode.MAIL, restock=False),
    ]  # fmt: skip
    # 3: click & collect in the app, picked up, one pair brought back to the store.
    yield [
        _arrive(40, 3, app, "deal_seeker"),
        *_buy(40, 3, app, _legs((S01, CC, {JEANS: 2}))),
        _leave(42, 3, app, "ordered"),
        PlaceHold(at=_t(100), order=OrderId(3), location=S01, hold_minutes=2880),
        PickUpLeg(at=_t(600), order=OrderId(3), location=S01),
        ReturnItems(at=_t(3000), order=OrderId(3), sku=JEANS, qty=1, location=S01,
                    return_mode=ReturnMode.STORE),
    ]  # fmt: skip
    # 4: an email campaign, click & collect never collected: the hold expires and is refunded;
    #    the customer turns up afterwards and is refused.
    yield [
        _arrive(50, 4, Channel.EMAIL, "deal_seeker"),
        _visit(50, 4, Channel.EMAIL, "campaign", TEE),
        *_buy(51, 4, web, _legs((S02, CC, {TEE: 3}))),
        _leave(53, 4, web, "ordered"),
        PlaceHold(at=_t(120), order=OrderId(4), location=S02, hold_minutes=1440),
        ExpireHold(at=_t(1560), order=OrderId(4), location=S02),
        Attempt(PickUpLeg(at=_t(1600), order=OrderId(4), location=S02)),
    ]  # fmt: skip
    # 5: a marketplace shopper wants five sneakers; the warehouse may promise three (safety
    #    stock, another order's reservation): the sale is lost.
    yield [
        _arrive(70, 5, Channel.MARKETPLACE, "bulk"),
        StockChecked(t=_t(70), customer=CustomerId(5), channel=Channel.MARKETPLACE,
                     location=WH1, sku=SNEAKER, qty=3),
        OpenCart(at=_t(71), customer=CustomerId(5), cart=CartId(5), channel=Channel.MARKETPLACE),
        Attempt(
            AddToCart(at=_t(72), cart=CartId(5), sku=SNEAKER, qty=5, unit_price=PRICE[SNEAKER],
                      reserve_at=WH1),
            SaleLost(t=_t(72), customer=CustomerId(5), channel=Channel.MARKETPLACE, sku=SNEAKER,
                     qty=5, amount=5 * PRICE[SNEAKER], reason="no_stock", location=WH1),
        ),
        AbandonCart(at=_t(73), cart=CartId(5), reason="no_stock"),
        _leave(73, 5, Channel.MARKETPLACE, "lost"),
    ]  # fmt: skip
    # 6: a chat conversation ends in a web cart whose reservation runs out.
    yield [
        _arrive(80, 6, Channel.CHAT, "browser"),
        OpenCart(at=_t(81), customer=CustomerId(6), cart=CartId(6), channel=web),
        AddToCart(at=_t(81), cart=CartId(6), sku=TEE, qty=1, unit_price=PRICE[TEE], reserve_at=WH1, ttl=30),
        _leave(85, 6, web, "abandoned"),
        ExpireReservations(at=_t(111), cart=CartId(6)),
        AbandonCart(at=_t(200), cart=CartId(6), reason="timeout"),
    ]  # fmt: skip
    # 7: ship-from-store: the last sneaker in store S02 goes to a web customer.
    yield [
        _arrive(300, 7, web, "loyal"),
        *_buy(300, 7, web, _legs((S02, SFS, {SNEAKER: 1}))),
        _leave(302, 7, web, "ordered"),
        ShipLeg(at=_t(400), order=OrderId(7), location=S02),
        DeliverLeg(at=_t(1800), order=OrderId(7), location=S02),
    ]  # fmt: skip
    # 8: the app may not take the tees fenced for the store floor at S01; five are refused,
    #    four are sent from the store instead.
    yield [
        _arrive(500, 8, app, "social"),
        OpenCart(at=_t(500), customer=CustomerId(8), cart=CartId(8), channel=app),
        Attempt(
            AddToCart(at=_t(501), cart=CartId(8), sku=TEE, qty=5, unit_price=PRICE[TEE], reserve_at=S01),
            SaleLost(t=_t(501), customer=CustomerId(8), channel=app, sku=TEE, qty=1,
                     amount=PRICE[TEE], reason="no_stock", location=S01),
        ),
        AddToCart(at=_t(502), cart=CartId(8), sku=TEE, qty=4, unit_price=PRICE[TEE], reserve_at=S01),
        PlaceOrder(at=_t(503), order=OrderId(8), cart=CartId(8), legs=_legs((S01, SFS, {TEE: 4}))),
        CapturePayment(at=_t(503), order=OrderId(8), amount=round(4 * PRICE[TEE], 2)),
        _leave(503, 8, app, "ordered"),
        ShipLeg(at=_t(700), order=OrderId(8), location=S01),
    ]  # fmt: skip
    # 9: orders on the web and cancels before it ships: released and refunded.
    yield [
        _arrive(700, 9, web, "browser"),
        *_buy(700, 9, web, _legs((WH1, HOME, {JEANS: 1}))),
        _leave(702, 9, web, "ordered"),
        CancelOrder(at=_t(710), order=OrderId(9), reason="changed_mind"),
    ]  # fmt: skip


def _operations() -> list[Scripted]:
    return [
        WriteOffStock(at=_t(1000), location=S02, sku=TEE, qty=1, reason="damaged"),
        ReceiveStock(at=_t(1440), location=WH1, sku=SNEAKER, qty=10),
    ]


def _at(step: Scripted) -> float:
    match step:
        case Attempt(command=command):
            return float(command.at)  # type: ignore[attr-defined]
        case Event():
            return float(step.t)
        case _:
            return float(step.at)  # type: ignore[attr-defined]


def script() -> list[Scripted]:
    """Every step of the demo, in time order (steps at the same time keep script order)."""
    steps = [*_stock(), *(s for c in _customers() for s in c), *_operations()]
    return sorted(steps, key=_at)


def run_demo() -> DemoRun:
    """Fold the script through a fresh backend into a new event log."""
    run = DemoRun(log=EventLog(), backend=Backend())
    for step in script():
        match step:
            case Event():
                run.note(step)
            case Attempt(command=command, if_refused=lost):
                try:
                    run.do(command)
                except DomainError as refused:
                    run.refused.append((command, refused))
                    if lost is not None:
                        run.note(lost)
            case _:
                run.do(step)
    return run
