"""The mapping adapter (version 2) against fake targets: captures and divergence, absolute
URLs, lookups, steps of several requests, auth profiles and cookies per journey, answers
classified by status and body (GraphQL in a 200), prepare and paginated final-state reads."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtests.adapters import MappingAdapter, load_adapter
from loadtests.adapters.base import Answer, JourneyState, ReplayRefused, Request
from loadtests.journeys import Journey, Scheduled, Step
from loadtests.replay import Recorder, play_journey
from simulation.errors import InputError

TARGET = "http://127.0.0.1:8123"
OPEN = Step("open_cart", 0.0, {"customer": 5, "cart": 1, "channel": "web"})
ADD = Step("add_to_cart", 1.0, {"cart": 1, "sku": "TEE", "qty": 2, "unit_price": 9.5})
REMOVE = Step("remove_from_cart", 2.0, {"cart": 1, "sku": "TEE", "qty": 1})
CHECKOUT = Step("checkout", 3.0, {"order": 4, "cart": 1, "legs": [
    {"location": "S01", "mode": "ship", "lines": [{"sku": "TEE", "qty": 1}]}]})  # fmt: skip
PAY = Step("pay", 4.0, {"order": 4, "amount": 9.5})


def mapping(tmp_path: Path, text: str, token: str | None = None) -> MappingAdapter:
    path = tmp_path / "shop.toml"
    path.write_text("version = 2\n" + text)
    adapter = load_adapter(str(path), token, TARGET)
    assert isinstance(adapter, MappingAdapter)
    return adapter


class Target:
    """Answers requests with ``answer(request)``; keeps what was sent."""

    def __init__(self, answer: Callable[[Request], Answer]) -> None:
        self.answer, self.sent = answer, []  # type: list[Request]

    def __call__(self, request: Request) -> Answer:
        self.sent.append(request)
        return self.answer(request)


def ok(body: Any = None, status: int = 200, **headers: str) -> Answer:
    return Answer(status, body, {k.lower().replace("_", "-"): v for k, v in headers.items()})


SHOP = """
[steps.open_cart]
path = "/baskets"
body = { owner = "c-${customer}" }
capture = { basket = { path = "url", id = "cart" } }
[steps.add_to_cart]
path = "${basket}lines"
body = { sku = "${sku}", quantity = "${qty}" }
capture = { "line[${sku}]" = "lines[sku=${sku}].url" }
[steps.remove_from_cart]
method = "DELETE"
path = "${line[${sku}]}"
"""


def test_a_captured_url_and_a_table_of_lines_are_used_by_later_steps(tmp_path: Path) -> None:
    shop, state = mapping(tmp_path, SHOP), JourneyState(5)
    basket = f"{TARGET}/baskets/b9/"
    target = Target(lambda r: ok({"url": basket, "lines": [{"sku": "TEE", "url": f"{basket}l/3"}]}))
    for step in (OPEN, ADD, REMOVE):
        answer, classified = shop.perform(step, state, target)
        assert answer is not None
        assert classified.result == "ok", classified
    assert [(r.method, r.path) for r in target.sent] == [
        ("POST", "/baskets"), ("POST", f"{basket}lines"), ("DELETE", f"{basket}l/3")
    ]  # fmt: skip
    assert target.sent[1].json == {"sku": "TEE", "quantity": 2}  # a number stays a number
    assert state.vars["line"] == {"TEE": f"{basket}l/3"}
    assert state.of("cart", 1) == basket
    assert ADD.data["cart"] == 1  # the simulation's id is never overwritten


def test_a_capture_that_finds_nothing_diverges_the_journey_and_never_uses_the_sim_id(
    tmp_path: Path,
) -> None:
    shop, state = mapping(tmp_path, SHOP), JourneyState(5)
    target = Target(lambda r: ok({"id": 1}))  # no "url": the basket cannot be named
    answer, failed = shop.perform(OPEN, state, target)
    assert answer is not None
    assert failed.result == "diverged"
    assert "capture basket = " in failed.detail
    assert "found nothing" in failed.detail
    assert state.diverged == failed.detail
    answer, later = shop.perform(ADD, state, target)
    assert answer is None  # not sent
    assert later.result == "diverged"
    assert later.detail.startswith("needs ${basket}: open_cart: capture basket")
    assert len(target.sent) == 1


def test_the_replay_records_a_divergence_and_its_consequences(tmp_path: Path) -> None:
    shop = mapping(tmp_path, SHOP + '[steps.pay]\nstatus = "implicit"\n')
    item = Scheduled(Journey(5, (OPEN, ADD, REMOVE, PAY)), (0.0, 0.0, 0.0, 0.0))
    recorder = Recorder()
    basket = {"url": f"{TARGET}/b/1/", "lines": []}  # the line added is not in the answer
    play_journey(item, 0.0, shop, Target(lambda r: ok(basket)), _Clock(), recorder)
    counts = {k: {r: n for r, n in c.items() if n} for k, c in recorder.counts.items()}
    assert counts == {"open_cart": {"ok": 1}, "add_to_cart": {"diverged": 1},
                      "remove_from_cart": {"diverged": 1}, "pay": {"implicit": 1}}  # fmt: skip
    assert recorder.steps["add_to_cart"]["actual"].total == 1  # sent and answered: measured
    assert "remove_from_cart" not in recorder.steps  # not sent: not measured
    details = [o.detail for o in recorder.ledger]
    assert details[1].startswith("add_to_cart: capture line[${sku}] = ")
    assert details[2].startswith("needs ${line}: add_to_cart: capture line[${sku}] = ")


class _Clock:
    def now(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        return None


def test_a_url_on_another_host_is_refused_clearly(tmp_path: Path) -> None:
    shop, state = mapping(tmp_path, SHOP), JourneyState(5)
    shop.perform(OPEN, state, Target(lambda r: ok({"url": "http://evil.example/b/1/"})))
    sent = Target(lambda r: ok({}))
    answer, refused = shop.perform(ADD, state, sent)
    assert (answer, refused.result) == (None, "error")
    assert refused.detail.startswith("refused to follow http://evil.example/b/1/lines")
    assert "not the target's host (http://127.0.0.1:8123)" in refused.detail
    assert sent.sent == []


def test_lookups_from_csv_and_json_files_beside_the_mapping(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text("sku,url\nTEE,/p/1\n")
    (tmp_path / "stores.json").write_text(json.dumps([{"code": "S01", "id": 77}]))
    shop = mapping(tmp_path, """
