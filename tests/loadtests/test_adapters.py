"""Adapters: the reference API's built-in adapter and its TOML description agree; mapping
files are checked; ids the target gives are used by later steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.adapters import MappingAdapter, ReferenceAdapter, load_adapter
from loadtests.adapters.base import Answer, Ids, JourneyState, ReplayRefused, Request, check_stock
from loadtests.journeys import Step, journeys
from simulation.demo import run_demo
from simulation.errors import InputError

REFERENCE_TOML = Path(__file__).resolve().parents[2] / "loadtests" / "adapters" / "reference.toml"


def test_the_reference_mapping_file_sends_what_the_reference_adapter_sends() -> None:
    built_in, mapped = ReferenceAdapter("t0k"), MappingAdapter.load(REFERENCE_TOML, "t0k")
    steps = [s for j in journeys(run_demo().command_table()) for s in j.steps]
    assert len({s.kind for s in steps}) >= 15
    for step in steps:
        a, b = built_in.request(step, Ids()), mapped.request(step, JourneyState(1))
        assert a is not None
        assert b is not None
        assert (a.method, a.path, a.json) == (b.method, b.path, b.json), step
        assert a.headers.get("X-Sim-Time") == b.headers.get("X-Sim-Time")
        if a.method == "POST":
            assert a.headers["Authorization"] == b.headers["Authorization"] == "Bearer t0k"


def test_no_token_means_no_authorization_header() -> None:
    mapped = MappingAdapter.load(REFERENCE_TOML)
    request = mapped.request(Step("pay", 3.0, {"order": 4, "amount": 9.5}), JourneyState())
    assert request is not None
    assert "Authorization" not in request.headers


def test_ids_the_target_gives_are_used_by_later_steps(tmp_path: Path) -> None:
    path = tmp_path / "shop.toml"
    path.write_text(
        "version = 2\n"
        '[steps.open_cart]\npath = "/basket"\nbody = { who = "cust-${customer}" }\n'
        'capture = { basket = { path = "data.id", id = "cart" } }\n'
        '[steps.add_to_cart]\npath = "/basket/${basket}/lines"\n'
        'body = { sku = "${sku}", n = "${qty}", where = "${reserve_at?}" }\n'
        '[prepare.check]\npath = "/stock/${sku}"\n'
    )
    shop, ids = MappingAdapter.load(path), JourneyState(5)
    opened = Step("open_cart", 0.0, {"customer": 5, "cart": 1, "channel": "web"})
    sent: list[Request] = []

    def target(request: Request) -> Answer:
        sent.append(request)
        return Answer(201, {"data": {"id": "b-77"}})

    assert shop.perform(opened, ids, target)[1].result == "ok"
    assert sent[0].json == {"who": "cust-5"}
    assert ids.of("cart", 1) == "b-77"  # the reconciliation maps the target's id back
    add = Step("add_to_cart", 1.0, {"cart": 1, "sku": "A", "qty": 2})
    shop.perform(add, ids, target)
    assert (sent[1].path, sent[1].json) == ("/basket/b-77/lines", {"sku": "A", "n": 2})
    answer, skipped = shop.perform(Step("pay", 2.0, {"order": 1, "amount": 1.0}), ids, target)
    assert answer is None
    assert (skipped.result, skipped.detail) == ("skipped", "not in the mapping")


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ('version = 2\n[steps.teleport]\npath = "/x"\n', "steps.teleport", 2),
        ('version = 2\n[steps.pay]\nmethod = "FETCH"\npath = "/x"\n', "steps.pay.method", 3),
        ('version = 2\n\n[steps.pay]\nbody = { a = "1" }\n', "steps.pay", 3),
        ('version = 2\n[steps.pay]\npath = "no-slash"\n', "steps.pay.path", 3),
        ('version = 2\ncolour = "blue"\n[steps.pay]\npath = "/x"\n', "colour", 2),
        ('version = 2\n[steps.pay]\npath = "/o/${ordre}"\n', "steps.pay.path", 3),
    ],
)
def test_a_bad_mapping_file_names_the_file_its_line_and_the_field(
    tmp_path: Path, text: str, field: str, line: int
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_adapter(str(path))
    assert str(error.value).startswith(f"{path}:{line}: {field}: expected"), str(error.value)


def test_a_file_that_is_not_toml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[steps.pay\n")
    with pytest.raises(InputError, match="valid TOML"):
        load_adapter(str(path))


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


def test_an_adapter_that_says_only_its_outcome_is_classified_by_it() -> None:
    class Lenient(ReferenceAdapter):
        def outcome(self, answer: Answer) -> str:
            return "ok" if answer.status < 500 else "error"

    class Stricter(Lenient):
        pass

    assert ReferenceAdapter().classify(Step("pay", 0.0), Answer(409)).result == "refused"
    assert Lenient().classify(Step("pay", 0.0), Answer(409)).result == "ok"
    assert Stricter().classify(Step("pay", 0.0), Answer(409)).result == "ok"
    assert ReferenceAdapter().classify(Step("pay", 0.0), Answer(401)).result == "error"
