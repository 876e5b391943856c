"""Quick frozen records (simulation/domain/records.py) behave as the dataclasses they replace."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from simulation.domain import Backend
from simulation.domain.carts import CartState
from simulation.domain.commands import AddToCart, Leg, LegLine, OpenCart, PlaceOrder, ReceiveStock
from simulation.domain.errors import MalformedCommand
from simulation.domain.events import EVENT_TYPES, StockReserved
from simulation.domain.records import fast, record, replace, replacer, shared_lines
from simulation.domain.stock import StockLevel
from simulation.types import Channel, FulfilmentMode


@record
class Line:
    sku: str
    qty: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)


@record
class Priced:
    sku: str
    qty: int
    unit_price: float


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


def test_shared_lines_hands_out_one_tuple_per_line_and_keeps_the_given_types() -> None:
    one = shared_lines(Priced, limit=3)
    first = one("sku-1", 2, 9.0)
    assert first == (Priced(sku="sku-1", qty=2, unit_price=9.0),)
    assert one("sku-1", 2, 9.0) is first
    assert one("sku-1", 3, 9.0) != first
    assert one("sku-2", 2, 9.0) == (Priced(sku="sku-2", qty=2, unit_price=9.0),)
    # 9 == 9.0 and True == 1: such lines are equal to a shared one, but keep their own types
    as_int = one("sku-1", 2, 9)
    assert as_int == first
    assert type(as_int[0].unit_price) is int
    as_bool = one("sku-1", True, 9.0)
    assert as_bool[0].qty is True
    assert one("sku-1", 2, 9.0) is first  # neither replaced the shared line
    # the table holds `limit` lines, then starts again (a server's stays bounded)
    one("sku-3", 1, 1.0)
    again = one("sku-1", 2, 9.0)
    assert again == first
    assert again is not first


def test_carts_and_orders_of_one_line_share_it() -> None:
    backend = Backend()
    backend.handle(ReceiveStock(at=0.0, location="w", sku="a", qty=10))
    for cart in (1, 2):
        backend.handle(OpenCart(at=0.0, customer=cart, cart=cart, channel=Channel.WEB))
        backend.handle(AddToCart(at=0.0, cart=cart, sku="a", qty=1, unit_price=5.0))
    one, two = backend.cart(1), backend.cart(2)
    assert one is not None
    assert two is not None
    assert one.lines is two.lines
    for order, cart in ((10, 1), (20, 2)):
        leg = Leg(location="w", mode=FulfilmentMode.HOME_DELIVERY, lines=(LegLine(sku="a", qty=1),))
        backend.handle(PlaceOrder(at=1.0, order=order, cart=cart, legs=(leg,)))
    first, second = backend.order(10), backend.order(20)
    assert first is not None
    assert second is not None
    assert first.legs[0].lines is second.legs[0].lines
    assert first.legs[0].lines[0].unit_price == 5.0
