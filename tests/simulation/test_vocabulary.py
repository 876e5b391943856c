"""The command vocabulary: a row per kind, payloads that round-trip, errors naming the field."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given

from simulation.domain import commands as command_module
from simulation.domain.commands import AddToCart, Command, PlaceBackorder, ReturnItems
from simulation.domain.errors import MalformedCommand
from simulation.domain.events import StockChecked
from simulation.domain.vocabulary import BY_COMMAND, BY_NAME, BY_RECORD, KINDS, READS, WRITES
from simulation.types import Channel, CustomerId, LocationId, SimTime, SkuId
from tests import strategies as S


def test_every_command_class_has_exactly_one_kind() -> None:
    classes = {
        c
        for _, c in inspect.getmembers(command_module, inspect.isclass)
        if issubclass(c, Command) and c is not Command
    }
    assert classes == set(BY_COMMAND)
    assert len({k.name for k in KINDS}) == len(KINDS)
    assert len(BY_RECORD) == len(KINDS)


def test_roles_and_names() -> None:
    assert {"browse", "check_stock"} == READS
    assert "checkout" in WRITES
    assert "pay" in WRITES
    assert BY_NAME["checkout"].command is not None
    assert BY_NAME["browse"].command is None
    assert BY_NAME["browse"].sent
    assert not BY_NAME["arrive"].sent
    assert BY_NAME["return"].fields == (
        "order", "sku", "qty", "location", "return_mode", "restock",
    )  # fmt: skip


@given(S.commands(at=12.5))
def test_a_payload_builds_the_same_command_back(command: Command) -> None:
    kind = BY_COMMAND[type(command)]
    assert kind.command_from(12.5, kind.payload_of(command)) == command


def test_a_backorder_payload_is_json() -> None:
    command = PlaceBackorder(
        at=SimTime(1.0), customer=CustomerId(3), channel=Channel.APP, order=9,  # type: ignore[arg-type]
        location=LocationId("S01"), sku=SkuId("TEE"), qty=2, unit_price=19.9,
    )  # fmt: skip
    payload = BY_COMMAND[PlaceBackorder].payload_of(command)
    assert payload == {
        "customer": 3, "channel": "app", "order": 9, "location": "S01", "sku": "TEE",
        "qty": 2, "unit_price": 19.9, "mode": "home_delivery",
    }  # fmt: skip


def test_a_read_payload_comes_from_its_event() -> None:
    seen = StockChecked(
        t=SimTime(5.0), customer=CustomerId(1), channel=Channel.STORE,
        location=LocationId("S01"), sku=SkuId("TEE"), qty=4,
    )  # fmt: skip
    assert BY_RECORD[StockChecked].payload_of(seen) == {
        "customer": 1, "channel": "store", "location": "S01", "sku": "TEE", "qty": 4,
    }  # fmt: skip


ITEM = {"cart": 1, "sku": "TEE", "qty": 1, "unit_price": 2.0}


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("add_to_cart", ITEM | {"qty": "1"}, "add_to_cart.qty"),
        ("add_to_cart", ITEM | {"qty": True}, "add_to_cart.qty"),
        ("add_to_cart", ITEM | {"unit_price": "2"}, "add_to_cart.unit_price"),
        ("add_to_cart", {k: v for k, v in ITEM.items() if k != "qty"}, "add_to_cart.qty"),
        ("add_to_cart", ITEM | {"x": 1}, "add_to_cart.x"),
        ("move_cart", {"cart": 1, "channel": "fax"}, "move_cart.channel"),
        ("return", {"order": 1, "sku": "T", "qty": 1, "location": "S", "return_mode": "mail",
                    "restock": "yes"}, "return.restock"),
        ("checkout", {"order": 1, "cart": 1, "legs": [{"location": "S01"}]}, "checkout.legs[0]"),
        ("checkout", {"order": 1, "cart": 1, "legs": [
            {"location": "S01", "mode": "home_delivery", "lines": [{"sku": "T", "qty": 0.5}]}
        ]}, "checkout.legs[0].lines[0].qty"),
        ("browse", {}, "browse"),
    ],
)  # fmt: skip
def test_a_bad_payload_names_its_field(kind: str, payload: dict[str, object], field: str) -> None:
    with pytest.raises(MalformedCommand) as error:
        BY_NAME[kind].command_from(0.0, payload)
    assert error.value.field == field


def test_the_command_keeps_its_own_checks() -> None:
    with pytest.raises(MalformedCommand, match=r"AddToCart\.qty"):
        BY_COMMAND[AddToCart].command_from(
            0.0, {"cart": 1, "sku": "T", "qty": -1, "unit_price": 1.0}
        )
    made = BY_COMMAND[ReturnItems].command_from(
        3.0, {"order": 1, "sku": "T", "qty": 1, "location": "S", "return_mode": "mail"}
    )
    assert isinstance(made, ReturnItems)
    assert made.restock is True
