"""The foreign shop's own rules and state: in memory, behind one lock.

A shop that looks nothing like the reference API, so that the replay is proven on a target
it was not built from: products and stock locations have UUIDs, a customer is a session
token, a basket reserves nothing, and stock is allocated only when an order is placed, at
the first stock location (by code) that has enough of the line's product, each line on its
own. An order's stock stays allocated (``num_allocated``) until it is fulfilled (it leaves
the location) or cancelled (it is released). Payments are taken as the payment provider
reported them; a return refunds its share of what was paid and puts the units back where
they were allocated.

``oversell`` plants a bug: the stock check at order time is skipped for that sku, so the
shop allocates units it does not have (``num_allocated`` above ``num_in_stock``, then a
negative stock once fulfilled).

Every refusal is a :class:`ShopError` with an HTTP status and a code; the REST and GraphQL
faces translate it, each in its own way.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
DEFAULT_PRICE = Decimal("10.00")


class ShopError(Exception):
    """A refusal: ``status`` (HTTP), ``code`` (the shop's error code) and its words."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail

    def __repr__(self) -> str:
        return f"ShopError(status={self.status}, code={self.code!r}, detail={self.detail!r})"


@dataclass(slots=True)
class Product:
    id: uuid.UUID
    sku: str
    title: str
    price: Decimal


@dataclass(slots=True)
class Location:
    id: uuid.UUID
    code: str


@dataclass(slots=True)
class StockRecord:
    product: uuid.UUID
    location: uuid.UUID
    num_in_stock: int = 0
    num_allocated: int = 0

    @property
    def free(self) -> int:
        return self.num_in_stock - self.num_allocated


@dataclass(slots=True)
class Line:
    id: uuid.UUID
    product: uuid.UUID
    quantity: int


@dataclass(slots=True)
class Basket:
    id: uuid.UUID
    owner: str
    lines: dict[uuid.UUID, Line] = field(default_factory=dict)
    address: dict[str, str] | None = None
    payment_method: str | None = None
    status: str = "open"


@dataclass(slots=True)
class OrderLine:
    product: uuid.UUID
    quantity: int
    location: uuid.UUID
    fulfilled: bool = False
    returned: int = 0


@dataclass(slots=True)
class Order:
    id: uuid.UUID
    number: str
    owner: str
    lines: list[OrderLine]
    total: Decimal
    status: str = "pending_payment"
    paid: Decimal = Decimal("0.00")
    refunded: Decimal = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Receipt:
    """One row of a reset: units of a sku at a location (both created when new)."""

    location: str
    sku: str
    quantity: int
    price: Decimal = DEFAULT_PRICE


class Shop:
    """The shop's state; every public method takes the lock and either changes the state
    and returns what it made, or changes nothing and raises :class:`ShopError`.

    ``owner`` is a session token; ``None`` means the admin (who may act on any order).
    """

    def __init__(self, *, admin_user: str, admin_password: str, oversell: str | None = None):
        self.lock = threading.RLock()
        self._admin = (admin_user, admin_password)
        self.oversell = oversell
        self.sessions: set[str] = set()
        self.admin_tokens: set[str] = set()
        self.products: dict[uuid.UUID, Product] = {}
        self.locations: dict[uuid.UUID, Location] = {}
        self.stock: dict[tuple[uuid.UUID, uuid.UUID], StockRecord] = {}
        self.baskets: dict[uuid.UUID, Basket] = {}
        self.orders: dict[uuid.UUID, Order] = {}

    # ------------------------------------------------------------ who is asking

    def new_session(self) -> str:
        with self.lock:
            token = secrets.token_urlsafe(16)
            self.sessions.add(token)
            return token

    def session(self, token: str | None) -> str:
        if not token or token not in self.sessions:
            raise ShopError(401, "NOT_AUTHENTICATED", "no valid session: create one first")
        return token

    def login(self, user: str, password: str) -> str:
        with self.lock:
            if (user, password) != self._admin:
                raise ShopError(401, "INVALID_CREDENTIALS", "wrong username or password")
            token = secrets.token_urlsafe(24)
            self.admin_tokens.add(token)
            return token

    def admin(self, token: str | None) -> None:
        if not token or token not in self.admin_tokens:
            raise ShopError(401, "NOT_AUTHENTICATED", "an admin token is required")

    # ------------------------------------------------------------ catalogue and stock

    def reset(self, receipts: Iterable[Receipt]) -> None:
        """Forget every basket and order and stock exactly ``receipts``. Products and stock
        locations stay (with their ids); those the receipts name for the first time are made."""
        with self.lock:
            self.stock.clear()
            self.baskets.clear()
            self.orders.clear()
            for row in receipts:
                if row.quantity < 0:
                    raise ShopError(400, "INVALID_QUANTITY", f"{row.quantity} units of {row.sku}")
                product = self._product_of(row.sku, row.price)
                location = self._location_of(row.location)
                self._record(product.id, location.id).num_in_stock += row.quantity

    def stock_catalogue(self, places: Iterable[tuple[str, str]]) -> None:
        """Make the products and stock locations of (location code, sku) pairs, with no stock:
        the catalogue a shop has before anyone load-tests it."""
        with self.lock:
            for code, sku in places:
                self._product_of(sku, DEFAULT_PRICE)
                self._location_of(code)

    def _product_of(self, sku: str, price: Decimal) -> Product:
        found = next((p for p in self.products.values() if p.sku == sku), None)
        if found is None:
            found = Product(uuid.uuid4(), sku, f"Article {sku}", price)
            self.products[found.id] = found
        return found

    def _location_of(self, code: str) -> Location:
        found = next((loc for loc in self.locations.values() if loc.code == code), None)
        if found is None:
            found = Location(uuid.uuid4(), code)
            self.locations[found.id] = found
        return found

    def _record(self, product: uuid.UUID, location: uuid.UUID) -> StockRecord:
        return self.stock.setdefault((product, location), StockRecord(product, location))

    def product(self, product_id: uuid.UUID) -> Product:
        found = self.products.get(product_id)
        if found is None:
            raise ShopError(404, "PRODUCT_NOT_FOUND", f"no product {product_id}")
        return found

    def location(self, location_id: uuid.UUID) -> Location:
        found = self.locations.get(location_id)
        if found is None:
            raise ShopError(404, "LOCATION_NOT_FOUND", f"no stock location {location_id}")
        return found

    def available(self, product_id: uuid.UUID, location_id: uuid.UUID) -> int:
        with self.lock:
            self.product(product_id)
            self.location(location_id)
            record = self.stock.get((product_id, location_id))
            return max(record.free, 0) if record else 0

    def receive(self, product_id: uuid.UUID, location_id: uuid.UUID, quantity: int) -> StockRecord:
        with self.lock:
            self.product(product_id)
            self.location(location_id)
            if quantity <= 0:
                raise ShopError(400, "INVALID_QUANTITY", f"a receipt of {quantity} units")
            record = self._record(product_id, location_id)
            record.num_in_stock += quantity
            return record

    def adjust(self, product_id: uuid.UUID, location_id: uuid.UUID, delta: int) -> StockRecord:
        """Correct the stock by ``delta`` units (negative: written off), never below what is
        allocated."""
        with self.lock:
            self.product(product_id)
            self.location(location_id)
            record = self._record(product_id, location_id)
            if delta == 0 or record.free + delta < 0:
                raise ShopError(
                    409, "INSUFFICIENT_STOCK", f"cannot adjust by {delta}: {record.free} free"
                )
            record.num_in_stock += delta
            return record

    # ------------------------------------------------------------ baskets

    def basket_create(self, owner: str) -> Basket:
        with self.lock:
            basket = Basket(uuid.uuid4(), owner)
            self.baskets[basket.id] = basket
            return basket

    def basket(self, owner: str, basket_id: uuid.UUID) -> Basket:
        found = self.baskets.get(basket_id)
        if found is None or found.owner != owner or found.status == "deleted":
            raise ShopError(404, "BASKET_NOT_FOUND", f"no basket {basket_id} in this session")
        return found

    def _open(self, owner: str, basket_id: uuid.UUID) -> Basket:
        basket = self.basket(owner, basket_id)
        if basket.status != "open":
            raise ShopError(409, "BASKET_SUBMITTED", f"basket {basket_id} is {basket.status}")
        return basket

    def basket_delete(self, owner: str, basket_id: uuid.UUID) -> None:
        with self.lock:
            self._open(owner, basket_id).status = "deleted"

    def line_add(self, owner: str, basket_id: uuid.UUID, product_id: uuid.UUID, qty: int) -> Line:
        """Add ``qty`` units (to the product's line if there is one); nothing is reserved."""
        with self.lock:
            basket = self._open(owner, basket_id)
            self.product(product_id)
            if qty <= 0:
                raise ShopError(400, "INVALID_QUANTITY", f"quantity {qty}: expected at least 1")
            line = next((x for x in basket.lines.values() if x.product == product_id), None)
            if line is None:
                line = Line(uuid.uuid4(), product_id, 0)
                basket.lines[line.id] = line
            line.quantity += qty
            return line

    def line_set(self, owner: str, basket_id: uuid.UUID, line_id: uuid.UUID, qty: int) -> Line:
        """Set a line's quantity; 0 takes the line out of the basket."""
        with self.lock:
            basket = self._open(owner, basket_id)
            line = basket.lines.get(line_id)
            if line is None:
                raise ShopError(404, "LINE_NOT_FOUND", f"no line {line_id} in basket {basket_id}")
            if qty < 0:
                raise ShopError(400, "INVALID_QUANTITY", f"quantity {qty}: expected at least 0")
            line.quantity = qty
            if qty == 0:
                del basket.lines[line_id]
            return line

    def set_address(self, owner: str, basket_id: uuid.UUID, address: dict[str, str]) -> Basket:
        with self.lock:
            missing = [k for k in ("line1", "city", "postcode", "country") if not address.get(k)]
            if missing:
                raise ShopError(400, "INVALID_ADDRESS", f"missing {', '.join(missing)}")
            basket = self._open(owner, basket_id)
            basket.address = dict(address)
            return basket

    def set_payment(self, owner: str, basket_id: uuid.UUID, method: str) -> Basket:
        with self.lock:
            if method not in {"card", "invoice", "pay_in_store"}:
                raise ShopError(400, "INVALID_PAYMENT_METHOD", f"unknown method {method!r}")
            basket = self._open(owner, basket_id)
            basket.payment_method = method
            return basket

    # ------------------------------------------------------------ orders

    def checkout(self, owner: str, basket_id: uuid.UUID) -> Order:
        """Place the basket's order, allocating every line at the first stock location (by
        code) that has enough free units: all lines or none."""
        with self.lock:
            basket = self._open(owner, basket_id)
            if basket.address is None or basket.payment_method is None:
                raise ShopError(400, "CHECKOUT_INCOMPLETE", "set the address and payment first")
            if not basket.lines:
                raise ShopError(400, "EMPTY_BASKET", f"basket {basket_id} has no lines")
            lines = [self._allocation(line) for line in basket.lines.values()]
            for line in lines:
                self.stock[line.product, line.location].num_allocated += line.quantity
            total = sum(
                (self.products[x.product].price * x.quantity for x in basket.lines.values()),
                Decimal(0),
            )
            order = Order(uuid.uuid4(), str(100001 + len(self.orders)), owner, lines, total)
            self.orders[order.id] = order
            basket.status = "submitted"
            return order

    def _allocation(self, line: Line) -> OrderLine:
        product = self.products[line.product]
        for location in sorted(self.locations.values(), key=lambda loc: loc.code):
            record = self.stock.get((product.id, location.id))
            if record is None:
                continue
            if record.free >= line.quantity or product.sku == self.oversell:
                return OrderLine(product.id, line.quantity, location.id)
        raise ShopError(
            409, "INSUFFICIENT_STOCK", f"no stock location has {line.quantity} of {product.sku}"
        )

    def order(self, owner: str | None, order_id: uuid.UUID) -> Order:
        found = self.orders.get(order_id)
        if found is None or (owner is not None and found.owner != owner):
            raise ShopError(404, "ORDER_NOT_FOUND", f"no order {order_id}")
        return found

    def pay(self, owner: str | None, order_id: uuid.UUID, amount: Decimal) -> Order:
        with self.lock:
            order = self.order(owner, order_id)
            if order.status != "pending_payment":
                raise ShopError(409, "ORDER_NOT_PAYABLE", f"order {order.number} is {order.status}")
            if amount <= 0:
                raise ShopError(400, "INVALID_AMOUNT", f"amount {amount}: expected > 0")
            order.paid, order.status = amount, "paid"
            return order

    def cancel(self, owner: str | None, order_id: uuid.UUID) -> Order:
        """Cancel an order nothing of which has left: its allocations are released and what
        was paid is refunded."""
        with self.lock:
            order = self.order(owner, order_id)
            if order.status in {"fulfilled", "cancelled"} or any(x.fulfilled for x in order.lines):
                raise ShopError(409, "ORDER_NOT_CANCELLABLE", f"order {order.number} has left")
            for line in order.lines:
                self.stock[line.product, line.location].num_allocated -= line.quantity
            order.status, order.refunded = "cancelled", order.paid
            return order

    def fulfil(self, order_id: uuid.UUID) -> Order:
        """Every allocated line leaves its location (again: nothing more happens)."""
        with self.lock:
            order = self.order(None, order_id)
            if order.status == "pending_payment":
                raise ShopError(409, "PAYMENT_REQUIRED", f"order {order.number} is not paid")
            if order.status == "cancelled":
                raise ShopError(409, "ORDER_CANCELLED", f"order {order.number} is cancelled")
            for line in order.lines:
                if not line.fulfilled:
                    record = self.stock[line.product, line.location]
                    record.num_allocated -= line.quantity
                    record.num_in_stock -= line.quantity
                    line.fulfilled = True
            order.status = "fulfilled"
            return order

    def return_items(
        self, owner: str | None, order_id: uuid.UUID, product_id: uuid.UUID, qty: int, *,
        restock: bool,
    ) -> Order:  # fmt: skip
        """Take back units that were fulfilled; refund their share of what was paid."""
        with self.lock:
            order = self.order(owner, order_id)
            line = next((x for x in order.lines if x.product == product_id), None)
            if line is None or not line.fulfilled:
                raise ShopError(409, "NOT_FULFILLED", f"order {order.number} sent no such line")
            if qty <= 0 or line.returned + qty > line.quantity:
                raise ShopError(
                    409, "RETURN_EXCEEDS_PURCHASE",
                    f"{qty} more of {line.quantity} bought, {line.returned} returned",
                )  # fmt: skip
            line.returned += qty
            if restock:
                self.stock[line.product, line.location].num_in_stock += qty
            units = sum(x.quantity for x in order.lines)
            share = (order.paid * qty / units).quantize(CENT, ROUND_HALF_UP)
            order.refunded = min(order.refunded + share, order.paid)
            return order

    # ------------------------------------------------------------ lists

    def product_list(self) -> list[Product]:
        with self.lock:
            return sorted(self.products.values(), key=lambda p: p.sku)

    def location_list(self) -> list[Location]:
        with self.lock:
            return sorted(self.locations.values(), key=lambda loc: loc.code)

    def stock_list(self) -> list[StockRecord]:
        with self.lock:
            return sorted(
                self.stock.values(),
                key=lambda r: (self.products[r.product].sku, self.locations[r.location].code),
            )

    def order_list(self) -> list[Order]:
        with self.lock:
            return sorted(self.orders.values(), key=lambda o: int(o.number))
