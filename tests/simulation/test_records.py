"""Quick frozen records (simulation/domain/records.py) behave as the dataclasses they replace."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from simulation.domain.carts import CartState
from simulation.domain.commands import AddToCart
from simulation.domain.errors import MalformedCommand
from simulation.domain.events import EVENT_TYPES, StockReserved
from simulation.domain.records import fast, record, replace, replacer
from simulation.domain.stock import StockLevel
from simulation.types import Channel


@record
class Line:
    sku: str
    qty: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float = 0.0
    _: dataclasses.KW_ONLY
    label: str = "p"


fast(Point)


@record
class Checked:
    qty: int

    def __post_init__(self) -> None:
        if self.qty < 0:
            raise ValueError("qty")


def _plain_signature(cls: type) -> inspect.Signature:
    """The signature ``dataclasses`` itself writes for a twin of ``cls``."""
    fields = dataclasses.fields(cls)
    twin = dataclasses.make_dataclass(
        "Twin",
        [(f.name, f.type, f) for f in fields],
        frozen=True,
        slots=True,
    )
    return inspect.signature(twin)


@pytest.mark.parametrize("cls", [Line, Point, *EVENT_TYPES.values()], ids=lambda c: c.__name__)
def test_the_quick_init_has_the_dataclass_signature(cls: type) -> None:
    assert str(inspect.signature(cls)) == str(_plain_signature(cls))


def test_fields_defaults_and_factories_are_set() -> None:
    a, b = Line(sku="TEE"), Line(sku="CAP", qty=3, tags=["x"])
    assert (a.sku, a.qty, a.tags, b.sku, b.qty, b.tags) == ("TEE", 1, [], "CAP", 3, ["x"])
    assert Line(sku="A").tags is not Line(sku="A").tags  # a fresh list each time
    assert Point(1.0) == Point(x=1.0, y=0.0, label="p")
    with pytest.raises(TypeError):
        Point(1.0, 2.0, "q")  # type: ignore[misc]  # label is keyword-only
    with pytest.raises(TypeError):
        Line()  # type: ignore[call-arg]


def test_records_stay_frozen_comparable_hashable_and_picklable() -> None:
    e = StockReserved(t=1.0, location="S01", sku="TEE", channel=Channel.WEB, qty=2, cart=7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.qty = 3  # type: ignore[misc]
    assert e == StockReserved(t=1.0, location="S01", sku="TEE", channel=Channel.WEB, qty=2, cart=7)
    assert hash(e) == hash(pickle.loads(pickle.dumps(e)))
    assert pickle.loads(pickle.dumps(e)) == e
    assert repr(e).startswith("StockReserved(t=1.0, location='S01'")


def test_post_init_runs_on_construction_and_on_replace() -> None:
    with pytest.raises(ValueError, match="qty"):
        Checked(qty=-1)
    with pytest.raises(ValueError, match="qty"):
        replace(Checked(qty=1), qty=-1)
    with pytest.raises(MalformedCommand, match=r"AddToCart\.qty"):
        AddToCart(at=0.0, cart=1, sku="TEE", qty=0, unit_price=1.0)


@pytest.mark.parametrize(
    ("obj", "changes"),
    [
        (StockLevel(on_hand=3, reserved=(1,) * 8), {"on_hand": 5}),
        (StockLevel(), {"fences": (2,) * 8, "safety": 1}),
        (CartState(customer=1, channel=Channel.APP), {"channel": Channel.WEB}),
        (Line(sku="TEE", tags=["a"]), {}),
        (Point(1.0, label="q"), {"y": 4.0}),
    ],
)
def test_replace_equals_dataclasses_replace(obj: Any, changes: dict[str, Any]) -> None:
    ours = replace(obj, **changes)
    assert ours == dataclasses.replace(obj, **changes)
    assert type(ours) is type(obj)
    assert ours is not obj


def test_replace_refuses_an_unknown_field_and_falls_back_for_other_dataclasses() -> None:
    with pytest.raises(TypeError, match=r"StockLevel has no fields \['on_hnad'\]"):
        replace(StockLevel(), on_hnad=1)

    @dataclasses.dataclass
    class Plain:
        a: int

    assert replace(Plain(1), a=2) == Plain(2)


def test_replacer_is_replace_for_its_class() -> None:
    level = StockLevel(on_hand=3, reserved=(1,) * 8)
    copy = replacer(StockLevel)(level, on_hand=5, safety=2)
    assert copy == replace(level, on_hand=5, safety=2)
    assert replacer(Point)(Point(1.0, label="q"), y=4.0) == Point(1.0, 4.0, label="q")
    with pytest.raises(TypeError, match=r"StockLevel has no fields \['on_hnad'\]"):
        replacer(StockLevel)(level, on_hnad=1)

    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int

    with pytest.raises(TypeError, match="Plain: replacer"):
        replacer(Plain)


def test_fast_refuses_classes_it_cannot_speed_up() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Mutable, Unslotted, Derived):
        with pytest.raises(TypeError, match=cls.__name__):
            fast(cls)
