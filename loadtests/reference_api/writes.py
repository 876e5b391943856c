"""The API's writes: each turns its path and body into one domain command.

Every write needs the bearer token, takes ``X-Sim-Time`` (its time, in simulated minutes) and
``Idempotency-Key``, and answers with the events it produced, or a problem, and the header
``X-Event-Position``: the store position after it (for a refusal, the one it was decided at).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from loadtests.reference_api.bodies import (
    Fence,
    Hold,
    Move,
    NewBackorder,
    NewCart,
    NewItem,
    NewOrder,
    NewReturn,
    Payment,
    Quantity,
    Reason,
    Receipt,
    SafetyLevel,
    Transfer,
    WriteOff,
)
from loadtests.reference_api.dependencies import Key, Served, Write
from loadtests.reference_api.fields import IdPath, NamePath, SimClock
from loadtests.reference_api.problems import PROBLEM, problem
from loadtests.reference_api.state import Answer
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
    Leg,
    LegLine,
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
from simulation.types import CartId, CustomerId, LocationId, OrderId, SimTime, SkuId

POSITION = "X-Event-Position"
"""Response header of every write: the store position after it (or, for a refusal, the
position it was decided at), so a client can order what it saw the way the server decided it."""

router = APIRouter()


def answered(answer: Answer) -> JSONResponse:
    kind = PROBLEM if answer.status >= 400 else "application/json"
    return JSONResponse(
        answer.body,
        status_code=answer.status,
        media_type=kind,
        headers={POSITION: str(answer.position)},
    )


Build = Callable[[SimTime], Command]


def _write(state: Served, build: Build, at: float | None, key: Any) -> JSONResponse:
    return answered(state.write(build, at, key))


@router.post("/carts")
def open_cart(
    body: NewCart, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: OpenCart(
        at=t, customer=CustomerId(body.customer), cart=CartId(body.cart), channel=body.channel,
    ), at, key)  # fmt: skip


@router.post("/carts/{cart}/items")
def add(
    cart: IdPath, body: NewItem, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    where = LocationId(body.reserve_at) if body.reserve_at else None
    return _write(state, lambda t: AddToCart(
        at=t, cart=CartId(cart), sku=SkuId(body.sku), qty=body.qty,
        unit_price=body.unit_price, reserve_at=where, ttl=body.ttl,
    ), at, key)  # fmt: skip


@router.post("/carts/{cart}/items/{sku}/remove")
def remove(
    *,
    cart: IdPath,
    sku: NamePath,
    body: Quantity,
    state: Served,
    _: Write,
    at: SimClock = None,
    key: Key = None,
) -> JSONResponse:
    return _write(state, lambda t: RemoveFromCart(
        at=t, cart=CartId(cart), sku=SkuId(sku), qty=body.qty
    ), at, key)  # fmt: skip


@router.post("/carts/{cart}/move")
def move(
    cart: IdPath, body: Move, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: MoveCart(at=t, cart=CartId(cart), channel=body.channel), at, key)


@router.post("/carts/{cart}/abandon")
def abandon(
    cart: IdPath, body: Reason, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(
        state, lambda t: AbandonCart(at=t, cart=CartId(cart), reason=body.reason), at, key
    )


@router.post("/carts/{cart}/expire")
def expire_cart(
    cart: IdPath, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: ExpireReservations(at=t, cart=CartId(cart)), at, key)


@router.post("/orders")
def place(
    body: NewOrder, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    legs = tuple(
        Leg(location=LocationId(leg.location), mode=leg.mode,
            lines=tuple(LegLine(sku=SkuId(line.sku), qty=line.qty) for line in leg.lines))
        for leg in body.legs
    )  # fmt: skip
    return _write(state, lambda t: PlaceOrder(
        at=t, order=OrderId(body.order), cart=CartId(body.cart), legs=legs
    ), at, key)  # fmt: skip


@router.post("/orders/{order}/payment")
def pay(
    order: IdPath, body: Payment, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: CapturePayment(
        at=t, order=OrderId(order), amount=body.amount
    ), at, key)  # fmt: skip


@router.post("/orders/{order}/cancel")
def cancel(
    order: IdPath, body: Reason, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(
        state, lambda t: CancelOrder(at=t, order=OrderId(order), reason=body.reason), at, key
    )


@router.post("/orders/{order}/legs/{location}/hold")
def hold(
    *,
    order: IdPath,
    location: NamePath,
    body: Hold,
    state: Served,
    _: Write,
    at: SimClock = None,
    key: Key = None,
) -> JSONResponse:
    return _write(state, lambda t: PlaceHold(
        at=t, order=OrderId(order), location=LocationId(location), hold_minutes=body.hold_minutes,
    ), at, key)  # fmt: skip


_LEG_ACTIONS: dict[str, type[ShipLeg | DeliverLeg | HandOverLeg | PickUpLeg | ExpireHold]] = {
    "ship": ShipLeg,
    "deliver": DeliverLeg,
    "handover": HandOverLeg,
    "pickup": PickUpLeg,
    "expire": ExpireHold,
}


@router.post("/orders/{order}/legs/{location}/{action}")
def leg_action(
    *,
    order: IdPath,
    location: NamePath,
    action: str,
    state: Served,
    _: Write,
    at: SimClock = None,
    key: Key = None,
) -> JSONResponse:
    kind = _LEG_ACTIONS.get(action)
    if kind is None:
        detail = f"action: expected one of {sorted(_LEG_ACTIONS)}, got {action!r}"
        return problem(404, "unknown action", detail)
    return _write(
        state, lambda t: kind(at=t, order=OrderId(order), location=LocationId(location)), at, key
    )


@router.post("/orders/{order}/returns")
def give_back(
    order: IdPath, body: NewReturn, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: ReturnItems(
        at=t, order=OrderId(order), sku=SkuId(body.sku), qty=body.qty,
        location=LocationId(body.location), return_mode=body.mode, restock=body.restock,
    ), at, key)  # fmt: skip


@router.post("/backorders")
def backorder(
    body: NewBackorder, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    """Order units that are out of stock, to be filled when stock arrives."""
    return _write(state, lambda t: PlaceBackorder(
        at=t, customer=CustomerId(body.customer), channel=body.channel,
        order=OrderId(body.order), location=LocationId(body.location), sku=SkuId(body.sku),
        qty=body.qty, unit_price=body.unit_price, mode=body.mode,
    ), at, key)  # fmt: skip


@router.post("/backorders/{order}/fill")
def fill_backorder(
    order: IdPath, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    """Give a waiting backorder its units from the location's free stock."""
    return _write(state, lambda t: FillBackorder(at=t, order=OrderId(order)), at, key)


