"""Adapters: the reference API's built-in adapter and its TOML description agree; mapping
files are checked; ids the target gives are used by later steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.adapters import MappingAdapter, ReferenceAdapter, load_adapter
from loadtests.adapters.base import Answer, Ids, ReplayRefused, check_stock
from loadtests.journeys import Step, journeys
from simulation.demo import run_demo
from simulation.errors import InputError

REFERENCE_TOML = Path(__file__).resolve().parents[2] / "loadtests" / "adapters" / "reference.toml"


def test_the_reference_mapping_file_sends_what_the_reference_adapter_sends() -> None:
    built_in, mapped = ReferenceAdapter("t0k"), MappingAdapter.load(REFERENCE_TOML, "t0k")
    steps = [s for j in journeys(run_demo().commands.to_table()) for s in j.steps]
    assert len({s.kind for s in steps}) >= 15
    for step in steps:
        a, b = built_in.request(step, Ids()), mapped.request(step, Ids())
        assert a is not None
        assert b is not None
        assert (a.method, a.path, a.json) == (b.method, b.path, b.json), step
        assert a.headers.get("X-Sim-Time") == b.headers.get("X-Sim-Time")
        if a.method == "POST":
            assert a.headers["Authorization"] == b.headers["Authorization"] == "Bearer t0k"


def test_no_token_means_no_authorization_header() -> None:
    mapped = MappingAdapter.load(REFERENCE_TOML)
    request = mapped.request(Step("pay", 3.0, {"order": 4, "amount": 9.5}), Ids())
    assert request is not None
    assert "Authorization" not in request.headers


def test_ids_the_target_gives_are_used_by_later_steps(tmp_path: Path) -> None:
    path = tmp_path / "shop.toml"
    path.write_text(
        '[steps.open_cart]\npath = "/basket"\nbody = { who = "cust-{customer}" }\n'
        'capture = { cart = "data.id" }\n'
        '[steps.add_to_cart]\npath = "/basket/{cart}/lines"\n'
        'body = { sku = "{sku}", n = "{qty}", where = "{reserve_at?}" }\n'
        '[stock_check]\npath = "/stock/{sku}"\n'
    )
    shop, ids = MappingAdapter.load(path), Ids()
    opened = Step("open_cart", 0.0, {"customer": 5, "cart": 1, "channel": "web"})
    request = shop.request(opened, ids)
    assert request is not None
    assert request.json == {"who": "cust-5"}
    shop.learn(opened, Answer(201, {"data": {"id": "b-77"}}), ids)
    add = shop.request(Step("add_to_cart", 1.0, {"cart": 1, "sku": "A", "qty": 2}), ids)
    assert add is not None
    assert (add.path, add.json) == ("/basket/b-77/lines", {"sku": "A", "n": 2})
    assert shop.request(Step("pay", 2.0, {"order": 1, "amount": 1.0}), ids) is None  # unmapped


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[steps.teleport]\npath = "/x"\n', "steps.teleport"),
        ('[steps.pay]\nmethod = "FETCH"\npath = "/x"\n', "steps.pay.method"),
        ('[steps.pay]\nbody = { a = "1" }\n', "steps.pay.path"),
        ('[steps.pay]\npath = "no-slash"\n', "steps.pay.path"),
        ('colour = "blue"\n[steps.pay]\npath = "/x"\n', "colour"),
        ("[steps.pay\n", "valid TOML"),
    ],
)
def test_a_bad_mapping_file_names_the_file_and_the_field(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_adapter(str(path))
    assert str(path) in str(error.value)
    assert field in str(error.value)


def test_an_adapter_class_is_loaded_by_name_and_checked() -> None:
    assert isinstance(
        load_adapter("loadtests.adapters.reference:ReferenceAdapter"), ReferenceAdapter
    )
    with pytest.raises(InputError, match=r"a subclass of loadtests\.adapters\.Adapter"):
        load_adapter("loadtests.adapters.base:Request")
    with pytest.raises(InputError, match=r"an importable package\.module:Class"):
        load_adapter("no.such.module:Thing")


def test_a_target_with_other_stock_is_refused_with_the_difference() -> None:
    with pytest.raises(ReplayRefused) as refused:
        check_stock({("S01", "A"): 3}, {("S01", "A"): 5, ("S02", "B"): 1})
    message = str(refused.value)
    assert "2 (location, sku)" in message
    assert "S01/A: expected 5, found 3" in message
    assert "S02/B: expected 1, found 0" in message
    check_stock({("S01", "A"): 5}, {("S01", "A"): 5})  # the same: no complaint
