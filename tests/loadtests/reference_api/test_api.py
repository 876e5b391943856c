"""The reference API's own promises: tokens, idempotency, problem details, the admin view."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.store import SQLiteStore

TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def client() -> TestClient:
    return TestClient(create_app(token=TOKEN, initial=[Receipt(location="S01", sku="TEE", qty=3)]))


def test_reads_are_open_and_writes_need_the_token() -> None:
    api = client()
    assert api.get("/health").json()["status"] == "ok"
    assert api.get("/stock/S01/TEE").json()["available"] == 3
    refused = api.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    wrong = api.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"},
                     headers={"Authorization": "Bearer nope"})  # fmt: skip
    assert wrong.status_code == 401
    assert TOKEN not in refused.text + wrong.text
    assert api.get("/admin/state").status_code == 401


def test_a_retried_request_with_the_same_key_writes_once() -> None:
    api = client()
    api.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    body = {"sku": "TEE", "qty": 2, "unit_price": 10.0, "reserve_at": "S01"}
    headers = {**AUTH, "Idempotency-Key": "add-1"}
    first = api.post("/carts/1/items", json=body, headers=headers)
    again = api.post("/carts/1/items", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert [e["type"] for e in first.json()["events"]] == ["CartItemAdded", "StockReserved"]
    assert "TYPE" not in first.json()["events"][0]
    assert api.get("/stock/S01/TEE").json()["reserved"] == 2  # reserved once, not twice
    other = api.post(
        "/carts/1/items", json={**body, "qty": 1}, headers={**AUTH, "Idempotency-Key": "add-2"}
    )
    assert other.status_code == 200
    assert api.get("/stock/S01/TEE").json()["reserved"] == 3


def test_refusals_are_problem_details_never_500() -> None:
    api = client()
    api.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    too_many = api.post(
        "/carts/1/items",
        json={"sku": "TEE", "qty": 9, "unit_price": 1.0, "reserve_at": "S01"},
        headers=AUTH,
    )
    assert too_many.status_code == 409
    assert too_many.json()["rule"] == "stock.insufficient"
    assert too_many.json()["context"] == {
        "location": "S01",
        "sku": "TEE",
        "channel": "app",
        "requested": 9,
        "available": 3,
    }
    unknown = api.post("/orders/77/payment", json={"amount": 1.0}, headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json()["rule"] == "aggregate.unknown"
    bad = api.post("/carts/1/items", json={"sku": "TEE", "qty": 0, "unit_price": 1.0}, headers=AUTH)
    assert bad.status_code == 422
    assert bad.json()["field"] == "body.qty"
    extra = api.post(
        "/carts", json={"customer": 1, "cart": 2, "channel": "app", "colour": "red"}, headers=AUTH
    )
    assert extra.status_code == 422
    assert extra.json()["field"] == "body.colour"
    action = api.post("/orders/1/legs/S01/teleport", headers=AUTH)
    assert action.status_code == 404
    assert "teleport" in action.json()["detail"]


def test_admin_state_shows_stock_and_orders() -> None:
    api = client()
    api.post("/carts", json={"customer": 1, "cart": 1, "channel": "store"}, headers=AUTH)
    api.post("/carts/1/items", json={"sku": "TEE", "qty": 1, "unit_price": 10.0}, headers=AUTH)
    legs = [{"location": "S01", "mode": "carry_out", "lines": [{"sku": "TEE", "qty": 1}]}]
    assert (
        api.post("/orders", json={"order": 5, "cart": 1, "legs": legs}, headers=AUTH).status_code
        == 200
    )
    assert api.post("/orders/5/payment", json={"amount": 10.0}, headers=AUTH).status_code == 200
    assert api.post("/orders/5/legs/S01/handover", headers=AUTH).status_code == 200
    state = api.get("/admin/state", headers=AUTH).json()
    assert state["stock"] == [{"location": "S01", "sku": "TEE", "on_hand": 2, "reserved": 0}]
    assert state["orders"][0]["legs"] == [
        {"location": "S01", "mode": "carry_out", "status": "handed_over"}
    ]


def test_state_survives_a_restart_on_the_sqlite_store(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    first = TestClient(
        create_app(
            token=TOKEN,
            store=SQLiteStore(path),
            initial=[Receipt(location="S01", sku="TEE", qty=3)],
        )
    )
    first.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    first.post(
        "/carts/1/items",
        json={"sku": "TEE", "qty": 2, "unit_price": 10.0, "reserve_at": "S01"},
        headers=AUTH,
    )
    before = first.get("/admin/state", headers=AUTH).json()
    again = TestClient(
        create_app(
            token=TOKEN,
            store=SQLiteStore(path),
            initial=[Receipt(location="S01", sku="TEE", qty=99)],
        )
    )
    assert again.get("/admin/state", headers=AUTH).json() == before  # initial stock not re-applied
    assert again.get("/stock/S01/TEE").json()["available"] == 1


def test_two_servers_on_one_file_never_lose_or_double_a_write(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    a = TestClient(
        create_app(
            token=TOKEN,
            store=SQLiteStore(path),
            initial=[Receipt(location="S01", sku="TEE", qty=3)],
        )
    )
    b = TestClient(create_app(token=TOKEN, store=SQLiteStore(path)))
    opened = a.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    assert opened.status_code == 200
    # b has not seen a's write: it catches up before it decides, so it answers right away
    other = b.post("/carts", json={"customer": 2, "cart": 2, "channel": "web"}, headers=AUTH)
    assert other.status_code == 200
    duplicate = b.post("/carts", json={"customer": 1, "cart": 1, "channel": "app"}, headers=AUTH)
    assert duplicate.json()["rule"] == "aggregate.duplicate"  # b knows a's cart
    assert a.post("/carts/2/move", json={"channel": "app"}, headers=AUTH).status_code == 200
    assert b.get("/health").json()["events"] == 5  # epoch marker, stock, cart 1, cart 2, move
    assert int(other.headers["x-event-position"]) == 4


def test_an_idempotent_answer_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    first = TestClient(create_app(token=TOKEN, store=SQLiteStore(path)))
    headers = {**AUTH, "Idempotency-Key": "open-7"}
    body = {"customer": 7, "cart": 7, "channel": "app"}
    answer = first.post("/carts", json=body, headers=headers)
    again = TestClient(create_app(token=TOKEN, store=SQLiteStore(path)))
    retried = again.post("/carts", json=body, headers=headers)
    assert retried.status_code == 200
    assert retried.json() == answer.json()
    assert retried.headers["x-event-position"] == answer.headers["x-event-position"] == "2"
    assert again.get("/health").json()["events"] == 2  # the epoch marker, the cart once


def test_catalogue_and_locations_are_readable() -> None:
    api = TestClient(
        create_app(
            token=TOKEN,
            catalogue=[{"sku": "TEE", "price": 19.9}],
            locations=[{"id": "S01", "kind": "store", "region": "north", "x": 1.0, "y": 2.0}],
        )
    )
    assert api.get("/catalogue").json() == [{"sku": "TEE", "price": 19.9}]
    assert api.get("/locations").json()[0]["kind"] == "store"
