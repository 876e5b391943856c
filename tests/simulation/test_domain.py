"""The given/when/then cases of ``tests/domain_cases.py``, run against the in-process backend."""

from __future__ import annotations

import copy

import pytest

from simulation.domain import Backend, DomainError
from simulation.domain.commands import Command
from tests.domain_cases import CASES, Case


def _given(commands: list[Command]) -> Backend:
    backend = Backend()
    for command in commands:
        backend.handle(command)
    return backend


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    backend = _given(case.given)
    before = copy.deepcopy(backend)
    if isinstance(case.then, list):
        assert backend.handle(case.when) == case.then
        return
    with pytest.raises(case.then) as raised:
        backend.handle(case.when)
    assert backend == before, "a refused command changed the state"
    for key, value in case.context.items():
        assert raised.value.context[key] == value, key


def test_every_rule_is_named_in_the_message() -> None:
    refused = [c for c in CASES if not isinstance(c.then, list)]
    assert len({c.then for c in refused}) >= 8
    for case in refused:
        with pytest.raises(DomainError) as raised:
            _given(case.given).handle(case.when)
        assert str(raised.value).startswith(f"[{raised.value.rule}] ")
        assert raised.value.rule != "domain"


def test_a_cart_started_in_the_app_is_finished_in_the_store() -> None:
    case = next(c for c in CASES if c.name == "a cart moves from the app to the store")
    backend = _given([*case.given, case.when])
    cart = backend.cart(case.when.cart)  # type: ignore[attr-defined]
    assert cart is not None
    assert cart.channel == "store"
    assert cart.customer == 1


def test_a_backorder_whose_total_overflows_is_malformed() -> None:
    """Found by schemathesis: qty x unit price beyond the largest float made an infinite
    amount that no JSON answer can carry."""
    from simulation.domain.backend import Backend
    from simulation.domain.commands import PlaceBackorder
    from simulation.domain.errors import MalformedCommand
    from simulation.types import Channel, CustomerId, LocationId, OrderId, SimTime, SkuId

    command = PlaceBackorder(
        at=SimTime(0), customer=CustomerId(1), channel=Channel.APP, order=OrderId(1),
        location=LocationId("S01"), sku=SkuId("TEE"), qty=10, unit_price=1e308,
    )  # fmt: skip
    with pytest.raises(MalformedCommand, match=r"PlaceBackorder\.unit_price"):
        Backend().handle(command)
