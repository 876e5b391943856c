"""A run written by hand, decided by the domain: the step kinds the engine never issues
(remove from a cart, cancel, write off), and a customer the simulation refuses. Its orders are
sourced where the foreign shop's own rule would allocate them (the first location by code that
has enough), so that its final stock compares with the fold under ``--check rules`` too.

Each command is decided by :class:`~simulation.domain.backend.Backend` and recorded with its
outcome (``ok``, or the rule that refused it) and its events, as the engine records its own
(:class:`~simulation.commandlog.CommandLog`): the replay cannot tell it from an engine's run.
"""

from __future__ import annotations

from pathlib import Path

from simulation.commandlog import CommandLog
from simulation.domain.backend import Backend
from simulation.domain.commands import (
    AddToCart,
    CancelOrder,
    CapturePayment,
    Command,
    DeliverLeg,
    ExpireHold,
    Leg,
    LegLine,
    OpenCart,
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
from simulation.domain.errors import DomainError
from simulation.domain.events import TouchpointVisited
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

SCARCE = SkuId("SKU0001")
"""The sku of which there is one unit: two customers want it, the simulation refuses one."""
PLENTY = SkuId("SKU0002")
WH, STORE = LocationId("WH1"), LocationId("S01")
INITIAL = {(WH, SCARCE): 1, (WH, PLENTY): 10, (STORE, PLENTY): 4}


class _Writer:
    def __init__(self) -> None:
        self.backend, self.commands, self.events = Backend(), CommandLog(), EventLog()

    def do(self, command: Command, customer: int | None) -> str:
        try:
            events = self.backend.decide(command)
        except DomainError as refusal:
            self.commands.record(command, customer, refusal.rule)
            return refusal.rule
        cause = self.commands.record(command, customer)
        for event in events:
            self.backend.evolve(event)
        self.events.extend(events, cause)
        return "ok"

    def browse(self, t: float, customer: int) -> None:
        visit = TouchpointVisited(
            t=SimTime(t), customer=CustomerId(customer), channel=Channel.WEB, reason="discover"
        )
        self.events.append(visit, self.commands.observe())


def _at(t: float) -> SimTime:
    return SimTime(float(t))


def _order(t: float, order: int, cart: int, where: LocationId, *, mode: FulfilmentMode,
           lines: dict[SkuId, int]) -> PlaceOrder:  # fmt: skip
    leg = Leg(
        location=where, mode=mode, lines=tuple(LegLine(sku=s, qty=q) for s, q in lines.items())
    )
    return PlaceOrder(at=_at(t), order=OrderId(order), cart=CartId(cart), legs=(leg,))


def _basket(w: _Writer, t: float, customer: int, cart: int, lines: dict[SkuId, int]) -> None:
    w.browse(t, customer)
    w.do(OpenCart(at=_at(t + 1), customer=CustomerId(customer), cart=CartId(cart),
                  channel=Channel.WEB), customer)  # fmt: skip
    for sku, qty in lines.items():
        w.do(AddToCart(at=_at(t + 2), cart=CartId(cart), sku=sku, qty=qty, unit_price=12.5),
             customer)  # fmt: skip


def write_run(folder: Path) -> Path:
    """The run, as ``folder/commands.parquet``; returns ``folder``. Its outcomes: every step
    ok but customer 3's checkout (``stock.insufficient``: customer 2 bought the last unit)."""
    w = _Writer()
    for (loc, sku), qty in INITIAL.items():
        w.do(ReceiveStock(at=_at(0), location=loc, sku=sku, qty=qty, reason="initial"), None)
    home, collect = FulfilmentMode.HOME_DELIVERY, FulfilmentMode.CLICK_AND_COLLECT
    # 1: takes one of three back out, orders two, pays, cancels
    _basket(w, 1, 1, 1, {PLENTY: 3})
    w.do(RemoveFromCart(at=_at(4), cart=CartId(1), sku=PLENTY, qty=1), 1)
    w.do(_order(5, 2, 1, STORE, mode=home, lines={PLENTY: 2}), 1)
    w.do(CapturePayment(at=_at(6), order=OrderId(2), amount=25.0), 1)
    w.do(CancelOrder(at=_at(7), order=OrderId(2), reason="customer"), 1)
    # 2 buys the last unit of the scarce sku; 3 wants it too, a minute later: refused
    _basket(w, 10, 2, 3, {SCARCE: 1})
    w.do(_order(13, 4, 3, WH, mode=home, lines={SCARCE: 1}), 2)
    w.do(CapturePayment(at=_at(14), order=OrderId(4), amount=12.5), 2)
    _basket(w, 26, 3, 5, {SCARCE: 1})  # (its checkout 16 minutes after 2's: no race)
    assert w.do(_order(29, 6, 5, WH, mode=home, lines={SCARCE: 1}), 3) == "stock.insufficient"
    # 4: click & collect, never collected
    _basket(w, 30, 4, 7, {PLENTY: 1})
    w.do(_order(33, 8, 7, STORE, mode=collect, lines={PLENTY: 1}), 4)
    w.do(CapturePayment(at=_at(34), order=OrderId(8), amount=12.5), 4)
    w.do(PlaceHold(at=_at(40), order=OrderId(8), location=STORE, hold_minutes=10.0), 4)
    w.do(ExpireHold(at=_at(50), order=OrderId(8), location=STORE), 4)
    # 5: delivered, sends one back
    _basket(w, 60, 5, 9, {PLENTY: 2})
    w.do(_order(63, 10, 9, STORE, mode=home, lines={PLENTY: 2}), 5)
    w.do(CapturePayment(at=_at(64), order=OrderId(10), amount=25.0), 5)
    w.do(ShipLeg(at=_at(70), order=OrderId(10), location=STORE), 5)
    w.do(DeliverLeg(at=_at(80), order=OrderId(10), location=STORE), 5)
    w.do(ReturnItems(at=_at(90), order=OrderId(10), sku=PLENTY, qty=1, location=STORE,
                     return_mode=ReturnMode.MAIL, restock=True), 5)  # fmt: skip
    # the back office: a write-off, a receipt, and what the shop cannot do
    w.do(WriteOffStock(at=_at(95), location=WH, sku=PLENTY, qty=1, reason="damaged"), None)
    w.do(ReceiveStock(at=_at(96), location=WH, sku=PLENTY, qty=5, reason="replenishment"), None)
    w.do(TransferStock(at=_at(97), location=WH, to=STORE, sku=PLENTY, qty=1), None)
    w.do(SetSafetyStock(at=_at(98), location=STORE, sku=PLENTY, level=1), None)
    folder.mkdir(parents=True, exist_ok=True)
    w.commands.write(folder / "commands.parquet", w.events.to_table())
    return folder
