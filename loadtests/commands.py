"""A step as the domain command it stands for: what the reconciliation folds to know the truth.

The adapters turn a step into a target's request; this module turns the same step into the
domain's command, so the replay can tell what a correct backend must have answered and where
its stock must stand. Reads (browse, check stock) change nothing and have no command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loadtests.journeys import READS, Step
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

_Build = Callable[[SimTime, dict[str, Any]], Command]


def _legs(d: dict[str, Any]) -> tuple[Leg, ...]:
    return tuple(
        Leg(
            location=LocationId(leg["location"]),
            mode=FulfilmentMode(leg["mode"]),
            lines=tuple(LegLine(sku=SkuId(x["sku"]), qty=int(x["qty"])) for x in leg["lines"]),
        )
        for leg in d["legs"]
    )


def _leg(kind: type[ShipLeg | DeliverLeg | HandOverLeg | PickUpLeg | ExpireHold]) -> _Build:
    return lambda at, d: kind(at=at, order=OrderId(d["order"]), location=LocationId(d["location"]))


_BUILD: dict[str, _Build] = {
    "open_cart": lambda at, d: OpenCart(
        at=at, customer=CustomerId(d["customer"]), cart=CartId(d["cart"]),
        channel=Channel(d["channel"]),
    ),
    "add_to_cart": lambda at, d: AddToCart(
        at=at, cart=CartId(d["cart"]), sku=SkuId(d["sku"]), qty=int(d["qty"]),
        unit_price=float(d["unit_price"]),
        reserve_at=LocationId(d["reserve_at"]) if d.get("reserve_at") else None,
        ttl=float(d.get("ttl", 30.0)),
    ),
    "remove_from_cart": lambda at, d: RemoveFromCart(
        at=at, cart=CartId(d["cart"]), sku=SkuId(d["sku"]), qty=int(d["qty"])
    ),
    "move_cart": lambda at, d: MoveCart(
        at=at, cart=CartId(d["cart"]), channel=Channel(d["channel"])
    ),
    "abandon": lambda at, d: AbandonCart(at=at, cart=CartId(d["cart"]), reason=str(d["reason"])),
    "expire_cart": lambda at, d: ExpireReservations(at=at, cart=CartId(d["cart"])),
    "checkout": lambda at, d: PlaceOrder(
        at=at, order=OrderId(d["order"]), cart=CartId(d["cart"]), legs=_legs(d)
    ),
    "pay": lambda at, d: CapturePayment(
        at=at, order=OrderId(d["order"]), amount=float(d["amount"])
    ),
    "cancel": lambda at, d: CancelOrder(at=at, order=OrderId(d["order"]), reason=str(d["reason"])),
    "hold": lambda at, d: PlaceHold(
        at=at, order=OrderId(d["order"]), location=LocationId(d["location"]),
        hold_minutes=float(d["hold_minutes"]),
    ),
    "ship": _leg(ShipLeg),
    "deliver": _leg(DeliverLeg),
    "hand_over": _leg(HandOverLeg),
    "pick_up": _leg(PickUpLeg),
    "expire_hold": _leg(ExpireHold),
    "return": lambda at, d: ReturnItems(
        at=at, order=OrderId(d["order"]), sku=SkuId(d["sku"]), qty=int(d["qty"]),
        location=LocationId(d["location"]), return_mode=ReturnMode(d["mode"]),
        restock=bool(d["restock"]),
    ),
    "backorder": lambda at, d: PlaceBackorder(
        at=at, customer=CustomerId(d["customer"]), channel=Channel(d["channel"]),
        order=OrderId(d["order"]), location=LocationId(d["location"]), sku=SkuId(d["sku"]),
        qty=int(d["qty"]), unit_price=float(d["unit_price"]), mode=FulfilmentMode(d["mode"]),
    ),
    "fill_backorder": lambda at, d: FillBackorder(at=at, order=OrderId(d["order"])),
    "receive_stock": lambda at, d: ReceiveStock(
        at=at, location=LocationId(d["location"]), sku=SkuId(d["sku"]), qty=int(d["qty"]),
        reason=str(d["reason"]),
    ),
    "transfer": lambda at, d: TransferStock(
        at=at, location=LocationId(d["location"]), to=LocationId(d["to"]), sku=SkuId(d["sku"]),
        qty=int(d["qty"]),
    ),
    "write_off": lambda at, d: WriteOffStock(
        at=at, location=LocationId(d["location"]), sku=SkuId(d["sku"]), qty=int(d["qty"]),
        reason=str(d["reason"]),
    ),
    "set_safety": lambda at, d: SetSafetyStock(
        at=at, location=LocationId(d["location"]), sku=SkuId(d["sku"]), level=int(d["level"])
    ),
    "fence": lambda at, d: FenceStock(
        at=at, location=LocationId(d["location"]), sku=SkuId(d["sku"]),
        channel=Channel(d["channel"]), level=int(d["level"]),
    ),
}  # fmt: skip


def command_of(step: Step) -> Command | None:
    """The domain command a step stands for, at its simulated time; None for a read."""
    if step.kind in READS:
        return None
    return _BUILD[step.kind](SimTime(step.t), step.data)
