"""The reference API: the domain deciders behind HTTP, so load tests run out of the box.

Every write turns a JSON body into a domain command, decides it under one lock, appends its
events to the event log and answers with them. Domain refusals are RFC 9457 problem details
(409, or 404 for an unknown id, 422 for a malformed command) that carry the rule, the ids and
the quantities; nothing is ever a 500 for bad input. Writes need a bearer token (from
``OMNICANAL_API_TOKEN`` or a token file), accept an ``Idempotency-Key`` (a retried request
with the same key gets the same answer and writes nothing twice), and the server clock is
minutes since it started, unless the client sends ``X-Sim-Time`` (the replay does).
"""

from __future__ import annotations

import dataclasses
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictFloat
from pydantic.json_schema import SkipJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException

from loadtests.reference_api.store import EventStore, MemoryStore, NewEvent, VersionConflict
from simulation.domain.backend import Backend
from simulation.domain.commands import (
    AbandonCart,
    AddToCart,
    CancelOrder,
    CapturePayment,
    Command,
    DeliverLeg,
    ExpireHold,
    ExpireReservations,
    FenceStock,
    FillBackorder,
    HandOverLeg,
    Leg,
    LegLine,
    MoveCart,
    OpenCart,
    PickUpLeg,
    PlaceBackorder,
    PlaceHold,
    PlaceOrder,
    ReceiveStock,
    RemoveFromCart,
    ReturnItems,
    SetSafetyStock,
    ShipLeg,
    TransferStock,
    WriteOffStock,
)
from simulation.domain.errors import DomainError, MalformedCommand, UnknownAggregate
from simulation.domain.events import Event
from simulation.domain.orders import OrderState
from simulation.eventlog import event_from_row
from simulation.types import (
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    ReturnMode,
    SimTime,
    SkuId,
)

PROBLEM = "application/problem+json"
POSITION = "X-Event-Position"
"""Response header of every write: the store position after it (or, for a refusal, the
position it was decided at), so a client can order what it saw the way the server decided it."""


def _not_bool(value: Any) -> Any:
    # JSON Schema counts 620.0 as an integer but never `true`; pydantic's lax int takes both.
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true or false")
    return value


Whole = Annotated[int, BeforeValidator(_not_bool)]


class Problem(BaseModel):
    """RFC 9457 problem details, as every refusal is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = None
    field: str | None = None
    expected: str | None = None
    context: dict[str, Any] | None = None


def _documented(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM: {"schema": Problem.model_json_schema()}},
    }


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("A body that is not JSON"),
    401: _documented("No valid bearer token for a write or an admin read"),
    404: _documented("An unknown cart, order or action"),
    409: _documented("A domain rule refused the command, or another writer got there first"),
    422: _documented("A malformed body, path or query, naming the field"),
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewCart(Body):
    customer: Whole = Field(ge=0)
    cart: Whole = Field(ge=0)
    channel: Channel


class NewItem(Body):
    sku: str = Field(min_length=1)
    qty: Whole = Field(gt=0)
    unit_price: StrictFloat = Field(gt=0)
    reserve_at: str | None = None
    ttl: StrictFloat = Field(default=30.0, ge=0)


class Quantity(Body):
    qty: Whole = Field(gt=0)


class Move(Body):
    channel: Channel


class Reason(Body):
    reason: str = Field(default="customer", min_length=1)


class LineBody(Body):
    sku: str = Field(min_length=1)
    qty: Whole = Field(gt=0)


class LegBody(Body):
    location: str = Field(min_length=1)
    mode: FulfilmentMode
    lines: list[LineBody] = Field(min_length=1)


class NewOrder(Body):
    order: Whole = Field(ge=0)
    cart: Whole = Field(ge=0)
    legs: list[LegBody] = Field(min_length=1)


class Payment(Body):
    amount: StrictFloat = Field(ge=0)


class Hold(Body):
    hold_minutes: StrictFloat = Field(ge=0)


class NewReturn(Body):
    sku: str = Field(min_length=1)
    qty: Whole = Field(gt=0)
    location: str = Field(min_length=1)
    return_mode: ReturnMode
    restock: StrictBool = True


class NewBackorder(Body):
    customer: Whole = Field(ge=0)
    order: Whole = Field(ge=0)
    channel: Channel
    location: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    qty: Whole = Field(gt=0)
    unit_price: StrictFloat = Field(gt=0)
    mode: FulfilmentMode = FulfilmentMode.HOME_DELIVERY


class Receipt(Body):
    location: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    qty: Whole = Field(gt=0)


class Arrival(Receipt):
    reason: str = Field(default="replenishment", min_length=1)


class Reset(Body):
    stock: list[Receipt]


class Level(Body):
    location: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    level: Whole = Field(ge=0)


class Fence(Level):
    channel: Channel


class WriteOff(Receipt):
    reason: str = Field(min_length=1)


class Transfer(Receipt):
    to: str = Field(min_length=1)


@dataclass
class State:
    """The server's state: the event store, the backend folded from it, one lock."""

    token: str | None
    store: EventStore = field(default_factory=MemoryStore)
    backend: Backend = field(default_factory=Backend)
    version: int = 0  # of the store's one stream, as this process last wrote or read it
    position: int = 0  # the last store position folded into the backend
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.monotonic)

    def now(self, sim_time: float | None) -> SimTime:
        return SimTime(sim_time if sim_time is not None else (time.monotonic() - self.started) / 60)