[lookups.product]
file = "products.csv"
[lookups.store]
file = "stores.json"
key = "code"
value = "id"
[steps.add_to_cart]
path = "/cart/${cart}/add"
body = { product = "${product[sku]}", store = "${store['S01']}" }
""")  # fmt: skip
    target = Target(lambda r: ok({}))
    assert shop.perform(ADD, JourneyState(), target)[1].result == "ok"
    assert target.sent[0].json == {"product": "/p/1", "store": 77}
    hat = Step("add_to_cart", 1.0, {"cart": 1, "sku": "HAT", "qty": 1})
    answer, missing = shop.perform(hat, JourneyState(), target)
    assert (answer, missing.result) == (None, "error")
    assert missing.detail == "lookup product[sku] (with 'HAT'): no such key"


CHECKOUT_3 = """
[classify]
code = "error.code"
[classify.codes]
PAYMENT_DECLINED = "order.mismatch"
[steps.checkout]
headers = { X-Order = "${order}" }
[[steps.checkout.requests]]
method = "PUT"
path = "/checkout/address"
body = { country = "NL" }
capture = { checkout = "id" }
[[steps.checkout.requests]]
name = "checkout: payment"
path = "/checkout/${checkout}/payment"
body = { lines = { "$each" = "line in legs[*].lines[*]", sku = "${line.sku}", n = "${line.qty}" } }
[[steps.checkout.requests]]
path = "/checkout/${checkout}/place"
headers = { X-Last = "yes" }
capture = { order_number = { path = "number", id = "order" } }
"""


def test_a_step_of_three_requests_runs_them_in_order_with_their_captures(tmp_path: Path) -> None:
    shop, state = mapping(tmp_path, CHECKOUT_3), JourneyState(5)
    target = Target(lambda r: ok({"id": "k1", "number": "N-1"}))
    _, done = shop.perform(CHECKOUT, state, target)
    assert done.result == "ok"
    assert [(r.name, r.method, r.path) for r in target.sent] == [
        ("checkout", "PUT", "/checkout/address"),
        ("checkout: payment", "POST", "/checkout/k1/payment"),
        ("checkout#3", "POST", "/checkout/k1/place"),
    ]
    assert target.sent[1].json == {"lines": [{"sku": "TEE", "n": 1}]}
    assert all(r.headers["X-Order"] == "4" for r in target.sent)  # the step's headers
    assert "X-Last" in target.sent[2].headers
    assert "X-Last" not in target.sent[0].headers
    assert state.of("order", 4) == "N-1"


def test_a_refused_request_ends_the_step_with_its_rule(tmp_path: Path) -> None:
    shop = mapping(tmp_path, CHECKOUT_3)
    refusal = {"error": {"code": "PAYMENT_DECLINED", "message": "card declined"}}

    def pay_refused(r: Request) -> Answer:
        return ok(refusal, 402) if r.path.endswith("payment") else ok({"id": "k1"})

    target = Target(pay_refused)
    _, refused = shop.perform(CHECKOUT, JourneyState(5), target)
    assert (refused.result, refused.rule) == ("refused", "order.mismatch")
    assert refused.detail == "PAYMENT_DECLINED: card declined"
    assert len(target.sent) == 2  # the order was never placed


@pytest.mark.parametrize(
    ("answer", "result", "rule"),
    [
        (ok({}, 201), "ok", None),
        (ok({}, 401), "unauthorised", None),
        (ok({}, 403), "unauthorised", None),
        (ok({}, 406), "unauthorised", None),
        (ok({}, 404), "not_found", None),
        (ok({"code": "INSUFFICIENT_STOCK"}, 409), "refused", "stock.insufficient"),
        (ok({"code": "SOMETHING"}, 422), "refused", None),
        (ok({}, 429), "error", None),
        (ok({}, 503), "error", None),
        (Answer(0, error="ConnectionRefusedError"), "error", None),
        (ok({"added": 1, "missing": 2}, 200), "partial", None),
        (ok({}, 207), "partial", None),
    ],
)
def test_answers_are_classified_by_status_and_body(
    tmp_path: Path, answer: Answer, result: str, rule: str | None
) -> None:
    shop = mapping(tmp_path, """
