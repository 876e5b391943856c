"""The shop's REST admin: a login for a token, the reset that sets the initial stock, stock
receipts and adjustments, fulfilment, and the paged lists the final state is read from."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from tests.foreign_api.rest import (
    Admin,
    ShopDep,
    order_repr,
    paginate,
    record_repr,
    uuid_in,
)
from tests.foreign_api.shop import DEFAULT_PRICE, Receipt

router = APIRouter(prefix="/api/admin")


class LoginIn(BaseModel):
    username: str
    password: str


class RecordIn(BaseModel):
    location_code: str
    sku: str
    num_in_stock: int
    price: Decimal = DEFAULT_PRICE


class ResetIn(BaseModel):
    records: list[RecordIn]


class StockIn(BaseModel):
    product: str
    location: str
    quantity: int


class AdjustmentIn(BaseModel):
    product: str
    location: str
    delta: int
    reason: str = ""


@router.post("/login/")
def login(shop: ShopDep, body: LoginIn) -> dict[str, str]:
    return {"token": shop.login(body.username, body.password)}


@router.post("/reset/", dependencies=[Admin])
def reset(shop: ShopDep, body: ResetIn) -> dict[str, int]:
    shop.reset(Receipt(r.location_code, r.sku, r.num_in_stock, r.price) for r in body.records)
    return {"products": len(shop.products), "locations": len(shop.locations)}


def _place(body: StockIn | AdjustmentIn) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid_in(body.product, "products", "product"), uuid_in(
        body.location, "locations", "location"
    )


@router.post("/stock-receipts/", status_code=201, dependencies=[Admin])
def receive(request: Request, shop: ShopDep, body: StockIn) -> dict[str, Any]:
    with shop.lock:
        return record_repr(request, shop.receive(*_place(body), body.quantity))


@router.post("/stock-adjustments/", status_code=201, dependencies=[Admin])
def adjust(request: Request, shop: ShopDep, body: AdjustmentIn) -> dict[str, Any]:
    with shop.lock:
        return record_repr(request, shop.adjust(*_place(body), body.delta))


@router.post("/orders/{order_id}/fulfil/", dependencies=[Admin])
def fulfil(request: Request, shop: ShopDep, order_id: uuid.UUID) -> dict[str, Any]:
    with shop.lock:
        return order_repr(request, shop.fulfil(order_id))


@router.get("/stockrecords/", dependencies=[Admin])
def stockrecords(
    request: Request, shop: ShopDep, page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    with shop.lock:
        found = [record_repr(request, r) for r in shop.stock_list()]
    return paginate(request, found, page, page_size)


@router.get("/orders/", dependencies=[Admin])
def orders(request: Request, shop: ShopDep, page: int = 1, page_size: int = 20) -> dict[str, Any]:
    with shop.lock:
        found = [order_repr(request, o) for o in shop.order_list()]
    return paginate(request, found, page, page_size)
