"""The shop's REST face: hyperlinked, paginated, a session header, a token for the admin.

- A customer is a session: ``POST /api/sessions/`` (or any catalogue read sent without one)
  answers with a new token in the ``X-Session`` header; every basket, checkout and order
  request sends it back in ``X-Session``. None or an unknown one: 401.
- Products, stock locations, baskets, lines and orders are named by absolute URLs with UUIDs
  (``http://host/api/products/<uuid>/``); a basket line is added by the product's URL.
- A checkout is three requests: the basket's shipping address, its payment method, then
  ``POST /api/checkout/`` with the basket's URL, which allocates the stock.
- The admin logs in (``POST /api/admin/login/``) for a token sent as
  ``Authorization: Token <token>``; it resets the shop, receives and adjusts stock, fulfils
  orders and lists stock records and orders.
- Lists are pages: ``{count, next, previous, total_pages, results}``, ``next`` an absolute URL.
- Refusals are ``{"code": ..., "detail": ...}`` with 400, 401, 404, 406 or 409; a request whose
  ``Accept`` does not allow JSON gets 406.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel

from tests.foreign_api.shop import (
    Basket,
    Line,
    Location,
    Order,
    Product,
    Shop,
    ShopError,
    StockRecord,
)

router = APIRouter(prefix="/api")
_URL = r"/api/{}/([0-9a-fA-F-]{{36}})/?$"


def shop_of(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


ShopDep = Annotated[Shop, Depends(shop_of)]


def customer(shop: ShopDep, x_session: Annotated[str | None, Header()] = None) -> str:
    return shop.session(x_session)


def admin(shop: ShopDep, authorization: Annotated[str | None, Header()] = None) -> None:
    scheme, _, token = (authorization or "").partition(" ")
    shop.admin(token if scheme == "Token" else None)


def customer_or_admin(
    shop: ShopDep,
    x_session: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str | None:
    """The session, or None for the admin (who may act on any order)."""
    if authorization:
        admin(shop, authorization)
        return None
    return shop.session(x_session)


Customer = Annotated[str, Depends(customer)]
Admin = Depends(admin)


def uuid_in(url: str, collection: str, field: str) -> uuid.UUID:
    """The UUID of an absolute URL or a path of ``collection`` (``/api/products/<uuid>/``)."""
    found = re.search(_URL.format(collection), url)
    if found is None:
        raise ShopError(
            400, "INVALID_REQUEST", f"{field}: expected a {collection} URL, got {url!r}"
        )
    return uuid.UUID(found.group(1))


# ------------------------------------------------------------------ representations


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def product_repr(request: Request, p: Product) -> dict[str, Any]:
    url = f"{_base(request)}/api/products/{p.id}/"
    return {"url": url, "id": str(p.id), "sku": p.sku, "title": p.title, "price": str(p.price)}


def location_repr(request: Request, loc: Location) -> dict[str, Any]:
    return {"url": f"{_base(request)}/api/locations/{loc.id}/", "id": str(loc.id), "code": loc.code}


def line_repr(request: Request, basket: Basket, line: Line) -> dict[str, Any]:
    base = _base(request)
    return {
        "url": f"{base}/api/baskets/{basket.id}/lines/{line.id}/",
        "product": f"{base}/api/products/{line.product}/",
        "quantity": line.quantity,
    }


def basket_repr(request: Request, basket: Basket) -> dict[str, Any]:
    url = f"{_base(request)}/api/baskets/{basket.id}/"
    lines = [line_repr(request, basket, x) for x in basket.lines.values()]
    return {"url": url, "id": str(basket.id), "status": basket.status, "lines": lines}


def order_repr(request: Request, order: Order) -> dict[str, Any]:
    base = _base(request)
    return {
        "url": f"{base}/api/orders/{order.id}/",
        "id": str(order.id),
        "number": order.number,
        "status": order.status,
        "total": str(order.total),
        "total_paid": str(order.paid),
        "total_refunded": str(order.refunded),
        "lines": [
            {
                "product": f"{base}/api/products/{x.product}/",
                "quantity": x.quantity,
                "stock_location": f"{base}/api/locations/{x.location}/",
                "fulfilled": x.fulfilled,
                "returned": x.returned,
            }
            for x in order.lines
        ],
    }


def record_repr(request: Request, r: StockRecord) -> dict[str, Any]:
    base = _base(request)
    return {
        "product": f"{base}/api/products/{r.product}/",
        "location": f"{base}/api/locations/{r.location}/",
        "num_in_stock": r.num_in_stock,
        "num_allocated": r.num_allocated,
    }


def paginate(request: Request, items: list[Any], number: int, size: int) -> dict[str, Any]:
    """One page of ``items``, with the absolute URLs of the next and previous pages."""
    if number < 1 or not 1 <= size <= 100:
        raise ShopError(400, "INVALID_PAGE", f"page {number} of size {size}")
    pages = max(1, -(-len(items) // size))
    here = request.url.remove_query_params("page")

    def link(n: int) -> str | None:
        return str(here.include_query_params(page=n)) if 1 <= n <= pages else None

    return {
        "count": len(items),
        "total_pages": pages,
        "next": link(number + 1),
        "previous": link(number - 1) if number <= pages else None,
        "results": items[(number - 1) * size : number * size],
    }


# ------------------------------------------------------------------ sessions and catalogue


@router.post("/sessions/", status_code=201)
def new_session(shop: ShopDep, response: Response) -> dict[str, Any]:
    response.headers["X-Session"] = shop.new_session()
    return {"expires_in": 3600}


@router.get("/products/")
def products(
    request: Request, shop: ShopDep, response: Response,
    x_session: Annotated[str | None, Header()] = None, *, page: int = 1, page_size: int = 20,
) -> dict[str, Any]:  # fmt: skip
    if not x_session or x_session not in shop.sessions:  # a first visit: here is a session
        response.headers["X-Session"] = shop.new_session()
    with shop.lock:
        found = [product_repr(request, p) for p in shop.product_list()]
    return paginate(request, found, page, page_size)


@router.get("/products/{product_id}/")
def product(request: Request, shop: ShopDep, product_id: uuid.UUID) -> dict[str, Any]:
    with shop.lock:
        return product_repr(request, shop.product(product_id))


@router.get("/products/{product_id}/availability/")
def availability(
    request: Request, shop: ShopDep, _who: Customer, product_id: uuid.UUID, location: str
) -> dict[str, Any]:
    where = uuid_in(location, "locations", "location")
    return {
        "product": f"{_base(request)}/api/products/{product_id}/",
        "location": f"{_base(request)}/api/locations/{where}/",
        "num_available": shop.available(product_id, where),
    }


@router.get("/locations/")
def locations(
    request: Request, shop: ShopDep, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    with shop.lock:
        found = [location_repr(request, x) for x in shop.location_list()]
    return paginate(request, found, page, page_size)


@router.get("/locations/{location_id}/")
def location(request: Request, shop: ShopDep, location_id: uuid.UUID) -> dict[str, Any]:
    with shop.lock:
        return location_repr(request, shop.location(location_id))


# ------------------------------------------------------------------ baskets and checkout


class LineIn(BaseModel):
    product: str
    quantity: int


class QuantityIn(BaseModel):
    quantity: int


class AddressIn(BaseModel):
    first_name: str = ""
    line1: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


class PaymentMethodIn(BaseModel):
    method: str


class CheckoutIn(BaseModel):
    basket: str


@router.post("/baskets/", status_code=201)
def basket_create(request: Request, shop: ShopDep, who: Customer) -> dict[str, Any]:
    return basket_repr(request, shop.basket_create(who))


@router.get("/baskets/{basket_id}/")
def basket_read(request: Request, shop: ShopDep, who: Customer, basket_id: uuid.UUID) -> Any:
    with shop.lock:
        return basket_repr(request, shop.basket(who, basket_id))


@router.delete("/baskets/{basket_id}/", status_code=204)
def basket_delete(shop: ShopDep, who: Customer, basket_id: uuid.UUID) -> Response:
    shop.basket_delete(who, basket_id)
    return Response(status_code=204)


@router.post("/baskets/{basket_id}/lines/", status_code=201)
def line_add(
    request: Request, shop: ShopDep, who: Customer, basket_id: uuid.UUID, body: LineIn
) -> dict[str, Any]:
    product_id = uuid_in(body.product, "products", "product")
    with shop.lock:
        line = shop.line_add(who, basket_id, product_id, body.quantity)
        return line_repr(request, shop.basket(who, basket_id), line)


@router.patch("/baskets/{basket_id}/lines/{line_id}/")
def line_set(
    request: Request, shop: ShopDep, who: Customer, basket_id: uuid.UUID, *, line_id: uuid.UUID,
    body: QuantityIn,
) -> dict[str, Any]:  # fmt: skip
    with shop.lock:
        line = shop.line_set(who, basket_id, line_id, body.quantity)
        return line_repr(request, shop.basket(who, basket_id), line)


@router.put("/baskets/{basket_id}/shipping-address/")
def address(
    request: Request, shop: ShopDep, who: Customer, basket_id: uuid.UUID, body: AddressIn
) -> dict[str, Any]:
    with shop.lock:
        return basket_repr(request, shop.set_address(who, basket_id, body.model_dump()))


@router.put("/baskets/{basket_id}/payment-method/")
def payment_method(
    request: Request, shop: ShopDep, who: Customer, basket_id: uuid.UUID, body: PaymentMethodIn
) -> dict[str, Any]:
    with shop.lock:
        return basket_repr(request, shop.set_payment(who, basket_id, body.method))


@router.post("/checkout/", status_code=201)
def checkout(request: Request, shop: ShopDep, who: Customer, body: CheckoutIn) -> Any:
    basket_id = uuid_in(body.basket, "baskets", "basket")
    with shop.lock:
        return order_repr(request, shop.checkout(who, basket_id))


# ------------------------------------------------------------------ orders

Someone = Annotated[str | None, Depends(customer_or_admin)]


class PaymentIn(BaseModel):
    amount: str


class ReturnIn(BaseModel):
    product: str
    quantity: int
    restock: bool = True


def _money(value: str) -> Decimal:
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ShopError(
            400, "INVALID_AMOUNT", f"amount: expected a decimal, got {value!r}"
        ) from None


@router.get("/orders/{order_id}/")
def order_read(request: Request, shop: ShopDep, who: Someone, order_id: uuid.UUID) -> Any:
    with shop.lock:
        return order_repr(request, shop.order(who, order_id))


@router.post("/orders/{order_id}/payments/", status_code=201)
def pay(
    request: Request, shop: ShopDep, who: Someone, order_id: uuid.UUID, body: PaymentIn
) -> dict[str, Any]:
    with shop.lock:
        return order_repr(request, shop.pay(who, order_id, _money(body.amount)))


@router.post("/orders/{order_id}/cancel/")
def cancel(request: Request, shop: ShopDep, who: Someone, order_id: uuid.UUID) -> Any:
    with shop.lock:
        return order_repr(request, shop.cancel(who, order_id))


@router.post("/orders/{order_id}/returns/", status_code=201)
def return_items(
    request: Request, shop: ShopDep, who: Someone, order_id: uuid.UUID, body: ReturnIn
) -> dict[str, Any]:
    product_id = uuid_in(body.product, "products", "product")
    with shop.lock:
        done = shop.return_items(who, order_id, product_id, body.quantity, restock=body.restock)
        return order_repr(request, done)
