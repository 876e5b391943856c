"""The foreign shop's GraphQL face over real HTTP: refusals inside 200 answers (``errors``,
``userErrors``, a union error type), the session in a response header, nested paged stock."""

from __future__ import annotations

from typing import Any

from tests.foreign_api.conftest import PASSWORD, Client
from tests.foreign_api.graphql_face import SESSION_HEADER

ADDRESS = {"line1": "1 Dam", "city": "Amsterdam", "postcode": "1012", "country": "NL"}


def ask(shop: Client, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    answer = shop.http.post("/graphql", json={"query": query, "variables": variables},
                            headers=headers or {})  # fmt: skip
    assert answer.status_code == 200, answer.text  # whatever it says, it says it in a 200
    return answer


def admin(shop: Client) -> dict[str, str]:
    login = ask(shop, "mutation($p: String!) { adminLogin(username: \"shop-admin\", password: $p)"
                      " { token userErrors { code } } }", p=PASSWORD)  # fmt: skip
    return {"Authorization": f"Bearer {login.json()['data']['adminLogin']['token']}"}


def session(shop: Client) -> dict[str, str]:
    answer = ask(shop, "mutation { sessionCreate { ok } }")
    assert answer.json() == {"data": {"sessionCreate": {"ok": True}}}  # the token: a header
    return {SESSION_HEADER: answer.headers[SESSION_HEADER]}


def test_no_session_is_an_unauthenticated_error_inside_a_200(shop: Client) -> None:
    for headers in ({}, {SESSION_HEADER: "forged"}):
        body = ask(shop, "mutation { basketCreate { basket { id } } }", headers).json()
        assert body["data"] == {"basketCreate": None}
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    wrong = ask(shop, 'mutation { adminLogin(username: "shop-admin", password: "x") '
                      "{ token userErrors { code } } }").json()  # fmt: skip
    assert wrong["data"]["adminLogin"] == {
        "token": None,
        "userErrors": [{"code": "INVALID_CREDENTIALS"}],
    }


CHECKOUT = """mutation($b: ID!) { checkoutComplete(basketId: $b) {
  __typename
  ... on Order { id number lines { quantity location { code } } }
  ... on InsufficientStockError { code message }
  ... on CheckoutError { code message }
} }"""


def basket_of(shop: Client, who: dict[str, str], product: str, qty: int) -> str:
    made = ask(shop, "mutation { basketCreate { basket { id } userErrors { code } } }", who)
    basket = made.json()["data"]["basketCreate"]["basket"]["id"]
    ask(shop, "mutation($b: ID!, $p: ID!, $q: Int!) { basketLinesAdd(basketId: $b, "
              "productId: $p, quantity: $q) { line { id } userErrors { code } } }",
        who, b=basket, p=product, q=qty)  # fmt: skip
    ask(shop, "mutation($b: ID!, $a: AddressInput!) { checkoutShippingAddressUpdate(basketId: $b,"
              " address: $a) { userErrors { code } } }", who, b=basket, a=ADDRESS)  # fmt: skip
    ask(shop, 'mutation($b: ID!) { checkoutPaymentMethodUpdate(basketId: $b, method: "card") '
              "{ userErrors { code } } }", who, b=basket)  # fmt: skip
    return str(basket)


def test_refusals_are_a_union_error_type_and_user_errors_inside_200s(shop: Client) -> None:
    shop.reset([("S01", "SKU-A", 1), ("WH1", "SKU-A", 2)])
    who = session(shop)
    products = ask(shop, "{ products { items { id sku } } }").json()["data"]["products"]["items"]
    (product,) = [p["id"] for p in products if p["sku"] == "SKU-A"]
    short = ask(shop, CHECKOUT, who, b=basket_of(shop, who, product, 3)).json()
    assert short["data"]["checkoutComplete"]["__typename"] == "InsufficientStockError"
    assert short["data"]["checkoutComplete"]["code"] == "INSUFFICIENT_STOCK"
    assert "errors" not in short
    placed = ask(shop, CHECKOUT, who, b=basket_of(shop, who, product, 2)).json()
    order = placed["data"]["checkoutComplete"]
    assert order["__typename"] == "Order"
    assert order["lines"] == [{"quantity": 2, "location": {"code": "WH1"}}]  # first with enough
    pay = 'mutation($o: ID!) { orderPay(orderId: $o, amount: "20.00") { order { totalPaid } ' \
          "userErrors { code message } } }"  # fmt: skip
    assert ask(shop, pay, who, o=order["id"]).json()["data"]["orderPay"]["userErrors"] == []
    again = ask(shop, pay, who, o=order["id"]).json()["data"]["orderPay"]
    assert again["order"] is None
    assert again["userErrors"][0]["code"] == "ORDER_NOT_PAYABLE"
    stranger = ask(shop, pay, session(shop), o=order["id"]).json()["data"]["orderPay"]
    assert stranger["userErrors"][0]["code"] == "ORDER_NOT_FOUND"


def test_stock_is_nested_under_products_in_pages_for_the_admin_only(shop: Client) -> None:
    shop.reset([(loc, f"SKU-{j:02d}", j) for loc in ("S01", "WH1") for j in range(25)])
    query = "query($n: Int!) { products(page: $n, perPage: 10) { page totalPages items { sku " \
            "stock { location { code } onHand allocated } } } }"  # fmt: skip
    refused = ask(shop, query, n=1).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    token = admin(shop)
    seen = {}
    for n in (1, 2, 3):
        products = ask(shop, query, token, n=n).json()["data"]["products"]
        assert (products["page"], products["totalPages"]) == (n, 3)
        for item in products["items"]:
            for row in item["stock"]:
                seen[row["location"]["code"], item["sku"]] = row["onHand"]
    assert seen == {(loc, f"SKU-{j:02d}"): j for loc in ("S01", "WH1") for j in range(25)}


def test_a_malformed_request_is_an_error_inside_a_200(shop: Client) -> None:
    body = ask(shop, "mutation($q: Int!) { sessionCreate { ok } }").json()  # $q missing
    assert body["errors"][0]["message"] == "Variable '$q' is never used."
    assert body.get("data") is None