@router.post("/admin/stock")
def receive(
    body: Receipt, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: ReceiveStock(
        at=t, location=LocationId(body.location), sku=SkuId(body.sku), qty=body.qty,
    ), at, key)  # fmt: skip


@router.post("/admin/safety")
def safety(
    body: SafetyLevel, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: SetSafetyStock(
        at=t, location=LocationId(body.location), sku=SkuId(body.sku), level=body.level,
    ), at, key)  # fmt: skip


@router.post("/admin/fence")
def fence(
    body: Fence, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: FenceStock(
        at=t, location=LocationId(body.location), sku=SkuId(body.sku),
        channel=body.channel, level=body.level,
    ), at, key)  # fmt: skip


@router.post("/admin/write-off")
def write_off(
    body: WriteOff, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: WriteOffStock(
        at=t, location=LocationId(body.location), sku=SkuId(body.sku),
        qty=body.qty, reason=body.reason,
    ), at, key)  # fmt: skip


@router.post("/admin/transfer")
def transfer(
    body: Transfer, state: Served, _: Write, at: SimClock = None, key: Key = None
) -> JSONResponse:
    return _write(state, lambda t: TransferStock(
        at=t, location=LocationId(body.location), to=LocationId(body.to),
        sku=SkuId(body.sku), qty=body.qty,
    ), at, key)  # fmt: skip
