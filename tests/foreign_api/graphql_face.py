"""The shop's GraphQL face: one ``POST /graphql`` over the same shop as the REST face.

As the commerce GraphQL APIs it imitates, it answers 200 to everything it can parse, and says
no inside the answer:

- not logged in (no or unknown session, no admin token): a top-level ``errors`` entry whose
  ``extensions.code`` is ``UNAUTHENTICATED`` (and ``data`` null);
- a rule said no: the mutation's ``userErrors`` list (``code``, ``message``, ``field``);
- ``checkoutComplete`` answers a union: ``Order``, ``InsufficientStockError`` or
  ``CheckoutError``.

``sessionCreate`` gives the session token only in the ``X-Shop-Session`` response header;
requests send it back in the same header. ``adminLogin`` answers a token for
``Authorization: Bearer <token>``. Lists are pages (``page``, ``perPage``; the answer says
``totalPages``), and a product's stock is nested under it (admin only).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    build_schema,
    execute,
    parse,
    validate,
)

from tests.foreign_api.shop import Basket, Line, Order, Product, Receipt, Shop, ShopError

SDL = """
type Query {
  products(page: Int = 1, perPage: Int = 20): ProductPage!
  product(id: ID!): Product
  stockLocations(page: Int = 1, perPage: Int = 20): LocationPage!
  availability(productId: ID!, locationId: ID!): Int
  orders(page: Int = 1, perPage: Int = 20): OrderPage
}
type ProductPage { items: [Product!]! page: Int! totalPages: Int! totalCount: Int! }
type LocationPage { items: [StockLocation!]! page: Int! totalPages: Int! totalCount: Int! }
type OrderPage { items: [Order!]! page: Int! totalPages: Int! totalCount: Int! }
type Product { id: ID! sku: String! title: String! price: String! stock: [Stock!] }
type Stock { location: StockLocation! onHand: Int! allocated: Int! }
type StockLocation { id: ID! code: String! }
type Basket { id: ID! status: String! lines: [BasketLine!]! }
type BasketLine { id: ID! productId: ID! quantity: Int! }
type Order {
  id: ID! number: String! status: String! total: String! totalPaid: String!
  totalRefunded: String! lines: [OrderLine!]!
}
type OrderLine { productId: ID! quantity: Int! location: StockLocation! }
type UserError { code: String! message: String! field: String }
type InsufficientStockError { code: String! message: String! }
type CheckoutError { code: String! message: String! }
union CheckoutResult = Order | InsufficientStockError | CheckoutError
type SessionCreatePayload { ok: Boolean! }
type AdminLoginPayload { token: String userErrors: [UserError!]! }
type ShopResetPayload { products: Int! locations: Int! userErrors: [UserError!]! }
type BasketPayload { basket: Basket userErrors: [UserError!]! }
type LinePayload { line: BasketLine userErrors: [UserError!]! }
type OrderPayload { order: Order userErrors: [UserError!]! }
type StockPayload { stock: Stock userErrors: [UserError!]! }
input StockInput { locationCode: String! sku: String! quantity: Int! price: String }
input AddressInput {
  firstName: String line1: String! city: String! postcode: String! country: String!
}
type Mutation {
  sessionCreate: SessionCreatePayload!
  adminLogin(username: String!, password: String!): AdminLoginPayload!
  shopReset(records: [StockInput!]!): ShopResetPayload
  basketCreate: BasketPayload
  basketDelete(basketId: ID!): BasketPayload
  basketLinesAdd(basketId: ID!, productId: ID!, quantity: Int!): LinePayload
  basketLineUpdate(basketId: ID!, lineId: ID!, quantity: Int!): LinePayload
  checkoutShippingAddressUpdate(basketId: ID!, address: AddressInput!): BasketPayload
  checkoutPaymentMethodUpdate(basketId: ID!, method: String!): BasketPayload
  checkoutComplete(basketId: ID!): CheckoutResult
  orderPay(orderId: ID!, amount: String!): OrderPayload
  orderCancel(orderId: ID!): OrderPayload
  orderFulfil(orderId: ID!): OrderPayload
  orderReturn(orderId: ID!, productId: ID!, quantity: Int!, restock: Boolean!): OrderPayload
  stockReceive(productId: ID!, locationId: ID!, quantity: Int!): StockPayload
  stockAdjust(productId: ID!, locationId: ID!, delta: Int!, reason: String): StockPayload
}
"""

SESSION_HEADER = "X-Shop-Session"
router = APIRouter()
Resolver = Callable[..., Any]


class Context:
    """Who asks, and the headers the answer will carry."""

    def __init__(self, shop: Shop, session: str | None, admin: str | None) -> None:
        self.shop, self._session, self._admin = shop, session, admin
        self.headers: dict[str, str] = {}

    def customer(self) -> str:
        try:
            return self.shop.session(self._session)
        except ShopError as e:
            raise GraphQLError(e.detail, extensions={"code": "UNAUTHENTICATED"}) from None

    def admin(self) -> None:
        try:
            self.shop.admin(self._admin)
        except ShopError as e:
            raise GraphQLError(e.detail, extensions={"code": "UNAUTHENTICATED"}) from None

    def someone(self) -> str | None:
        """The session, or None for the admin."""
        if self._admin:
            self.admin()
            return None
        return self.customer()


def _id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ShopError(404, f"{what.upper()}_NOT_FOUND", f"no {what} {value!r}") from None


def _money(value: str) -> Decimal:
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ShopError(400, "INVALID_AMOUNT", f"expected a decimal, got {value!r}") from None


# ------------------------------------------------------------------ representations


def product_node(shop: Shop, p: Product) -> dict[str, Any]:
    return {"id": str(p.id), "sku": p.sku, "title": p.title, "price": str(p.price), "_p": p.id}


def location_node(shop: Shop, location: uuid.UUID) -> dict[str, Any]:
    return {"id": str(location), "code": shop.locations[location].code}


def line_node(line: Line) -> dict[str, Any]:
    return {"id": str(line.id), "productId": str(line.product), "quantity": line.quantity}


def basket_node(basket: Basket) -> dict[str, Any]:
    lines = [line_node(x) for x in basket.lines.values()]
    return {"id": str(basket.id), "status": basket.status, "lines": lines}


def order_node(shop: Shop, order: Order) -> dict[str, Any]:
    return {
        "__typename": "Order",
        "id": str(order.id),
        "number": order.number,
        "status": order.status,
        "total": str(order.total),
        "totalPaid": str(order.paid),
        "totalRefunded": str(order.refunded),
        "lines": [
            {
                "productId": str(x.product),
                "quantity": x.quantity,
                "location": location_node(shop, x.location),
            }
            for x in order.lines
        ],
    }


def paged(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    if page < 1 or not 1 <= per_page <= 100:
        raise GraphQLError(f"page {page} of size {per_page}", extensions={"code": "BAD_USER_INPUT"})
    pages = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    return {"items": chunk, "page": page, "totalPages": pages, "totalCount": len(items)}


def user_errors(key: str, do: Callable[[], Any]) -> dict[str, Any]:
    """``{key: do(), userErrors: []}``, or the refusal as one user error."""
    try:
        return {key: do(), "userErrors": []}
    except ShopError as e:
        return {key: None, "userErrors": [{"code": e.code, "message": e.detail, "field": None}]}


# ------------------------------------------------------------------ queries


def _products(_root: Any, info: GraphQLResolveInfo, page: int, perPage: int) -> Any:
    shop = info.context.shop
    with shop.lock:
        return paged([product_node(shop, p) for p in shop.product_list()], page, perPage)


def _product(_root: Any, info: GraphQLResolveInfo, id: str) -> Any:
    shop = info.context.shop
    with shop.lock:
        found = shop.products.get(_id(id, "product"))
        return product_node(shop, found) if found else None


def _locations(_root: Any, info: GraphQLResolveInfo, page: int, perPage: int) -> Any:
    shop = info.context.shop
    with shop.lock:
        found = [location_node(shop, loc.id) for loc in shop.location_list()]
        return paged(found, page, perPage)


def _availability(_root: Any, info: GraphQLResolveInfo, productId: str, locationId: str) -> Any:
    info.context.customer()
    shop = info.context.shop
    try:
        return shop.available(_id(productId, "product"), _id(locationId, "location"))
    except ShopError as e:
        raise GraphQLError(e.detail, extensions={"code": e.code}) from None


def _orders(_root: Any, info: GraphQLResolveInfo, page: int, perPage: int) -> Any:
    info.context.admin()
    shop = info.context.shop
    with shop.lock:
        return paged([order_node(shop, o) for o in shop.order_list()], page, perPage)


def _stock(product: dict[str, Any], info: GraphQLResolveInfo) -> Any:
    info.context.admin()
    shop = info.context.shop
    with shop.lock:
        return [
            {
                "location": location_node(shop, r.location),
                "onHand": r.num_in_stock,
                "allocated": r.num_allocated,
            }
            for r in shop.stock_list()
            if r.product == product["_p"]
        ]


# ------------------------------------------------------------------ mutations


def _session_create(_root: Any, info: GraphQLResolveInfo) -> Any:
    info.context.headers[SESSION_HEADER] = info.context.shop.new_session()
    return {"ok": True}


def _admin_login(_root: Any, info: GraphQLResolveInfo, username: str, password: str) -> Any:
    return user_errors("token", lambda: info.context.shop.login(username, password))


def _reset(_root: Any, info: GraphQLResolveInfo, records: list[dict[str, Any]]) -> Any:
    info.context.admin()
    shop = info.context.shop
    rows = [
        Receipt(r["locationCode"], r["sku"], r["quantity"], _money(r.get("price") or "10.00"))
        for r in records
    ]
    out = user_errors("products", lambda: shop.reset(rows))
    return out | {"products": len(shop.products), "locations": len(shop.locations)}


def _basket_create(_root: Any, info: GraphQLResolveInfo) -> Any:
    who, shop = info.context.customer(), info.context.shop
    return user_errors("basket", lambda: basket_node(shop.basket_create(who)))


def _basket_delete(_root: Any, info: GraphQLResolveInfo, basketId: str) -> Any:
    who, shop = info.context.customer(), info.context.shop

    def do() -> Any:
        basket_id = _id(basketId, "basket")
        shop.basket_delete(who, basket_id)
        return basket_node(shop.baskets[basket_id])

    return user_errors("basket", do)


def _lines_add(
    _root: Any, info: GraphQLResolveInfo, basketId: str, productId: str, quantity: int
) -> Any:
    who, shop = info.context.customer(), info.context.shop
    return user_errors(
        "line",
        lambda: line_node(
            shop.line_add(who, _id(basketId, "basket"), _id(productId, "product"), quantity)
        ),
    )


def _line_update(
    _root: Any, info: GraphQLResolveInfo, basketId: str, lineId: str, quantity: int
) -> Any:
    who, shop = info.context.customer(), info.context.shop
    return user_errors(
        "line",
        lambda: line_node(
            shop.line_set(who, _id(basketId, "basket"), _id(lineId, "line"), quantity)
        ),
    )


def _address(_root: Any, info: GraphQLResolveInfo, basketId: str, address: Any) -> Any:
    who, shop = info.context.customer(), info.context.shop
    plain = {"first_name": address.get("firstName") or ""} | {
        k: address[k] for k in ("line1", "city", "postcode", "country")
    }
    return user_errors(
        "basket", lambda: basket_node(shop.set_address(who, _id(basketId, "basket"), plain))
    )


def _payment(_root: Any, info: GraphQLResolveInfo, basketId: str, method: str) -> Any:
    who, shop = info.context.customer(), info.context.shop
    return user_errors(
        "basket", lambda: basket_node(shop.set_payment(who, _id(basketId, "basket"), method))
    )


def _checkout(_root: Any, info: GraphQLResolveInfo, basketId: str) -> Any:
    who, shop = info.context.customer(), info.context.shop
    try:
        with shop.lock:
            return order_node(shop, shop.checkout(who, _id(basketId, "basket")))
    except ShopError as e:
        kind = "InsufficientStockError" if e.code == "INSUFFICIENT_STOCK" else "CheckoutError"
        return {"__typename": kind, "code": e.code, "message": e.detail}


def _on_order(act: Callable[[Shop, str | None, uuid.UUID], Order], *, admin: bool = False) -> Any:
    def resolve(_root: Any, info: GraphQLResolveInfo, orderId: str, **more: Any) -> Any:
        context = info.context
        if admin:
            context.admin()
        who, shop = (None if admin else context.someone()), context.shop

        def do() -> Any:
            with shop.lock:
                return order_node(shop, act(shop, who, _id(orderId, "order"), **more))

        return user_errors("order", do)

    return resolve


def _stock_change(act: Callable[[Shop, uuid.UUID, uuid.UUID, int], Any], arg: str) -> Resolver:
    def resolve(
        _root: Any, info: GraphQLResolveInfo, productId: str, locationId: str, **more: Any
    ) -> Any:
        info.context.admin()
        shop = info.context.shop

        def do() -> Any:
            with shop.lock:
                r = act(shop, _id(productId, "product"), _id(locationId, "location"), more[arg])
                where = location_node(shop, r.location)
                return {"location": where, "onHand": r.num_in_stock, "allocated": r.num_allocated}

        return user_errors("stock", do)

    return resolve


QUERIES: dict[str, Resolver] = {
    "products": _products,
    "product": _product,
    "stockLocations": _locations,
    "availability": _availability,
    "orders": _orders,
}
MUTATIONS: dict[str, Resolver] = {
    "sessionCreate": _session_create,
    "adminLogin": _admin_login,
    "shopReset": _reset,
    "basketCreate": _basket_create,
    "basketDelete": _basket_delete,
    "basketLinesAdd": _lines_add,
    "basketLineUpdate": _line_update,
    "checkoutShippingAddressUpdate": _address,
    "checkoutPaymentMethodUpdate": _payment,
    "checkoutComplete": _checkout,
    "orderPay": _on_order(lambda s, who, o, amount: s.pay(who, o, _money(amount))),
    "orderCancel": _on_order(lambda s, who, o: s.cancel(who, o)),
    "orderFulfil": _on_order(lambda s, _who, o: s.fulfil(o), admin=True),
    "orderReturn": _on_order(
        lambda s, who, o, productId, quantity, restock: s.return_items(
            who, o, _id(productId, "product"), quantity, restock=restock
        )
    ),
    "stockReceive": _stock_change(lambda s, p, loc, q: s.receive(p, loc, q), "quantity"),
    "stockAdjust": _stock_change(lambda s, p, loc, d: s.adjust(p, loc, d), "delta"),
}


def make_schema() -> Any:
    schema = build_schema(SDL)
    for name, resolve in QUERIES.items():
        schema.query_type.fields[name].resolve = resolve  # type: ignore[union-attr]
    for name, resolve in MUTATIONS.items():
        schema.mutation_type.fields[name].resolve = resolve  # type: ignore[union-attr]
    schema.type_map["Product"].fields["stock"].resolve = _stock  # type: ignore[union-attr]
    return schema


SCHEMA = make_schema()


@functools.lru_cache(maxsize=256)
def document(source: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """A query parsed and validated once (a replay sends the same few documents again and
    again), or the errors that make it no query."""
    try:
        parsed = parse(source)
    except GraphQLError as error:
        return None, (error,)
    return parsed, tuple(validate(SCHEMA, parsed))


@router.post("/graphql")
async def graphql(request: Request) -> JSONResponse:
    try:
        payload = await request.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        error = {"message": "expected {query, variables}", "extensions": {"code": "BAD_REQUEST"}}
        return JSONResponse({"errors": [error]}, status_code=400)
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    context = Context(
        request.app.state.shop,
        request.headers.get(SESSION_HEADER),
        token if scheme == "Bearer" else None,
    )
    parsed, errors = document(payload["query"])
    if parsed is None or errors:
        return JSONResponse(ExecutionResult(None, list(errors)).formatted)
    result = execute(
        SCHEMA,
        parsed,
        context_value=context,
        variable_values=payload.get("variables") or None,
        operation_name=payload.get("operationName"),
    )
    assert isinstance(result, ExecutionResult)  # no resolver is async
    return JSONResponse(result.formatted, headers=context.headers)
