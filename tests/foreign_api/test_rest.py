"""The foreign shop's REST face over real HTTP: who may ask, what it answers, how it pages,
where and when it allocates stock, and the planted oversell."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.foreign_api.conftest import PASSWORD, Client

ADDRESS = {"line1": "1 Dam", "city": "Amsterdam", "postcode": "1012", "country": "NL"}


def test_no_or_an_unknown_session_is_401_and_a_first_visit_gets_one(shop: Client) -> None:
    shop.reset([("WH1", "SKU-A", 3)])
    http = shop.http
    for headers in ({}, {"X-Session": "forged"}):
        answer = http.post("/api/baskets/", headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "NOT_AUTHENTICATED")
    first = http.get("/api/products/")
    assert first.status_code == 200
    issued = {"X-Session": first.headers["X-Session"]}
    assert http.post("/api/baskets/", headers=issued).status_code == 201
    assert "X-Session" not in http.get("/api/products/", headers=issued).headers  # kept


def test_the_admin_needs_a_token_from_a_login(shop: Client) -> None:
    http = shop.http
    wrong = http.post("/api/admin/login/", json={"username": "shop-admin", "password": "nope"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "INVALID_CREDENTIALS")
    for headers in ({}, {"Authorization": "Token forged"}, shop.session()):
        assert http.get("/api/admin/stockrecords/", headers=headers).status_code == 401
    assert PASSWORD not in wrong.text


def test_an_accept_that_does_not_allow_json_is_406(shop: Client) -> None:
    answer = shop.http.get("/api/products/", headers={"Accept": "text/html"})
    assert (answer.status_code, answer.json()["code"]) == (406, "NOT_ACCEPTABLE")
    assert shop.http.get("/api/products/", headers={"Accept": "application/json"}).is_success
    graphql = shop.http.post("/graphql", json={"query": "{ products { totalCount } }"},
                             headers={"Accept": "text/html"})  # fmt: skip
    assert graphql.status_code == 406


def test_stock_records_come_in_pages_linked_by_absolute_next_urls(shop: Client) -> None:
    rows = [(f"L{i}", f"SKU-{j:02d}", i + j) for i in range(3) for j in range(15)]
    shop.reset(rows)
    first = shop.http.get("/api/admin/stockrecords/?page_size=20", headers=shop.admin).json()
    assert (first["count"], first["total_pages"], len(first["results"])) == (45, 3, 20)
    target = urlsplit(shop.base)
    assert urlsplit(first["next"])[:2] == target[:2]  # absolute, on the shop's own host
    assert "page_size=20" in first["next"]
    assert shop.stock() == {(loc, sku): (q, 0) for loc, sku, q in rows}  # every page, once


def test_a_basket_reserves_nothing_and_stock_is_allocated_at_order_time(shop: Client) -> None:
    shop.reset([("S01", "SKU-A", 1), ("WH1", "SKU-A", 2)])
    alice, bob = shop.session(), shop.session()
    baskets = [shop.http.post("/api/baskets/", headers=who).json()["url"] for who in (alice, bob)]
    for who, basket in zip((alice, bob), baskets, strict=True):
        line = {"product": shop.url_of("SKU-A"), "quantity": 2}
        assert shop.http.post(f"{basket}lines/", json=line, headers=who).status_code == 201
    assert shop.stock() == {("S01", "SKU-A"): (1, 0), ("WH1", "SKU-A"): (2, 0)}

    placed = shop.order(alice, {"SKU-A": 2})  # S01 has too few: the first with enough
    assert placed.status_code == 201, placed.text
    assert placed.json()["lines"][0]["stock_location"] == shop.location("WH1")
    assert shop.http.get(shop.location("WH1")).json()["code"] == "WH1"  # a link that works
    assert shop.stock() == {("S01", "SKU-A"): (1, 0), ("WH1", "SKU-A"): (2, 2)}
    refused = shop.order(bob, {"SKU-A": 2})
    assert (refused.status_code, refused.json()["code"]) == (409, "INSUFFICIENT_STOCK")
    one = shop.order(bob, {"SKU-A": 1})  # the first location by code that has enough
    assert one.json()["lines"][0]["stock_location"] == shop.location("S01")


def test_a_checkout_needs_its_address_and_payment_method_first(shop: Client) -> None:
    shop.reset([("WH1", "SKU-A", 3)])
    who = shop.session()
    basket = shop.http.post("/api/baskets/", headers=who).json()["url"]
    line = {"product": shop.url_of("SKU-A"), "quantity": 1}
    shop.http.post(f"{basket}lines/", json=line, headers=who)
    early = shop.http.post("/api/checkout/", json={"basket": basket}, headers=who)
    assert (early.status_code, early.json()["code"]) == (400, "CHECKOUT_INCOMPLETE")
    stranger = shop.http.post("/api/checkout/", json={"basket": basket}, headers=shop.session())
    assert (stranger.status_code, stranger.json()["code"]) == (404, "BASKET_NOT_FOUND")
    sku = shop.http.post(f"{basket}lines/", json={"product": "SKU-A", "quantity": 1}, headers=who)
    assert (sku.status_code, sku.json()["code"]) == (400, "INVALID_REQUEST")  # a URL, not a sku


def test_a_line_is_set_to_an_absolute_quantity_and_zero_removes_it(shop: Client) -> None:
    shop.reset([("WH1", "SKU-A", 9)])
    who = shop.session()
    basket = shop.http.post("/api/baskets/", headers=who).json()["url"]
    line = {"product": shop.url_of("SKU-A"), "quantity": 2}
    first = shop.http.post(f"{basket}lines/", json=line, headers=who).json()
    again = shop.http.post(f"{basket}lines/", json=line, headers=who).json()
    assert (again["url"], again["quantity"]) == (first["url"], 4)  # the same line, added to
    less = shop.http.patch(first["url"], json={"quantity": 1}, headers=who).json()
    assert less["quantity"] == 1
    shop.http.patch(first["url"], json={"quantity": 0}, headers=who)
    assert shop.http.get(basket, headers=who).json()["lines"] == []


def test_an_order_is_paid_fulfilled_returned_or_cancelled_by_the_shops_rules(shop: Client) -> None:
    shop.reset([("WH1", "SKU-A", 5)])
    who = shop.session()
    order = shop.order(who, {"SKU-A": 2}).json()["url"]
    fulfil = f"/api/admin/orders/{order.rstrip('/').rsplit('/', 1)[1]}/fulfil/"
    unpaid = shop.http.post(fulfil, headers=shop.admin)
    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "PAYMENT_REQUIRED")
    paid = shop.http.post(f"{order}payments/", json={"amount": "31.50"}, headers=who)
    assert (paid.status_code, paid.json()["total_paid"]) == (201, "31.50")
    twice = shop.http.post(f"{order}payments/", json={"amount": "31.50"}, headers=who)
    assert (twice.status_code, twice.json()["code"]) == (409, "ORDER_NOT_PAYABLE")
    assert shop.http.post(fulfil, headers=shop.admin).json()["status"] == "fulfilled"
    assert shop.stock() == {("WH1", "SKU-A"): (3, 0)}
    back = {"product": shop.url_of("SKU-A"), "quantity": 1, "restock": True}
    returned = shop.http.post(f"{order}returns/", json=back, headers=who).json()
    assert returned["total_refunded"] == "15.75"  # its share of what was paid
    assert shop.stock() == {("WH1", "SKU-A"): (4, 0)}
    back["quantity"] = 2
    beyond = shop.http.post(f"{order}returns/", json=back, headers=who)
    assert (beyond.status_code, beyond.json()["code"]) == (409, "RETURN_EXCEEDS_PURCHASE")

    other = shop.order(who, {"SKU-A": 3}).json()["url"]
    assert shop.stock() == {("WH1", "SKU-A"): (4, 3)}
    shop.http.post(f"{other}payments/", json={"amount": "9.99"}, headers=who)
    cancelled = shop.http.post(f"{other}cancel/", headers=who).json()
    assert (cancelled["status"], cancelled["total_refunded"]) == ("cancelled", "9.99")
    assert shop.stock() == {("WH1", "SKU-A"): (4, 0)}  # released


def test_stock_is_received_and_written_off_by_the_admin(shop: Client) -> None:
    shop.reset([("WH1", "SKU-A", 5)])
    place = {"product": shop.url_of("SKU-A"), "location": shop.location("WH1")}
    got = shop.http.post("/api/admin/stock-receipts/", json=place | {"quantity": 4},
                         headers=shop.admin)  # fmt: skip
    assert (got.status_code, got.json()["num_in_stock"]) == (201, 9)
    off = shop.http.post("/api/admin/stock-adjustments/", json=place | {"delta": -10},
                         headers=shop.admin)  # fmt: skip
    assert (off.status_code, off.json()["code"]) == (409, "INSUFFICIENT_STOCK")
    shop.http.post("/api/admin/stock-adjustments/", json=place | {"delta": -2},
                   headers=shop.admin)  # fmt: skip
    assert shop.stock() == {("WH1", "SKU-A"): (7, 0)}


def test_the_planted_bug_oversells_its_sku_and_only_it(buggy_shop: Client) -> None:
    shop = buggy_shop
    shop.reset([("WH1", "SKU-A", 1), ("WH1", "SKU-B", 1)])
    who = shop.session()
    assert shop.order(who, {"SKU-B": 2}).status_code == 409  # the others are checked
    order = shop.order(who, {"SKU-A": 3})
    assert order.status_code == 201, order.text  # accepted with 1 in stock
    assert shop.stock()["WH1", "SKU-A"] == (1, 3)
    url = order.json()["url"]
    shop.http.post(f"{url}payments/", json={"amount": "30.00"}, headers=who)
    number = url.rstrip("/").rsplit("/", 1)[1]
    shop.http.post(f"/api/admin/orders/{number}/fulfil/", headers=shop.admin)
    assert shop.stock()["WH1", "SKU-A"] == (-2, 0)  # an oversell, in the shop's own books
