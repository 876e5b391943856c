"""Malformed commands are refused on construction, naming the field and what was expected."""

from __future__ import annotations

from typing import Any

import pytest

from simulation.domain import MalformedCommand
from simulation.domain.commands import (
    AddToCart,
    CapturePayment,
    Leg,
    LegLine,
    OpenCart,
    PlaceOrder,
    ReceiveStock,
    ReturnItems,
)
from simulation.errors import InputError
from simulation.types import Channel, FulfilmentMode, ReturnMode

OK: dict[type, dict[str, Any]] = {
    ReceiveStock: {"at": 0.0, "location": "S01", "sku": "TEE", "qty": 1},
    AddToCart: {"at": 0.0, "cart": 1, "sku": "TEE", "qty": 1, "unit_price": 9.5},
    OpenCart: {"at": 0.0, "customer": 1, "cart": 1, "channel": Channel.APP},
    CapturePayment: {"at": 0.0, "order": 1, "amount": 10.0},
    ReturnItems: {
        "at": 0.0, "order": 1, "sku": "TEE", "qty": 1, "location": "S01",
        "return_mode": ReturnMode.MAIL,
    },
}  # fmt: skip

BAD = [
    (ReceiveStock, "qty", 0, "a positive number"),
    (ReceiveStock, "qty", 1.5, "a whole number of units"),
    (ReceiveStock, "qty", True, "a finite number"),
    (ReceiveStock, "location", "", "a non-empty string"),
    (ReceiveStock, "sku", 7, "a non-empty string"),
    (ReceiveStock, "at", float("nan"), "a finite number"),
    (AddToCart, "unit_price", -1.0, "a positive number"),
    (AddToCart, "cart", -3, "an integer id >= 0"),
    (AddToCart, "reserve_at", "", "a location id"),
    (AddToCart, "ttl", -5.0, "a number >= 0"),
    (OpenCart, "channel", "tiktok", "a Channel"),
    (OpenCart, "customer", "1", "an integer id >= 0"),
    (CapturePayment, "amount", float("inf"), "a finite number"),
    (ReturnItems, "return_mode", "post", "a ReturnMode"),
    (ReturnItems, "restock", "yes", "true or false"),
]


@pytest.mark.parametrize("ok", OK.items(), ids=[c.__name__ for c in OK])
def test_well_formed_commands_construct(ok: tuple[type, dict[str, Any]]) -> None:
    cls, fields = ok
    assert cls(**fields) == cls(**fields)


@pytest.mark.parametrize(
    ("cls", "name", "value", "expected"), BAD, ids=[f"{c.__name__}.{n}={v!r}" for c, n, v, _ in BAD]
)
def test_malformed_field_is_named(cls: type, name: str, value: object, expected: str) -> None:
    with pytest.raises(MalformedCommand) as raised:
        cls(**{**OK[cls], name: value})
    error = raised.value
    assert isinstance(error, InputError)
    assert error.field == f"{cls.__name__}.{name}"
    assert error.expected == expected
    assert f"{cls.__name__}.{name}: expected {expected}, got {value!r}" in str(error)


def _leg(location: str, *lines: tuple[str, int]) -> Leg:
    return Leg(
        location=location,  # type: ignore[arg-type]
        mode=FulfilmentMode.HOME_DELIVERY,
        lines=tuple(LegLine(sku=s, qty=q) for s, q in lines),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("legs", "field"),
    [
        ((), "PlaceOrder.legs"),
        ((_leg("WH1", ("TEE", 1)), _leg("WH1", ("JEANS", 1))), "PlaceOrder.legs[1].location"),
        ((_leg("WH1"),), "PlaceOrder.legs[0].lines"),
        ((_leg("WH1", ("TEE", 0)),), "PlaceOrder.legs[0].lines[0].qty"),
    ],
)
def test_malformed_legs_are_named(legs: tuple[Leg, ...], field: str) -> None:
    with pytest.raises(MalformedCommand) as raised:
        PlaceOrder(at=0.0, order=1, cart=1, legs=legs)  # type: ignore[arg-type]
    assert raised.value.field == field