def _event_json(event: Event) -> dict[str, Any]:
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"type": event.TYPE, **{k: v for k, v in fields.items() if v is not None}}


def _problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def create_app(
    token: str | None = None,
    *,
    initial: list[Receipt] | None = None,
    store: EventStore | None = None,
    catalogue: list[dict[str, Any]] | None = None,
    locations: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """The API over ``store`` (in memory by default).

    A store that already holds events is folded into the backend first (a restart); an empty
    one receives the ``initial`` stock.
    """
    state = State(token=token, store=store or MemoryStore())
    app = FastAPI(title="omnicanal reference API", version="0.1.0", responses=RESPONSES)
    app.state.omnicanal = state
    _recover(state)
    _receive_initial(state, [] if state.version else initial or [])

    def handle(key: str | None, build: Callable[[], Command]) -> JSONResponse:
        command = build()  # a malformed command fails here, before the lock
        with state.lock:  # the key is checked and stored under the same lock as the write
            earlier = _earlier_answer(state, key) if key is not None else None
            if earlier is not None:
                return JSONResponse(earlier)
            try:
                body = {"events": [_event_json(e) for e in _decide(state, command, key)]}
            except DomainError as error:
                answer = _refusal(error)
                answer.headers[POSITION] = str(state.position)
                return answer
            position = state.position
        return JSONResponse(body, headers={POSITION: str(position)})

    _answer_problems(app)
    _add_listings(app, catalogue or [], locations or [])
    _add_backorders(app, state, handle)
    _add_reset(app, state)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "events": state.store.last_position()}

    @app.get("/stock/{location}/{sku}")
    def stock(location: str, sku: str, channel: Channel = Channel.WEB) -> dict[str, Any]:
        level = state.backend.stock_level(LocationId(location), SkuId(sku))
        return {
            "location": location, "sku": sku, "on_hand": level.on_hand,
            "reserved": level.reserved_total, "available": level.available_to(channel),
            "channel": channel.value,
        }  # fmt: skip

    @app.post("/carts", status_code=200)
    def open_cart(body: NewCart, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(
            key,
            lambda: OpenCart(
                at=state.now(at),
                customer=CustomerId(body.customer),
                cart=CartId(body.cart),
                channel=body.channel,
            ),
        )

    @app.post("/carts/{cart}/items")
    def add(
        cart: CartPath, body: NewItem, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        where = LocationId(body.reserve_at) if body.reserve_at else None
        return handle(
            key,
            lambda: AddToCart(
                at=state.now(at), cart=CartId(cart), sku=SkuId(body.sku), qty=body.qty,
                unit_price=body.unit_price, reserve_at=where, ttl=body.ttl,
            ),
        )  # fmt: skip

    @app.post("/carts/{cart}/items/{sku}/remove")
    def remove(
        cart: CartPath, sku: str, body: Quantity, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key,
            lambda: RemoveFromCart(
                at=state.now(at), cart=CartId(cart), sku=SkuId(sku), qty=body.qty
            ),
        )

    @app.post("/carts/{cart}/move")
    def move(
        cart: CartPath, body: Move, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key, lambda: MoveCart(at=state.now(at), cart=CartId(cart), channel=body.channel)
        )

    @app.post("/carts/{cart}/abandon")
    def abandon(
        cart: CartPath, body: Reason, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key, lambda: AbandonCart(at=state.now(at), cart=CartId(cart), reason=body.reason)
        )

    @app.post("/carts/{cart}/expire")
    def expire_cart(cart: CartPath, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(key, lambda: ExpireReservations(at=state.now(at), cart=CartId(cart)))

    @app.post("/orders")
    def place(body: NewOrder, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        legs = tuple(
            Leg(location=LocationId(leg.location), mode=leg.mode,
                lines=tuple(LegLine(sku=SkuId(line.sku), qty=line.qty) for line in leg.lines))
            for leg in body.legs
        )  # fmt: skip
        return handle(
            key,
            lambda: PlaceOrder(
                at=state.now(at), order=OrderId(body.order), cart=CartId(body.cart), legs=legs
            ),
        )

    @app.post("/orders/{order}/payment")
    def pay(
        order: OrderPath, body: Payment, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key, lambda: CapturePayment(at=state.now(at), order=OrderId(order), amount=body.amount)
        )

    @app.post("/orders/{order}/cancel")
    def cancel(
        order: OrderPath, body: Reason, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key, lambda: CancelOrder(at=state.now(at), order=OrderId(order), reason=body.reason)
        )

    @app.post("/orders/{order}/legs/{location}/hold")
    def hold(
        order: OrderPath, location: str, body: Hold, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(
            key,
            lambda: PlaceHold(
                at=state.now(at),
                order=OrderId(order),
                location=LocationId(location),
                hold_minutes=body.hold_minutes,
            ),
        )

    @app.post("/orders/{order}/legs/{location}/{action}")
    def leg_action(
        order: OrderPath, location: str, action: str, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        kind = _LEG_ACTIONS.get(action)
        if kind is None:
            return _problem(
                404,
                "unknown action",
                f"action: expected one of {sorted(_LEG_ACTIONS)}, got {action!r}",
            )
        return handle(
            key, lambda: kind(at=state.now(at), order=OrderId(order), location=LocationId(location))
        )

    @app.post("/orders/{order}/returns")
    def give_back(
        order: OrderPath, body: NewReturn, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        return handle(key, lambda: ReturnItems(
            at=state.now(at), order=OrderId(order), sku=SkuId(body.sku), qty=body.qty,
            location=LocationId(body.location), return_mode=body.return_mode, restock=body.restock,
        ))  # fmt: skip

    @app.post("/admin/stock")
    def receive(body: Arrival, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(
            key,
            lambda: ReceiveStock(
                at=state.now(at),
                location=LocationId(body.location),
                sku=SkuId(body.sku),
                qty=body.qty,
                reason=body.reason,
            ),
        )

    @app.post("/admin/safety")
    def safety(body: Level, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(key, lambda: SetSafetyStock(
            at=state.now(at), location=LocationId(body.location), sku=SkuId(body.sku),
            level=body.level,
        ))  # fmt: skip

    @app.post("/admin/fence")
    def fence(body: Fence, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(key, lambda: FenceStock(
            at=state.now(at), location=LocationId(body.location), sku=SkuId(body.sku),
            channel=body.channel, level=body.level,
        ))  # fmt: skip

    @app.post("/admin/write-off")
    def write_off(body: WriteOff, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(key, lambda: WriteOffStock(
            at=state.now(at), location=LocationId(body.location), sku=SkuId(body.sku),
            qty=body.qty, reason=body.reason,
        ))  # fmt: skip

    @app.post("/admin/transfer")
    def transfer(body: Transfer, _: Write, at: SimClock = None, key: Key = None) -> JSONResponse:
        return handle(key, lambda: TransferStock(
            at=state.now(at), location=LocationId(body.location), to=LocationId(body.to),
            sku=SkuId(body.sku), qty=body.qty,
        ))  # fmt: skip

    @app.get("/admin/state")
    def admin_state(_: Write) -> dict[str, Any]:
        with state.lock:
            stock_rows = [
                {"location": loc, "sku": sku, "on_hand": s.on_hand, "reserved": s.reserved_total}
                for (loc, sku), s in sorted(state.backend.stock.items())
            ]
            orders = [_order_json(oid, o) for oid, o in sorted(state.backend.orders.items())]
        return {"stock": stock_rows, "orders": orders, "events": state.store.last_position()}

    return app


def _add_listings(
    app: FastAPI, catalogue: list[dict[str, Any]], locations: list[dict[str, Any]]
) -> None:
    """What is on sale and where: read-only, from the scenario the server was started with."""

    @app.get("/catalogue")
    def list_catalogue() -> list[dict[str, Any]]:
        """The skus on sale: id and price."""
        return catalogue

    @app.get("/locations")
    def list_locations() -> list[dict[str, Any]]:
        """Warehouses, stores and dark stores: id, kind, region, coordinates."""
        return locations


def _add_backorders(
    app: FastAPI, state: State, handle: Callable[[str | None, Callable[[], Command]], JSONResponse]
) -> None:
    """Backorders: out-of-stock units ordered to come, and filled when stock arrives."""

    @app.post("/backorders")
    def backorder(
        body: NewBackorder, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        """Order units that are out of stock, to be filled when stock arrives."""
        return handle(key, lambda: PlaceBackorder(
            at=state.now(at), customer=CustomerId(body.customer), channel=body.channel,
            order=OrderId(body.order), location=LocationId(body.location), sku=SkuId(body.sku),
            qty=body.qty, unit_price=body.unit_price, mode=body.mode,
        ))  # fmt: skip

    @app.post("/backorders/{order}/fill")
    def fill_backorder(
        order: OrderPath, _: Write, at: SimClock = None, key: Key = None
    ) -> JSONResponse:
        """Give a waiting backorder its units from the location's free stock."""
        return handle(key, lambda: FillBackorder(at=state.now(at), order=OrderId(order)))


def _add_reset(app: FastAPI, state: State) -> None:
    """The token-protected reset a replay uses to start from a run's initial stock."""

    @app.post("/admin/reset")
    def reset(body: Reset, _: Write) -> JSONResponse:
        """Start again from ``stock`` (a run's initial stock), so a replay starts where it did.

        The event log is append-only: an in-memory store is replaced by an empty one; a durable
        store must still be empty (start the server on a fresh ``--db`` to reset it).
        """
        with state.lock:
            if state.store.last_position() > 0:
                if not isinstance(state.store, MemoryStore):
                    detail = "reset needs an empty store: the log is append-only; use a fresh --db"
                    return _problem(409, "store.not_empty", detail, rule="store.not_empty")
                state.store, state.backend = MemoryStore(), Backend()
                state.version = state.position = 0
            for receipt in body.stock:
                _decide(state, ReceiveStock(
                    at=SimTime(0.0), location=LocationId(receipt.location), sku=SkuId(receipt.sku),
                    qty=receipt.qty, reason="initial",
                ))  # fmt: skip
        return JSONResponse({"events": state.store.last_position()})


def _answer_problems(app: FastAPI) -> None:
    """Every refusal as RFC 9457 problem details: the rule, the field, what was expected."""

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: DomainError) -> JSONResponse:
        return _refusal(error)

    @app.exception_handler(MalformedCommand)
    async def malformed(_: Request, error: MalformedCommand) -> JSONResponse:
        return _problem(
            422, "malformed command", str(error), field=error.field, expected=error.expected
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return _problem(422, "invalid request", f"{where}: {first['msg']}", field=where)

    @app.exception_handler(VersionConflict)
    async def conflict(_: Request, error: VersionConflict) -> JSONResponse:
        detail = f"{error}: another writer changed the state; nothing was written, retry"
        return _problem(409, "store.version_conflict", detail, rule="store.version_conflict")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        answer = _problem(error.status_code, "request refused", str(error.detail))
        answer.headers.update(error.headers or {})  # e.g. Allow on a 405
        return answer

    @app.exception_handler(_Unauthorised)
    async def unauthorised(_: Request, __: Exception) -> JSONResponse:
        return _problem(401, "unauthorised", "a valid bearer token is required for writes")


def _refusal(error: DomainError) -> JSONResponse:
    status = 404 if isinstance(error, UnknownAggregate) else 409
    context = {
        k: v if isinstance(v, int | float | str | bool | list) else str(v)
        for k, v in error.context.items()
    }
    return _problem(status, error.rule, error.message, rule=error.rule, context=context)


class _Unauthorised(Exception):
    pass


def _authorised(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Writes and admin reads need the bearer token (compared in constant time)."""
    token = request.app.state.omnicanal.token
    if token is None:
        return
    given = (authorization or "").removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise _Unauthorised


Write = Annotated[None, Depends(_authorised)]
CartPath = Annotated[int, Path(ge=0, description="cart id")]
OrderPath = Annotated[int, Path(ge=0, description="order id")]

# Optional headers are documented as plain number / string: a header is absent, never null.
SimClock = Annotated[float | SkipJsonSchema[None], Header(alias="X-Sim-Time")]
Key = Annotated[str | SkipJsonSchema[None], Header(alias="Idempotency-Key", min_length=1)]


_LEG_ACTIONS: dict[str, Any] = {
    "ship": ShipLeg,
    "deliver": DeliverLeg,
    "handover": HandOverLeg,
    "pickup": PickUpLeg,
    "expire": ExpireHold,
}


def _order_json(order_id: int, order: OrderState) -> dict[str, Any]:
    legs = [
        {"location": leg.location, "mode": leg.mode.value, "status": leg.status.value}
        for leg in order.legs
    ]
    return {
        "order": order_id, "paid": order.paid, "refunded": order.refunded,
        "cancelled": order.cancelled, "legs": legs,
    }  # fmt: skip


STREAM = "backend"
"""Every event goes to one stream: its version is the whole backend's, so one check guards all."""


def _earlier_answer(state: State, key: str) -> dict[str, Any] | None:
    """The answer to the write first made with ``key``, rebuilt from the store (it survives a
    restart), or None for a new key."""
    results = state.store.answer(key)
    if results is None:
        return None
    events = [
        stored.data
        for r in results
        for stored in state.store.read_all(
            r.first_position - 1, r.last_position - r.first_position + 1
        )
    ]
    return {"events": events}


def _decide(state: State, command: Command, key: str | None = None) -> list[Event]:
    """Decide, append to the store (checking nobody else wrote), then fold into the backend."""
    events = state.backend.decide(command)
    stored = [NewEvent(type=e.TYPE, data=_event_json(e)) for e in events]
    try:
        result = state.store.append(
            STREAM, stored, expected_version=state.version, idempotency_key=key
        )
    except VersionConflict:
        _recover(state)  # another process wrote: catch up, so that the client's retry works
        raise
    for event in events:
        state.backend.evolve(event)
    state.version, state.position = result.last_version, result.last_position
    return events


def _receive_initial(state: State, initial: list[Receipt]) -> None:
    """Receive the initial stock once; another server process starting on the same store may
    get there first, and then this one just folds what it wrote."""
    try:
        for receipt in initial:
            _decide(state, ReceiveStock(
                at=SimTime(0.0), location=LocationId(receipt.location), sku=SkuId(receipt.sku),
                qty=receipt.qty, reason="initial",
            ))  # fmt: skip
    except VersionConflict:
        _recover(state)


def _recover(state: State) -> None:
    """Fold what the store holds beyond what this process has seen (a restart, another writer)."""
    while page := state.store.read_all(after_position=state.position, limit=10_000):
        for stored in page:
            where = f"store position {stored.position}"
            state.backend.evolve(event_from_row(stored.data, where=where))
        state.position = page[-1].position
    state.version = state.store.stream_version(STREAM)