[classify]
code = "code"
partial = [207]
codes = { INSUFFICIENT_STOCK = "stock.insufficient" }
[[classify.when]]
path = "missing"
result = "partial"
[steps.add_to_cart]
path = "/add"
""")  # fmt: skip
    got = shop.perform(ADD, JourneyState(), Target(lambda r: answer))[1]
    assert (got.result, got.rule) == (result, rule)


GRAPHQL = """
[classify.codes]
INSUFFICIENT_STOCK = "stock.insufficient"
NOT_ENOUGH = "stock.insufficient"
CartClosedError = "state.invalid_transition"
[steps.add_to_cart]
path = "/graphql"
query = '''mutation($cart: ID!, $qty: Int!) {
  cartLinesAdd(cartId: $cart, quantity: $qty) { cart { id } userErrors { code message } }
}'''
variables = { cart = "${cart}", qty = "${qty}" }
[[steps.add_to_cart.classify.when]]
path = "data.cartLinesAdd.__typename"
equals = "InsufficientStockError"
result = "refused"
rule = "stock.insufficient"
"""


@pytest.mark.parametrize(
    ("body", "result", "rule", "detail"),
    [
        ({"data": {"cartLinesAdd": {"cart": {"id": "g1"}, "userErrors": []}}}, "ok", None, ""),
        ({"errors": [{"message": "no stock", "extensions": {"code": "INSUFFICIENT_STOCK"}}]},
         "refused", "stock.insufficient", "INSUFFICIENT_STOCK: no stock"),
        ({"errors": [{"message": "who?", "extensions": {"code": "UNAUTHENTICATED"}}]},
         "unauthorised", None, "UNAUTHENTICATED: who?"),
        ({"data": {"cartLinesAdd": {"userErrors": [{"code": "NOT_ENOUGH", "message": "2 left"}]}}},
         "refused", "stock.insufficient", "NOT_ENOUGH: 2 left"),
        ({"data": {"cartLinesAdd": {"__typename": "InsufficientStockError"}}},
         "refused", "stock.insufficient", ""),
        ({"data": {"cartLinesAdd": {"__typename": "CartClosedError", "message": "closed"}}},
         "refused", "state.invalid_transition", "CartClosedError: closed"),
        ({"data": {"cartLinesAdd": {"__typename": "Cart", "id": "g1"}}}, "ok", None, ""),
        ({"data": {"cartLinesAdd": {"__typename": "StockError", "code": "NOT_ENOUGH"}}},
         "refused", "stock.insufficient", "NOT_ENOUGH"),
    ],
)  # fmt: skip
def test_graphql_refusals_inside_a_200_are_classified_like_any_refusal(
    tmp_path: Path, body: dict[str, Any], result: str, rule: str | None, detail: str
) -> None:
    shop = mapping(tmp_path, GRAPHQL)
    target = Target(lambda r: ok(body))
    got = shop.perform(ADD, JourneyState(), target)[1]
    assert (got.result, got.rule, got.detail) == (result, rule, detail)
    sent = target.sent[0].json
    assert sent["variables"] == {"cart": 1, "qty": 2}
    assert sent["query"].startswith("mutation($cart: ID!, $qty: Int!) {\n  cartLinesAdd(")


SESSIONS = """
auth = "customer"
cookies = true
[profiles.customer]
scope = "journey"
headers = { X-Session = "${session}" }
[profiles.customer.login]
path = "/sessions"
body = { customer = "c-${customer}" }
capture = { session = "header:X-Session" }
[steps.add_to_cart]
path = "/cart/add"
[steps.pay]
path = "/pay"
"""


def test_a_journey_logs_in_once_and_keeps_its_own_session_and_cookies(tmp_path: Path) -> None:
    shop = mapping(tmp_path, SESSIONS)
    logins = iter(range(1, 10))

    def answer(r: Request) -> Answer:
        if r.path == "/sessions":
            n = next(logins)
            return Answer(201, {}, _Cookies({"x-session": f"s{n}"}, [f"jar=j{n}; Path=/"]))
        return ok({})

    target = Target(answer)
    first, second = JourneyState(5), JourneyState(6)
    shop.perform(ADD, first, target)
    shop.perform(PAY, first, target)
    shop.perform(ADD, second, target)
    assert [(r.path, r.headers.get("X-Session"), r.headers.get("Cookie")) for r in target.sent] == [
        ("/sessions", None, None), ("/cart/add", "s1", "jar=j1"), ("/pay", "s1", "jar=j1"),
        ("/sessions", None, None), ("/cart/add", "s2", "jar=j2"),
    ]  # fmt: skip
    assert target.sent[0].json == {"customer": "c-5"}
    assert target.sent[0].name == "login: customer"


class _Cookies(dict[str, str]):
    def __init__(self, headers: dict[str, str], cookies: list[str]) -> None:
        super().__init__(headers)
        self.cookies = cookies

    def get_list(self, name: str) -> list[str]:
        return self.cookies if name == "set-cookie" else []


def test_a_refused_login_fails_the_step_as_unauthorised(tmp_path: Path) -> None:
    shop = mapping(tmp_path, SESSIONS)
    got = shop.perform(ADD, JourneyState(5), Target(lambda r: ok({"detail": "no"}, 401)))[1]
    assert (got.result, got.detail) == ("unauthorised", "login customer: no")


def test_the_api_token_goes_only_where_a_profile_puts_it(tmp_path: Path) -> None:
    text = """
