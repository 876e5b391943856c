"""Malformed commands are refused on construction, naming the field and what was expected."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.domain import MalformedCommand
from simulation.domain.commands import (
    _CHECKS,
    AddToCart,
    CapturePayment,
    Command,
    Leg,
    LegLine,
    OpenCart,
    PlaceOrder,
    ReceiveStock,
    ReturnItems,
    command,
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


@command
class _EveryRule(Command):
    """A command with every field name that has a rule, all optional."""

    at: float | None = None
    customer: int | None = None
    cart: int | None = None
    order: int | None = None
    location: str | None = None
    sku: str | None = None
    reason: str | None = None
    to: str | None = None
    channel: Channel | None = None
    mode: FulfilmentMode | None = None
    return_mode: ReturnMode | None = None
    qty: int | None = None
    unit_price: float | None = None
    level: int | None = None
    amount: float | None = None
    hold_minutes: float | None = None
    ttl: float | None = None


_VALUES = st.one_of(
    st.integers(-3, 3),
    st.integers(),
    st.floats(),  # nan and the infinities included
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from([*Channel, *FulfilmentMode, *ReturnMode]),
    st.integers(-2, 2).map(np.int64),
    st.floats(-2, 2).map(np.float64),
    st.just(None),
)


def _decisions(name: str, value: object) -> tuple[str | None, str | None]:
    """What the field's rule says of ``value``, and what building a command with it says."""
    try:
        if value is not None:
            _CHECKS[name](_EveryRule(), name, value)
        expected = None
    except MalformedCommand as e:
        expected = str(e)
    try:
        _EveryRule(**{name: value})
        got = None
    except MalformedCommand as e:
        got = str(e)
    return expected, got


_EDGES = [
    None, -1, 0, 1, 2, -1.0, -0.0, 0.0, 0.5, 1.0, 1.5, float("nan"), float("inf"),
    float("-inf"), True, False, "", "S01", np.int64(1), np.int64(-1), np.float64(1.0),
    Channel.WEB, FulfilmentMode.HOME_DELIVERY, ReturnMode.MAIL,
]  # fmt: skip


def test_the_generated_checks_decide_as_the_rules_on_the_edges() -> None:
    """Each command's checks are one generated function with a quick test per field in front
    of the field's rule; on every edge value, it accepts and refuses what the rule does."""
    assert set(_CHECKS) == set(_EveryRule.__dataclass_fields__)
    for name in sorted(_CHECKS):
        for value in _EDGES:
            expected, got = _decisions(name, value)
            assert got == expected, (name, value)


@given(name=st.sampled_from(sorted(_CHECKS)), value=_VALUES)
def test_the_generated_checks_decide_as_the_rules(name: str, value: object) -> None:
    expected, got = _decisions(name, value)
    assert got == expected
