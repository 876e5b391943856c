"""Hypothesis strategies shared by the tests: ids, quantities, and random command sequences."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

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

LOCATIONS = (LocationId("WH1"), LocationId("S01"), LocationId("S02"))
SKUS = (SkuId("TEE"), SkuId("JEANS"))
PRICES = {SkuId("TEE"): 19.9, SkuId("JEANS"): 59.0}

locations = st.sampled_from(LOCATIONS)
skus = st.sampled_from(SKUS)
channels = st.sampled_from(tuple(Channel))
modes = st.sampled_from(tuple(FulfilmentMode))
return_modes = st.sampled_from(tuple(ReturnMode))
units = st.integers(min_value=1, max_value=6)
levels = st.integers(min_value=0, max_value=6)
ids = st.integers(min_value=1, max_value=4)
minutes = st.floats(min_value=0.0, max_value=120.0, allow_nan=False, allow_infinity=False)


def legs(
    lines: dict[SkuId, int],
    where: st.DataObject,
    prefer: Callable[[SkuId, int], list[LocationId]] | None = None,
) -> tuple[Leg, ...]:
    """Split cart lines over locations: one leg per location, each with one mode.

    ``prefer(sku, qty)`` lists the locations that could serve a line; one of them is drawn
    when there is any, so that a good share of the orders drawn can be placed.
    """
    by_location: dict[LocationId, list[LegLine]] = {}
    for sku, qty in lines.items():
        good = prefer(sku, qty) if prefer is not None else []
        location = where.draw(st.sampled_from(good) if good else locations)
        by_location.setdefault(location, []).append(LegLine(sku=sku, qty=qty))
    return tuple(
        Leg(location=loc, mode=where.draw(modes), lines=tuple(found))
        for loc, found in by_location.items()
    )


def commands(at: float = 0.0) -> st.SearchStrategy[Command]:
    """Any well-formed command over a small world of ids: most of them break some rule."""
    t = st.just(SimTime(at))
    carts, orders = ids.map(CartId), ids.map(OrderId)
    where = {"location": locations, "sku": skus}
    leg = st.builds(
        Leg,
        location=locations,
        mode=modes,
        lines=st.tuples(st.builds(LegLine, sku=skus, qty=units)),
    )
    return st.one_of(
        st.builds(ReceiveStock, at=t, qty=units, **where),
        st.builds(SetSafetyStock, at=t, level=levels, **where),
        st.builds(FenceStock, at=t, channel=channels, level=levels, **where),
        st.builds(WriteOffStock, at=t, qty=units, reason=st.just("damaged"), **where),
        st.builds(TransferStock, at=t, qty=units, to=locations, **where),
        st.builds(OpenCart, at=t, customer=ids.map(CustomerId), cart=carts, channel=channels),
        st.builds(
            AddToCart, at=t, cart=carts, sku=skus, qty=units,
            unit_price=st.sampled_from([19.9, 59.0]), reserve_at=st.none() | locations, ttl=minutes,
        ),
        st.builds(RemoveFromCart, at=t, cart=carts, sku=skus, qty=units),
        st.builds(MoveCart, at=t, cart=carts, channel=channels),
        st.builds(AbandonCart, at=t, cart=carts),
        st.builds(ExpireReservations, at=t, cart=carts),
        st.builds(PlaceOrder, at=t, order=orders, cart=carts, legs=st.tuples(leg)),
        st.builds(CapturePayment, at=t, order=orders, amount=st.sampled_from([19.9, 59.0, 39.8])),
        *(
            st.builds(kind, at=t, order=orders, location=locations)
            for kind in (ShipLeg, DeliverLeg, HandOverLeg, PickUpLeg, ExpireHold)
        ),
        st.builds(PlaceHold, at=t, order=orders, location=locations, hold_minutes=minutes),
        st.builds(CancelOrder, at=t, order=orders),
        st.builds(
            ReturnItems, at=t, order=orders, sku=skus, qty=units, location=locations,
            return_mode=return_modes, restock=st.booleans(),
        ),
    )  # fmt: skip