auth = "api"
[profiles.api]
headers = { Authorization = "Bearer ${token}" }
[steps.pay]
path = "/pay"
[steps.browse]
method = "GET"
path = "/c"
auth = "none"
"""
    browse = Step("browse", 0.0, {"customer": 1, "channel": "web"})
    with_token, without = mapping(tmp_path, text, "t0k"), mapping(tmp_path, text)
    assert with_token.request(PAY, JourneyState()).headers == {"Authorization": "Bearer t0k"}  # type: ignore[union-attr]
    assert with_token.request(browse, JourneyState()).headers == {}  # type: ignore[union-attr]
    assert without.request(PAY, JourneyState()).headers == {}  # type: ignore[union-attr]


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(base_url=TARGET, transport=httpx.MockTransport(handler))


ADMIN = """
[profiles.admin]
headers = { Authorization = "Token ${admin}" }
login = { path = "/login", body = { password = "${env.SHOP_PASSWORD}" }, capture.admin = "token" }
[lookups.variant]
path = "/variants?page=${page}"
auth = "admin"
rows = "results[*]"
key = "sku"
value = "id"
pages = { page = 1 }
[prepare]
verify = true
[[prepare.requests]]
each = "initial"
method = "PUT"
auth = "admin"
path = "/stock/${location}/${variant[sku]}"
body = { on_hand = "${qty}" }
[state.stock]
auth = "admin"
path = "/products?skip=${skip}&take=${take}"
pages = { take = 2, total = "total" }
rows = "items[*].variants[*].stock[*]"
location = "at"
sku = { path = "^.id", via = "variant" }
on_hand = "n"
"""


class Shop:
    """A fake backend for prepare and final state: variants paged by number, products by
    skip/take, an admin login; ``stock`` is what PUT /stock sets."""

    def __init__(self) -> None:
        self.stock: dict[tuple[str, int], int] = {}
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        if request.url.path == "/login":
            good = json.loads(request.content) == {"password": "pw"}
            return httpx.Response(200 if good else 401, json={"token": "adm"})
        if request.headers.get("authorization") != "Token adm":
            return httpx.Response(403, json={"detail": "admins only"})
        if request.url.path == "/variants":
            page = int(request.url.params["page"])
            rows = [[{"sku": "TEE", "id": 101}, {"sku": "CAP", "id": 102}], []][page - 1]
            return httpx.Response(200, json={"results": rows})
        if request.method == "PUT":
            _, _, loc, variant = request.url.path.split("/")
            self.stock[loc, int(variant)] = json.loads(request.content)["on_hand"]
            return httpx.Response(204)
        skip, take = int(request.url.params["skip"]), int(request.url.params["take"])
        products = [
            {"variants": [{"id": v, "stock": [{"at": loc, "n": n}]}]}
            for (loc, v), n in sorted(self.stock.items())
        ]
        return httpx.Response(200, json={"items": products[skip : skip + take],
                                         "total": len(products)})  # fmt: skip


def test_prepare_logs_in_reads_a_paged_lookup_sets_the_stock_and_verifies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_PASSWORD", "pw")
    shop, backend = mapping(tmp_path, ADMIN), Shop()
    initial = {("S01", "TEE"): 4, ("WH1", "TEE"): 9, ("S01", "CAP"): 1}
    with _client(backend) as http:
        shop.prepare(http, initial)
        final = shop.final_state(http)
    assert backend.stock == {("S01", 101): 4, ("WH1", 101): 9, ("S01", 102): 1}
    assert final.stock == {("S01", "TEE"): (4, 0), ("WH1", "TEE"): (9, 0), ("S01", "CAP"): (1, 0)}
    assert backend.seen[:3] == ["POST /login?", "GET /variants?page=1", "GET /variants?page=2"]
    assert backend.seen[-2:] == ["GET /products?skip=0&take=2", "GET /products?skip=2&take=2"]


def test_a_refused_prepare_stops_the_run_and_a_refused_read_is_not_an_empty_stock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_PASSWORD", "wrong")
    shop = mapping(tmp_path, ADMIN)
    with _client(Shop()) as http, pytest.raises(ReplayRefused) as refused:
        shop.prepare(http, {("S01", "TEE"): 4})
    assert "login: admin: POST /login was unauthorised (status 401)" in str(refused.value)
    monkeypatch.setenv("SHOP_PASSWORD", "pw")
    backend = Shop()
    with _client(backend) as http:
        shop.prepare(http, {("S01", "TEE"): 4})
    backend.stock.clear()
    with (
        _client(lambda r: _unless(r, "/products", 403, backend)) as http,
        pytest.raises(ReplayRefused) as unread,
    ):
        shop.final_state(http)
    assert str(unread.value) == (
        "state: stock (page 1): GET /products?skip=0&take=2 was unauthorised: "
        "admins only (status 403)"
    )


def _unless(request: httpx.Request, path: str, status: int, then: Shop) -> httpx.Response:
    if request.url.path == path:
        return httpx.Response(status, json={"detail": "admins only"})
    return then(request)


def test_orders_are_read_through_next_links_with_their_legs(tmp_path: Path) -> None:
    shop = mapping(tmp_path, """
