"""One table of routes: every write and read kind has one, the API's endpoints are made from
it, and a request rendered from it is one the API takes, field for field."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings

from loadtests.reference_api import routes as routes_module
from loadtests.reference_api.app import create_app
from loadtests.reference_api.bodies import body_model
from loadtests.reference_api.routes import ROUTES, Route
from simulation.domain.backend import Backend
from simulation.domain.commands import Command, ReturnItems, TransferStock, command
from simulation.domain.errors import DomainError
from simulation.domain.vocabulary import BY_COMMAND, BY_NAME, KINDS, Kind
from simulation.types import LocationId, OrderId, ReturnMode, SimTime, SkuId
from tests import strategies as S

TOKEN = "routes-token"
APP = create_app(token=TOKEN)


def test_every_kind_sent_to_a_target_has_a_route_and_an_endpoint() -> None:
    assert set(ROUTES) == {k.name for k in KINDS if k.sent}
    paths = APP.openapi()["paths"]
    for name, route in ROUTES.items():
        assert paths[route.path][route.method.lower()]["operationId"] == name


def test_a_route_naming_what_its_kind_does_not_carry_is_refused() -> None:
    with pytest.raises(TypeError, match=r"ROUTES\['pay'\]: \['cart'\] are not fields of pay"):
        routes_module._check({**ROUTES, "pay": Route("POST", "/carts/{cart}/payment")})
    with pytest.raises(TypeError, match="expected a route for each of"):
        routes_module._check({k: v for k, v in ROUTES.items() if k != "fence"})


def test_the_body_carries_the_commands_own_field_names() -> None:
    command = ReturnItems(
        at=SimTime(5.0), order=OrderId(7), sku=SkuId("TEE/2"), qty=1,
        location=LocationId("S01"), return_mode=ReturnMode.MAIL,
    )  # fmt: skip
    kind = BY_COMMAND[ReturnItems]
    request = ROUTES["return"].render(kind, kind.payload_of(command))
    assert (request.method, request.url) == ("POST", "/orders/7/returns")
    assert request.body == {
        "sku": "TEE/2", "qty": 1, "location": "S01", "return_mode": "mail", "restock": True,
    }  # fmt: skip
    removal = ROUTES["remove_from_cart"].render(
        BY_NAME["remove_from_cart"], {"cart": 3, "sku": "TEE/2", "qty": 1}
    )
    assert removal.url == "/carts/3/items/TEE%2F2/remove"  # a path value is quoted
    assert removal.body == {"qty": 1}
    stock = ROUTES["check_stock"].render(
        BY_NAME["check_stock"],
        {"customer": 1, "channel": "app", "location": "S01", "sku": "TEE", "qty": 2},
    )
    assert (stock.method, stock.url, stock.body) == ("GET", "/stock/S01/TEE?channel=app", None)
    ship = ROUTES["ship"].render(BY_NAME["ship"], {"order": 4, "location": "W01"})
    assert (ship.url, ship.body) == ("/orders/4/legs/W01/ship", None)


def test_the_documented_body_of_a_write_is_its_commands_fields_but_the_url_ones() -> None:
    schemas = APP.openapi()["components"]["schemas"]
    for kind in KINDS:
        if kind.role != "write":
            continue
        body = ROUTES[kind.name].body_fields(kind)
        name = f"{kind.record.__name__}Body"
        if not body:
            assert name not in schemas
            continue
        assert tuple(schemas[name]["properties"]) == body, kind.name
        assert schemas[name]["additionalProperties"] is False
        fields = dataclasses.fields(kind.record)  # type: ignore[arg-type]
        required = {f.name for f in fields if f.default is dataclasses.MISSING}
        assert set(schemas[name].get("required", ())) == required & set(body), kind.name


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(S.commands(at=3.0))
def test_a_rendered_command_is_taken_and_decided_as_that_command(command: Command) -> None:
    # The API refuses a transfer to its own origin (422) before the domain sees it.
    assume(not (isinstance(command, TransferStock) and command.to == command.location))
    api = TestClient(create_app(token=TOKEN))
    kind = BY_COMMAND[type(command)]
    request = ROUTES[kind.name].render(kind, kind.payload_of(command))
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Sim-Time": "3.0"}
    answer = api.request(request.method, request.url, json=request.body, headers=headers)
    expected = _decided(command)
    if isinstance(expected, str):  # a refusal: the API refuses it by the same rule
        assert answer.status_code in {404, 409}, answer.text
        assert answer.json()["rule"] == expected
    else:
        assert answer.status_code == 200, answer.text
        assert [e["type"] for e in answer.json()["events"]] == expected


def _decided(command: Command) -> list[str] | str:
    """The types of the events an empty backend decides for ``command``, or the rule that
    refuses it."""
    try:
        return [e.TYPE for e in Backend().decide(command)]
    except DomainError as error:
        return error.rule


@command
class TagOrder(Command):
    at: SimTime
    order: OrderId
    label: str


def test_a_new_command_field_needs_its_json_type_before_it_gets_a_body() -> None:
    kind = Kind("tag_order", "write", "back_office", TagOrder, "tag an order")
    with pytest.raises(TypeError, match=r"tag_order\.label: no JSON type"):
        body_model(kind, ("label",))
    assert body_model(kind, ()) is None
