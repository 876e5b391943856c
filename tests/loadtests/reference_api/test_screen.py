"""Ids checked against the scenario the API serves, bounded and strictly typed values."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.app import Receipt, create_app

TOKEN = "screen-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CATALOGUE = [{"sku": "TEE", "price": 10.0}, {"sku": "JEANS", "price": 40.0}]
LOCATIONS = [{"id": "S01", "kind": "store"}, {"id": "W01", "kind": "warehouse"}]


@pytest.fixture
def api() -> TestClient:
    initial = [Receipt(location=where, sku="TEE", qty=5) for where in ("S01", "W01")]
    app = create_app(token=TOKEN, catalogue=CATALOGUE, locations=LOCATIONS, initial=initial)
    client = TestClient(app)
    client.post("/carts", json={"customer": 1, "cart": 1, "channel": "web"}, headers=AUTH)
    return client


LEG = {"location": "S01", "mode": "carry_out", "lines": [{"sku": "TEE", "qty": 1}]}
UNKNOWN: list[tuple[str, dict[str, Any], str, str]] = [
    ("/carts/1/items", {"sku": "HAT", "qty": 1, "unit_price": 1.0}, "sku", "HAT"),
    ("/carts/1/items", {"sku": "TEE", "qty": 1, "unit_price": 1.0, "reserve_at": "X9"},
     "reserve_at", "X9"),
    ("/admin/transfer", {"location": "S01", "to": "X9", "sku": "TEE", "qty": 1}, "to", "X9"),
    ("/admin/transfer", {"location": "X8", "to": "S01", "sku": "TEE", "qty": 1}, "location", "X8"),
    ("/admin/stock", {"location": "S01", "sku": "HAT", "qty": 1}, "sku", "HAT"),
    ("/orders", {"order": 1, "cart": 1, "legs": [LEG, {**LEG, "location": "X7"}]},
     "legs[1].location", "X7"),
    ("/orders", {"order": 1, "cart": 1, "legs": [{**LEG, "lines": [{"sku": "CAP", "qty": 1}]}]},
     "legs[0].lines[0].sku", "CAP"),
    ("/admin/reset", {"stock": [{"location": "S01", "sku": "TEE", "qty": 1},
                                {"location": "S01", "sku": "HAT", "qty": 1}]},
     "stock[1].sku", "HAT"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field", "value"), UNKNOWN)
def test_an_id_outside_the_scenario_is_404_naming_it(
    api: TestClient, path: str, body: dict[str, Any], field: str, value: str
) -> None:
    before = api.get("/health").json()["events"]
    answer = api.post(path, json=body, headers=AUTH)
    assert answer.status_code == 404, answer.text
    problem = answer.json()
    assert problem["rule"] == "scenario.unknown_id"
    assert problem["context"]["field"] == field
    assert value in problem["context"].values()
    assert repr(value) in problem["detail"]
    assert api.get("/health").json()["events"] == before


def test_a_stock_read_of_an_unknown_id_is_404(api: TestClient) -> None:
    assert api.get("/stock/S01/TEE").status_code == 200
    for path, value in [("/stock/S01/HAT", "HAT"), ("/stock/X1/TEE", "X1")]:
        answer = api.get(path)
        assert answer.status_code == 404
        assert value in answer.json()["detail"]


def test_a_transfer_to_where_the_stock_is_is_refused(api: TestClient) -> None:
    body = {"location": "S01", "to": "S01", "sku": "TEE", "qty": 1}
    answer = api.post("/admin/transfer", json=body, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["field"] == "TransferStock.to"
    moved = api.post("/admin/transfer", json={**body, "to": "W01"}, headers=AUTH)
    assert moved.status_code == 200


ITEM = {"sku": "TEE", "qty": 1, "unit_price": 1.0}
MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    ("/carts/1/items", {**ITEM, "qty": "1"}, "body.qty"),
    ("/carts/1/items", {**ITEM, "qty": True}, "body.qty"),
    ("/carts/1/items", {**ITEM, "qty": 1.0}, "body.qty"),
    ("/carts/1/items", {**ITEM, "qty": 10**20}, "body.qty"),
    ("/carts/1/items", {**ITEM, "unit_price": "1.0"}, "body.unit_price"),
    ("/carts/1/items", {**ITEM, "unit_price": True}, "body.unit_price"),
    ("/carts/1/items", {**ITEM, "unit_price": 1e300}, "body.unit_price"),
    ("/carts/1/items", {**ITEM, "sku": 7}, "body.sku"),
    ("/carts/1/items", {**ITEM, "sku": "T" * 65}, "body.sku"),
    ("/carts", {"customer": 2**53, "cart": 2, "channel": "web"}, "body.customer"),
    ("/carts", {"customer": "2", "cart": 2, "channel": "web"}, "body.customer"),
    ("/orders/1/returns", {"sku": "TEE", "qty": 1, "location": "S01", "return_mode": "store",
                           "restock": "yes"}, "body.restock"),
    ("/orders/1/payment", {"amount": -1.0}, "body.amount"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "field"), MALFORMED)
def test_strings_booleans_and_huge_values_are_not_numbers(
    api: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    answer = api.post(path, json=body, headers=AUTH)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_ids_in_paths_are_bounded(api: TestClient) -> None:
    answer = api.post(f"/carts/{2**53}/items", json=ITEM, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["field"] == "path.cart"


@pytest.mark.parametrize("sent", ["-1", "-0.001", "inf", "nan", "1e10", "soon"])
def test_a_negative_or_unusable_sim_time_is_refused(api: TestClient, sent: str) -> None:
    answer = api.post("/carts/1/items", json=ITEM, headers={**AUTH, "X-Sim-Time": sent})
    assert answer.status_code == 422
    assert answer.json()["field"] == "header.X-Sim-Time"


def test_a_sim_time_of_zero_and_above_is_the_writes_time(api: TestClient) -> None:
    answer = api.post("/carts/1/items", json=ITEM, headers={**AUTH, "X-Sim-Time": "0"})
    assert answer.status_code == 200
    assert answer.json()["events"][0]["t"] == 0.0