[state.orders]
path = "/orders"
pages = { next = "next" }
rows = "results[*]"
order = "number"
paid = "paid"
cancelled = { path = "status", equals = "cancelled" }
legs = { rows = "shipments[*]", location = "from", status = "state" }
""")  # fmt: skip
    pages = {
        "/orders": {"results": [{"number": "7", "paid": "9.50", "status": "open",
                                 "shipments": [{"from": "S01", "state": "shipped"}]}],
                    "next": f"{TARGET}/orders?page=2"},
        "/orders?page=2": {"results": [{"number": "A-8", "status": "cancelled"}], "next": None},
    }  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode()
        return httpx.Response(200, json=pages[request.url.path + (f"?{query}" if query else "")])

    with _client(handler) as http:
        final = shop.final_state(http)
    assert final.stock is None
    assert final.orders == {
        7: {"paid": 9.5, "cancelled": False, "legs": {"S01": "shipped"}},
        "A-8": {"paid": 0.0, "cancelled": True, "legs": {}},
    }


def test_a_next_link_to_another_host_is_refused(tmp_path: Path) -> None:
    shop = mapping(tmp_path, '[state.orders]\npath = "/o"\npages = { next = "next" }\n')

    def handler(request: httpx.Request) -> httpx.Response:
        return (
            httpx.Response(200, json=[{"order": 1}])
            if False
            else httpx.Response(200, json={"next": "http://elsewhere:9/o?page=2"})
        )

    with _client(handler) as http, pytest.raises(ReplayRefused, match="refused to follow"):
        shop.final_state(http)


def test_a_version_1_mapping_is_refused_with_a_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text('[steps.pay]\npath = "/orders/{order}/pay"\ncapture = { order = "id" }\n')
    with pytest.raises(InputError) as refused:
        MappingAdapter.load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: version: expected a version 2 mapping")
    assert "write placeholders as ${name} instead of {name}" in message
    assert "docs/engineer.md" in message


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ('[steps.pay]\npath = "/p"\ncapture = { order = "id" }\n', 4, "steps.pay.capture.order"),
        ('[steps.pay]\npath = "/p"\nheaders = { X = "${env.HOME}" }\n', 4, "steps.pay.headers.X"),
        ('[steps.pay]\npath = "/p"\nauth = "admin"\n', 4, "steps.pay.auth"),
        ('[steps.pay]\nstatus = "implicit"\npath = "/p"\n', 2, "steps.pay"),
        ('\n[state.stock]\npath = "/s"\npages = { page = 1 }\n', 4, "state.stock.path"),
        ('[steps.pay]\npath = "/o/{order}"\n', 3, "steps.pay.path"),
        ('[steps.pay]\npath = "/o/${order}/{amount}"\n', 3, "steps.pay.path"),
        ('[classify.codes]\nNO_STOCK = "stock.short"\n', 3, "classify.codes.NO_STOCK"),
        (
            '[steps.pay]\npath = "/p"\n[[steps.pay.classify.when]]\npath = "e"\n'
            'result = "refused"\nrule = "nope"\n',
            7,
            "steps.pay.classify.when[0].rule",
        ),
    ],
)
def test_mistakes_are_named_with_their_line(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("version = 2\n" + text)
    with pytest.raises(InputError) as error:
        MappingAdapter.load(path)
    assert str(error.value).startswith(f"{path}:{line}: {expected}: expected"), str(error.value)


def test_unlisted_kinds_follow_the_default_and_the_stock_is_checked_row_by_row(
    tmp_path: Path,
) -> None:
    shop = mapping(tmp_path, """
