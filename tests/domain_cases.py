"""Given/when/then cases for the domain, written once and run by every runner.

``given`` is a list of commands that must all succeed; ``when`` is one command; ``then`` is
either the exact list of events it produces or the :class:`DomainError` subclass it raises
(with the context it must carry). The simulation's backend runs them in
``tests/simulation/test_domain.py``; the reference API runs the same cases over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulation.domain import errors
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
from simulation.domain.events import (
    BackorderFilled,
    BackorderPlaced,
    CartAbandoned,
    CartCheckedOut,
    CartItemAdded,
    CartItemRemoved,
    CartMoved,
    Event,
    HoldExpired,
    HoldPlaced,
    LegDelivered,
    LegHandedOver,
    LegPickedUp,
    LegShipped,
    LineAllocated,
    OrderCancelled,
    OrderPlaced,
    PaymentCaptured,
    RefundIssued,
    ReservationExpired,
    ReservationReleased,
    ReturnReceived,
    StockFenced,
    StockIssued,
    StockReserved,
    StockRestocked,
    StockTransferredOut,
    StockWrittenOff,
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

WH, ST = LocationId("WH1"), LocationId("S01")
TEE = SkuId("TEE")
APP, WEB, STORE = Channel.APP, Channel.WEB, Channel.STORE
C1, K1, O1 = CustomerId(1), CartId(1), OrderId(1)
T = SimTime


@dataclass(frozen=True)
class Case:
    name: str
    given: list[Command]
    when: Command
    then: list[Event] | type[errors.DomainError]
    context: dict[str, object] = field(default_factory=dict)


def stocked(qty: int = 10, at: LocationId = ST) -> list[Command]:
    return [ReceiveStock(at=T(0), location=at, sku=TEE, qty=qty)]


def cart(qty: int = 2, channel: Channel = APP, reserve: LocationId | None = ST) -> list[Command]:
    return [
        OpenCart(at=T(1), customer=C1, cart=K1, channel=channel),
        AddToCart(at=T(2), cart=K1, sku=TEE, qty=qty, unit_price=10.0, reserve_at=reserve, ttl=30),
    ]


def order(
    mode: FulfilmentMode, qty: int = 2, at: LocationId = ST, paid: bool = True
) -> list[Command]:
    legs = (Leg(location=at, mode=mode, lines=(LegLine(sku=TEE, qty=qty),)),)
    placed: list[Command] = [PlaceOrder(at=T(3), order=O1, cart=K1, legs=legs)]
    if paid:
        placed.append(CapturePayment(at=T(4), order=O1, amount=10.0 * qty))
    return placed


CC, HOME, CARRY = (
    FulfilmentMode.CLICK_AND_COLLECT,
    FulfilmentMode.HOME_DELIVERY,
    FulfilmentMode.CARRY_OUT,
)
HELD = [PlaceHold(at=T(10), order=O1, location=ST, hold_minutes=60)]
PICKED = [PickUpLeg(at=T(20), order=O1, location=ST)]
BACKORDER = [
    PlaceBackorder(
        at=T(1), customer=C1, channel=STORE, order=O1, location=ST, sku=TEE, qty=2, unit_price=10.0
    )
]

CASES: list[Case] = [
    Case(
        "reserve at add-to-cart",
        [*stocked(), OpenCart(at=T(1), customer=C1, cart=K1, channel=APP)],
        AddToCart(at=T(2), cart=K1, sku=TEE, qty=3, unit_price=10.0, reserve_at=ST, ttl=30),
        [
            CartItemAdded(t=T(2), cart=K1, channel=APP, sku=TEE, qty=3, amount=10.0),
            StockReserved(t=T(2), location=ST, sku=TEE, channel=APP, qty=3, cart=K1, until=T(32)),
        ],
    ),
    Case(
        "reserving more than on hand is refused",
        [*stocked(2), OpenCart(at=T(1), customer=C1, cart=K1, channel=APP)],
        AddToCart(at=T(2), cart=K1, sku=TEE, qty=3, unit_price=10.0, reserve_at=ST),
        errors.InsufficientStock,
        {"location": ST, "sku": TEE, "channel": "app", "requested": 3, "available": 2},
    ),
    Case(
        "safety stock is held back from remote channels",
        [*stocked(5), SetSafetyStock(at=T(0), location=ST, sku=TEE, level=2), *cart(3)],
        AddToCart(at=T(3), cart=K1, sku=TEE, qty=1, unit_price=10.0, reserve_at=ST),
        errors.InsufficientStock,
        {"requested": 1, "available": 0},
    ),
    Case(
        "the store floor sells through safety stock",
        [*stocked(5), SetSafetyStock(at=T(0), location=ST, sku=TEE, level=2), *cart(3, STORE)],
        AddToCart(at=T(3), cart=K1, sku=TEE, qty=2, unit_price=10.0, reserve_at=ST),
        [
            CartItemAdded(t=T(3), cart=K1, channel=STORE, sku=TEE, qty=2, amount=10.0),
            StockReserved(t=T(3), location=ST, sku=TEE, channel=STORE, qty=2, cart=K1, until=T(33)),
        ],
    ),
    Case(
        "a fence for the store keeps units from the app",
        [*stocked(5), FenceStock(at=T(0), location=ST, sku=TEE, channel=STORE, level=4)],
        FenceStock(at=T(0), location=ST, sku=TEE, channel=STORE, level=4),
        [StockFenced(t=T(0), location=ST, sku=TEE, channel=STORE, qty=4)],
    ),
    Case(
        "the app may not take fenced units",
        [
            *stocked(5),
            FenceStock(at=T(0), location=ST, sku=TEE, channel=STORE, level=4),
            OpenCart(at=T(1), customer=C1, cart=K1, channel=APP),
        ],
        AddToCart(at=T(2), cart=K1, sku=TEE, qty=2, unit_price=10.0, reserve_at=ST),
        errors.InsufficientStock,
        {"channel": "app", "requested": 2, "available": 1},
    ),
    Case(
        "removing units gives back their reservation",
        [*stocked(), *cart(3)],
        RemoveFromCart(at=T(5), cart=K1, sku=TEE, qty=2),
        [
            CartItemRemoved(t=T(5), cart=K1, channel=APP, sku=TEE, qty=2),
            ReservationReleased(
                t=T(5), location=ST, sku=TEE, channel=APP, qty=2, cart=K1, reason="removed"
            ),
        ],
    ),
    Case(
        "a cart moves from the app to the store",
        [*stocked(), *cart()],
        MoveCart(at=T(5), cart=K1, channel=STORE),
        [CartMoved(t=T(5), customer=C1, cart=K1, channel=STORE)],
    ),
    Case(
        "abandoning a cart releases its reservations",
        [*stocked(), *cart()],
        AbandonCart(at=T(5), cart=K1, reason="left"),
        [
            ReservationReleased(
                t=T(5), location=ST, sku=TEE, channel=APP, qty=2, cart=K1, reason="abandoned"
            ),
            CartAbandoned(t=T(5), customer=C1, cart=K1, channel=APP, reason="left"),
        ],
    ),
    Case(
        "a reservation expires at its deadline",
        [*stocked(), *cart()],
        ExpireReservations(at=T(32), cart=K1),
        [
            ReservationExpired(
                t=T(32), location=ST, sku=TEE, channel=APP, qty=2, cart=K1, until=T(32)
            )
        ],
    ),
    Case(
        "a reservation cannot expire early",
        [*stocked(), *cart()],
        ExpireReservations(at=T(31), cart=K1),
        errors.NotYetExpired,
        {"cart": K1},
    ),
    Case(
        "checkout takes over the cart's reservation",
        [*stocked(2), *cart(2)],
        PlaceOrder(
            at=T(3),
            order=O1,
            cart=K1,
            legs=(Leg(location=ST, mode=CC, lines=(LegLine(sku=TEE, qty=2),)),),
        ),
        [
            CartCheckedOut(t=T(3), customer=C1, cart=K1, channel=APP, order=O1),
            ReservationReleased(
                t=T(3), location=ST, sku=TEE, channel=APP, qty=2, cart=K1, reason="checkout"
            ),
            OrderPlaced(t=T(3), customer=C1, channel=APP, cart=K1, order=O1, qty=2, amount=20.0),
            LineAllocated(t=T(3), order=O1, location=ST, sku=TEE, qty=2, amount=10.0, mode=CC),
            StockReserved(t=T(3), location=ST, sku=TEE, channel=APP, qty=2, order=O1),
        ],
    ),
    Case(
        "order legs must cover the cart exactly",
        [*stocked(), *cart(2)],
        PlaceOrder(
            at=T(3),
            order=O1,
            cart=K1,
            legs=(Leg(location=ST, mode=CC, lines=(LegLine(sku=TEE, qty=1),)),),
        ),
        errors.OrderMismatch,
        {"order": O1, "cart": K1},
    ),
    Case(
        "a payment must match the amount due",
        [*stocked(), *cart(), *order(HOME, paid=False)],
        CapturePayment(at=T(4), order=O1, amount=19.0),
        errors.OrderMismatch,
        {"amount": 19.0, "due": 20.0},
    ),
    Case(
        "a payment of the amount due is captured",
        [*stocked(), *cart(), *order(HOME, paid=False)],
        CapturePayment(at=T(4), order=O1, amount=20.0),
        [PaymentCaptured(t=T(4), order=O1, amount=20.0)],
    ),
    Case(
        "a shipped leg is delivered",
        [*stocked(), *cart(), *order(HOME), ShipLeg(at=T(5), order=O1, location=ST)],
        DeliverLeg(at=T(50), order=O1, location=ST),
        [LegDelivered(t=T(50), order=O1, location=ST, mode=HOME)],
    ),
    Case(
        "goods do not leave for an unpaid order",
        [*stocked(), *cart(), *order(HOME, paid=False)],
        ShipLeg(at=T(5), order=O1, location=ST),
        errors.PaymentRequired,
        {"order": O1, "paid": 0.0, "amount": 20.0},
    ),
    Case(
        "shipping issues the stock",
        [*stocked(), *cart(), *order(HOME)],
        ShipLeg(at=T(5), order=O1, location=ST),
        [
            StockIssued(t=T(5), location=ST, sku=TEE, channel=APP, qty=2, order=O1, mode=HOME),
            LegShipped(t=T(5), order=O1, location=ST, mode=HOME),
        ],
    ),
    Case(
        "a carry-out leg is handed over at the counter",
        [*stocked(), *cart(channel=STORE), *order(CARRY)],
        HandOverLeg(at=T(5), order=O1, location=ST),
        [
            StockIssued(t=T(5), location=ST, sku=TEE, channel=STORE, qty=2, order=O1, mode=CARRY),
            LegHandedOver(t=T(5), order=O1, location=ST, mode=CARRY),
        ],
    ),
    Case(
        "a click & collect leg cannot be shipped",
        [*stocked(), *cart(), *order(CC)],
        ShipLeg(at=T(5), order=O1, location=ST),
        errors.InvalidTransition,
        {"order": O1},
    ),
    Case(
        "a hold is placed for the customer",
        [*stocked(), *cart(), *order(CC)],
        PlaceHold(at=T(10), order=O1, location=ST, hold_minutes=60),
        [HoldPlaced(t=T(10), order=O1, location=ST, until=T(70))],
    ),
    Case(
        "a held leg is picked up before its deadline",
        [*stocked(), *cart(), *order(CC), *HELD],
        PickUpLeg(at=T(69), order=O1, location=ST),
        [
            StockIssued(t=T(69), location=ST, sku=TEE, channel=APP, qty=2, order=O1, mode=CC),
            LegPickedUp(t=T(69), order=O1, location=ST, mode=CC),
        ],
    ),
    Case(
        "a pickup at the deadline is too late",
        [*stocked(), *cart(), *order(CC), *HELD],
        PickUpLeg(at=T(70), order=O1, location=ST),
        errors.PickupTooLate,
        {"order": O1, "location": ST, "until": 70.0, "at": 70.0},
    ),
    Case(
        "an expired hold goes back on sale and is refunded",
        [*stocked(), *cart(), *order(CC), *HELD],
        ExpireHold(at=T(70), order=O1, location=ST),
        [
            HoldExpired(t=T(70), order=O1, location=ST),
            ReservationReleased(
                t=T(70), location=ST, sku=TEE, channel=APP, qty=2, order=O1, reason="hold_expired"
            ),
            RefundIssued(t=T(70), order=O1, amount=20.0, reason="hold_expired"),
        ],
    ),
    Case(
        "an expired hold cannot be picked up",
        [*stocked(), *cart(), *order(CC), *HELD, ExpireHold(at=T(70), order=O1, location=ST)],
        PickUpLeg(at=T(71), order=O1, location=ST),
        errors.PickupTooLate,
        {"order": O1, "until": 70.0},
    ),
    Case(
        "a hold cannot be expired early",
        [*stocked(), *cart(), *order(CC), *HELD],
        ExpireHold(at=T(69), order=O1, location=ST),
        errors.NotYetExpired,
        {"until": 70.0, "at": 69.0},
    ),
    Case(
        "cancelling releases the stock and refunds",
        [*stocked(), *cart(), *order(HOME)],
        CancelOrder(at=T(6), order=O1, reason="changed_mind"),
        [
            OrderCancelled(t=T(6), order=O1, reason="changed_mind"),
            ReservationReleased(
                t=T(6), location=ST, sku=TEE, channel=APP, qty=2, order=O1, reason="cancelled"
            ),
            RefundIssued(t=T(6), order=O1, amount=20.0, reason="cancelled"),
        ],
    ),
    Case(
        "a shipped order cannot be cancelled",
        [*stocked(), *cart(), *order(HOME), ShipLeg(at=T(5), order=O1, location=ST)],
        CancelOrder(at=T(6), order=O1),
        errors.InvalidTransition,
        {"order": O1, "locations": [ST]},
    ),
    Case(
        "a return by mail is restocked at the receiving location",
        [*stocked(), *cart(), *order(CC), *HELD, *PICKED],
        ReturnItems(at=T(99), order=O1, sku=TEE, qty=1, location=WH, return_mode=ReturnMode.MAIL),
        [
            ReturnReceived(
                t=T(99),
                customer=C1,
                order=O1,
                location=WH,
                sku=TEE,
                qty=1,
                amount=10.0,
                mode=ReturnMode.MAIL,
                reason="restocked",
            ),
            StockRestocked(t=T(99), location=WH, sku=TEE, qty=1, order=O1),
            RefundIssued(t=T(99), order=O1, amount=10.0, reason="return"),
        ],
    ),
    Case(
        "a damaged return is written off",
        [*stocked(), *cart(), *order(CC), *HELD, *PICKED],
        ReturnItems(
            at=T(99),
            order=O1,
            sku=TEE,
            qty=2,
            location=ST,
            return_mode=ReturnMode.STORE,
            restock=False,
        ),
        [
            ReturnReceived(
                t=T(99),
                customer=C1,
                order=O1,
                location=ST,
                sku=TEE,
                qty=2,
                amount=20.0,
                mode=ReturnMode.STORE,
                reason="written_off",
            ),
            RefundIssued(t=T(99), order=O1, amount=20.0, reason="return"),
        ],
    ),
    Case(
        "nobody returns more than they received",
        [
            *stocked(),
            *cart(),
            *order(CC),
            *HELD,
            *PICKED,
            ReturnItems(
                at=T(90), order=O1, sku=TEE, qty=1, location=ST, return_mode=ReturnMode.STORE
            ),
        ],
        ReturnItems(at=T(99), order=O1, sku=TEE, qty=2, location=ST, return_mode=ReturnMode.STORE),
        errors.ReturnExceedsPurchase,
        {"order": O1, "sku": TEE, "requested": 2, "received": 2, "returned": 1},
    ),
    Case(
        "nothing can be returned before it is received",
        [*stocked(), *cart(), *order(HOME), ShipLeg(at=T(5), order=O1, location=ST)],
        ReturnItems(at=T(9), order=O1, sku=TEE, qty=1, location=ST, return_mode=ReturnMode.STORE),
        errors.ReturnExceedsPurchase,
        {"requested": 1, "received": 0},
    ),
    Case(
        "a delivered leg is delivered once",
        [
            *stocked(),
            *cart(),
            *order(HOME),
            ShipLeg(at=T(5), order=O1, location=ST),
            DeliverLeg(at=T(50), order=O1, location=ST),
        ],
        DeliverLeg(at=T(51), order=O1, location=ST),
        errors.InvalidTransition,
        {"order": O1},
    ),
    Case(
        "write-offs only take unreserved stock",
        [*stocked(3), *cart(2)],
        WriteOffStock(at=T(5), location=ST, sku=TEE, qty=2, reason="damaged"),
        errors.InsufficientStock,
        {"requested": 2, "available": 1},
    ),
    Case(
        "a transfer sends unreserved units away",
        [*stocked(5), *cart(2)],
        TransferStock(at=T(5), location=ST, to=WH, sku=TEE, qty=3),
        [StockTransferredOut(t=T(5), location=ST, sku=TEE, qty=3, reason="to WH1")],
    ),
    Case(
        "a transfer never takes reserved units",
        [*stocked(5), *cart(2)],
        TransferStock(at=T(5), location=ST, to=WH, sku=TEE, qty=4),
        errors.InsufficientStock,
        {"requested": 4, "available": 3},
    ),
    Case(
        "a write-off takes units off hand",
        [*stocked(3)],
        WriteOffStock(at=T(5), location=ST, sku=TEE, qty=2, reason="damaged"),
        [StockWrittenOff(t=T(5), location=ST, sku=TEE, qty=2, reason="damaged")],
    ),
    Case(
        "an unknown cart",
        [],
        AddToCart(at=T(2), cart=CartId(9), sku=TEE, qty=1, unit_price=1.0),
        errors.UnknownAggregate,
        {"cart": 9},
    ),
    Case(
        "a cart id is used once",
        cart(reserve=None),
        OpenCart(at=T(3), customer=C1, cart=K1, channel=WEB),
        errors.DuplicateAggregate,
        {"cart": K1},
    ),
    Case(
        "a checked-out cart is closed",
        [*stocked(), *cart(), *order(HOME)],
        AddToCart(at=T(9), cart=K1, sku=TEE, qty=1, unit_price=10.0),
        errors.InvalidTransition,
        {"cart": K1},
    ),
    Case(
        "a backorder waits without reserving anything",
        [],
        BACKORDER[0],
        [
            BackorderPlaced(t=T(1), customer=C1, channel=STORE, order=O1, location=ST, sku=TEE,
                            qty=2, amount=20.0, mode=HOME),
        ],
    ),
    Case(
        "a backorder is filled whole from arrived stock",
        [*BACKORDER, *stocked(3)],
        FillBackorder(at=T(5), order=O1),
        [
            StockReserved(t=T(5), location=ST, sku=TEE, channel=STORE, qty=2, order=O1),
            BackorderFilled(t=T(5), order=O1, location=ST, sku=TEE, qty=2),
            StockIssued(t=T(5), location=ST, sku=TEE, channel=STORE, qty=2, order=O1, mode=HOME),
        ],
    ),
    Case(
        "a backorder is not filled from stock that is not there",
        [*BACKORDER, *stocked(1)],
        FillBackorder(at=T(5), order=O1),
        errors.InsufficientStock,
        {"location": ST, "sku": TEE, "requested": 2, "available": 1},
    ),
    Case(
        "a backorder is filled once",
        [*BACKORDER, *stocked(5), FillBackorder(at=T(5), order=O1)],
        FillBackorder(at=T(6), order=O1),
        errors.InvalidTransition,
        {"order": O1},
    ),
    Case(
        "a backorder takes an order id once",
        [*stocked(), *cart(), *order(HOME)],
        BACKORDER[0],
        errors.DuplicateAggregate,
        {"order": O1},
    ),
]  # fmt: skip
