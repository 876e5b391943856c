"""Strict bearer tokens, and idempotency keys bound to the request they were first used for."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.dependencies import fingerprint
from tests.loadtests.loopback import serving

TOKEN = "s3cret-dependencies"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CART = {"customer": 1, "cart": 1, "channel": "app"}


def client() -> TestClient:
    return TestClient(create_app(token=TOKEN, initial=[Receipt(location="S01", sku="TEE", qty=3)]))


@pytest.mark.parametrize(
    "authorization",
    [TOKEN, f"Token {TOKEN}", f"Basic {TOKEN}", f"Bearer{TOKEN}", "Bearer ", f"Bearer  {TOKEN}",
     f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", ""],
)  # fmt: skip
def test_only_the_bearer_scheme_with_the_token_is_accepted(authorization: str) -> None:
    api = client()
    refused = api.post("/carts", json=CART, headers={"Authorization": authorization})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.headers["content-type"] == "application/problem+json"
    assert TOKEN not in refused.text
    assert api.get("/admin/state", headers={"Authorization": authorization}).status_code == 401
    assert api.get("/health").json()["events"] == 2  # nothing was written


def test_the_scheme_is_case_insensitive_as_http_says() -> None:
    api = client()
    answer = api.post("/carts", json=CART, headers={"Authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200


def test_a_key_reused_with_another_body_path_or_method_is_422_naming_the_key() -> None:
    api = client()
    headers = {**AUTH, "Idempotency-Key": "open-1"}
    first = api.post("/carts", json=CART, headers=headers)
    assert first.status_code == 200
    for method, path, body in [
        ("POST", "/carts", {**CART, "channel": "web"}),  # another body
        ("POST", "/carts/1/move", {"channel": "web"}),  # another path
    ]:
        reused = api.request(method, path, json=body, headers=headers)
        assert reused.status_code == 422, reused.text
        problem = reused.json()
        assert problem["rule"] == "idempotency.key_reused"
        assert problem["context"] == {"key": "open-1"}
        assert "open-1" in problem["detail"]
    assert api.get("/health").json()["events"] == 3  # marker, stock, the first cart only
    same = api.post("/carts", content=b'{"channel":"app", "cart":1,  "customer":1}',
                    headers={**headers, "Content-Type": "application/json"})  # fmt: skip
    assert same.status_code == 200  # the same JSON, written another way, is the same request
    assert same.json() == first.json()


def test_a_refusal_is_kept_under_its_key_like_a_success() -> None:
    api = client()
    api.post("/carts", json=CART, headers=AUTH)
    item = {"sku": "TEE", "qty": 3, "unit_price": 5.0, "reserve_at": "S01"}
    api.post("/carts", json={**CART, "cart": 2}, headers=AUTH)
    api.post("/carts/2/items", json=item, headers=AUTH)  # cart 2 takes all three
    headers = {**AUTH, "Idempotency-Key": "add-1"}
    refused = api.post("/carts/1/items", json=item, headers=headers)
    assert refused.status_code == 409
    api.post("/carts/2/items/TEE/remove", json={"qty": 3}, headers=AUTH)  # stock is free again
    again = api.post("/carts/1/items", json=item, headers=headers)
    assert (again.status_code, again.json()) == (409, refused.json())  # the key's one answer
    assert again.headers["x-event-position"] == refused.headers["x-event-position"]
    fresh = api.post("/carts/1/items", json=item, headers={**AUTH, "Idempotency-Key": "add-2"})
    assert fresh.status_code == 200


def test_concurrent_copies_of_one_request_get_one_answer() -> None:
    app = create_app(token=TOKEN, initial=[Receipt(location="S01", sku="TEE", qty=3)])
    answers: list[tuple[int, str, str]] = []
    start = threading.Barrier(8)
    with serving(app) as base:
        httpx.post(f"{base}/carts", json=CART, headers=AUTH).raise_for_status()
        item = {"sku": "TEE", "qty": 1, "unit_price": 5.0, "reserve_at": "S01"}

        def copy() -> None:
            headers = {**AUTH, "Idempotency-Key": "one-add"}
            start.wait(timeout=30)
            answer = httpx.post(f"{base}/carts/1/items", json=item, headers=headers, timeout=30)
            answers.append((answer.status_code, answer.text, answer.headers["x-event-position"]))

        threads = [threading.Thread(target=copy) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        stock = httpx.get(f"{base}/stock/S01/TEE").json()
    assert len(answers) == 8
    assert len(set(answers)) == 1
    assert answers[0][0] == 200
    assert stock["reserved"] == 1  # reserved once


def test_the_fingerprint_is_of_method_path_and_json_body() -> None:
    base = fingerprint("POST", "/carts", b'{"a": 1, "b": [1, 2]}')
    assert fingerprint("POST", "/carts", b'{"b":[1,2],"a":1}') == base
    assert fingerprint("PUT", "/carts", b'{"a": 1, "b": [1, 2]}') != base
    assert fingerprint("POST", "/carts/1", b'{"a": 1, "b": [1, 2]}') != base
    assert fingerprint("POST", "/carts", b'{"a": 1, "b": [2, 1]}') != base
    assert fingerprint("POST", "/carts", b"not json") != fingerprint("POST", "/carts", b"")