unlisted = "implicit"
[prepare.check]
path = "/stock/${location}/${sku}"
on_hand = "level.on_hand"
""")  # fmt: skip
    assert shop.perform(PAY, JourneyState(), Target(lambda r: ok({})))[1].result == "implicit"
    levels = {"/stock/S01/TEE": 4, "/stock/WH1/TEE": 2}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"level": {"on_hand": levels[request.url.path]}})

    with _client(handler) as http:
        shop.prepare(http, {("S01", "TEE"): 4, ("WH1", "TEE"): 2})
        with pytest.raises(ReplayRefused, match="WH1/TEE: expected 3, found 2"):
            shop.prepare(http, {("S01", "TEE"): 4, ("WH1", "TEE"): 3})


def test_a_relative_next_link_is_followed_as_the_target_wrote_it(tmp_path: Path) -> None:
    shop = mapping(tmp_path, """
[state.stock]
path = "/stock"
params = { size = "2" }
pages = { next = "links.next" }
rows = "items[*]"
""")  # fmt: skip
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.path}?{request.url.query.decode()}")
        first = request.url.params.get("size") == "2"
        items = [{"location": "S01", "sku": "TEE" if first else "CAP", "on_hand": 3}]
        return httpx.Response(
            200, json={"items": items, "links": {"next": "?page=2" if first else None}}
        )

    with _client(handler) as http:
        final = shop.final_state(http)
    assert seen == ["/stock?size=2", "/stock?page=2"]
    assert final.stock == {("S01", "TEE"): (3, 0), ("S01", "CAP"): (3, 0)}
