"""A customer's visit: a Markov chain over journey steps, moving between channels.

Each visit starts at ``discover`` in the channel the customer arrived through. After every step
the next one is drawn from the segment's transition matrix, and with the segment's
``channel_switch`` probability the next step happens in another channel (research online then
buy in store, ROPO; or browse in store then buy online). Every draw comes from the visit's own
row of uniforms (:mod:`simulation.engine.draws`), so a customer behaves the same under every
policy (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial

import simpy

from simulation.domain.commands import (
    AbandonCart,
    AddToCart,
    CapturePayment,
    Leg,
    LegLine,
    MoveCart,
    OpenCart,
    PlaceBackorder,
    PlaceOrder,
)
from simulation.domain.events import (
    CustomerArrived,
    CustomerLeft,
    SaleLost,
    StockChecked,
    TouchpointVisited,
)
from simulation.engine import operations
from simulation.engine.draws import Draws
from simulation.engine.plan import CHANNELS, MODES, NO_STOCK, STEPS, SegmentPlan, SitePlan
from simulation.engine.streams import Streams
from simulation.engine.tables import SegmentTables
from simulation.engine.world import World
from simulation.policies.fulfilment import Request
from simulation.types import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    CartId,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    SkuId,
)

MAX_STEPS = 30
"""Most steps a visit runs; one that has not ended by then leaves (``too_many_steps``)."""
FIRST_STEP = "discover"
"""Where every visit starts, in the channel it arrived through."""
COME_BACK_MINUTES = 4 * MINUTES_PER_HOUR
"""Mean wait of a ``come_back_later`` step (exponential)."""
CONTACT_MINUTES = 8.0
"""Mean length of a ``contact_service`` step (exponential)."""
CHAT_SHARE = 0.6
"""Share of contacts with customer service made by chat; the others by phone."""
_STEP = {name: i for i, name in enumerate(STEPS)}


class _Spent(Draws):
    """The journey draws of a visit whose journey is over: reading one is a bug."""

    __slots__ = ()

    def _refill(self) -> None:
        raise RuntimeError("a visit's journey draws were read after its journey ended")


_SPENT = _Spent([], Streams(0), ())
"""What a visit's journey draws become when its journey ends."""


@dataclass(slots=True)
class Visit:
    """One visit's state: who, where, what they want, their cart."""

    world: World
    customer: CustomerId
    segment: SegmentPlan
    tables: SegmentTables
    channel: Channel
    rng: Draws  # the journey's draws
    ops: Draws  # draws of what happens to the orders (picking, carriers, pickups)
    home: SitePlan  # the nearest store
    where: tuple[str, float, float]  # the home area: region, x, y
    basket: dict[SkuId, int] = field(default_factory=dict)
    cart: CartId | None = None
    added: dict[SkuId, int] = field(default_factory=dict)
    expiry: float = -1.0  # the deadline of the cart's newest reservations
    ordered: bool = False
    gone: bool = False

    def note_left(self, why: str) -> None:
        self.world.note(
            CustomerLeft(t=self.world.now, customer=self.customer, channel=self.channel, reason=why)
        )
        self.gone = True


def visit(
    world: World,
    *,
    customer: int,
    channel: Channel,
    segment: int,
    number: int,
    where: tuple[str, float, float],
) -> Generator[simpy.Event, object, None]:
    """The SimPy process of one visit (and, for repeat customers, of the next ones)."""
    plan = world.plan
    rng, ops = world.draws.visit(customer, number)
    seg, tables = plan.segments[segment], world.tables.segments[segment]
    v = Visit(
        world=world,
        customer=CustomerId(customer),
        segment=seg,
        tables=tables,
        channel=channel,
        rng=rng,
        ops=ops,
        home=world.tables.homes[where],
        where=where,
    )
    v.basket = _basket(v)
    # Drawn before the journey, from its start, so the next visit is the same whatever happens
    # in this one (common random numbers across policies).
    if rng.below(seg.repeat_rate):
        again = rng.exponential(seg.repeat_days * MINUTES_PER_DAY)
        first = CHANNELS[rng.choice(tables.channels)]
        # A partial, not a closure: a long run has many next visits pending at once, and a
        # closure over six names weighs about three times as much.
        world.call_at(
            world.env.now + again,
            partial(start_visit, world, customer, first, segment, number + 1, where),
        )
    world.note(CustomerArrived(t=world.now, customer=v.customer, channel=channel, segment=seg.name))
    step = FIRST_STEP
    for _ in range(MAX_STEPS):
        instant = _INSTANT.get(step)
        if instant is None:
            yield from _WAITING[step](v)
        else:
            instant(v)
        if v.gone:
            break
        yield world.env.timeout(rng.exponential(seg.step_minutes))
        if rng.below(seg.channel_switch):
            v.channel = _other_channel(v)
        step = STEPS[rng.choice(tables.steps[_STEP[step]])]
    else:
        _leave(v, "too_many_steps")
    # The journey is over; its orders' operations keep the visit for days or weeks (picking,
    # carriers, pickups, returns) and read only who, where and `ops`: let go of the rest.
    v.rng = _SPENT
    v.basket.clear()
    v.added.clear()


def start_visit(  # noqa: PLR0917 - positional: a partial of it waits for every next visit
    world: World,
    customer: int,
    channel: Channel,
    segment: int,
    number: int,
    where: tuple[str, float, float],
) -> None:
    """Start visit ``number`` (0 for the first) of ``customer`` now (see :func:`visit`)."""
    world.start(
        visit(world, customer=customer, channel=channel, segment=segment, number=number,
              where=where)
    )  # fmt: skip


def _basket(v: Visit) -> dict[SkuId, int]:
    tables, rng = v.world.tables, v.rng
    units = 1 + rng.choice(v.tables.extra_units)
    basket: dict[SkuId, int] = {}
    for _ in range(units):
        sku = tables.skus[rng.choice(tables.demand)]
        basket[sku] = basket.get(sku, 0) + 1
    return basket


def _other_channel(v: Visit) -> Channel:
    weights = v.tables.other_channel[v.channel]
    return v.channel if weights is None else CHANNELS[v.rng.choice(weights)]


def _first_sku(v: Visit) -> SkuId:
    return next(iter(v.basket))


# ---------------------------------------------------------------- steps


Waiting = Generator[simpy.Event, object, None]
"""A step that waits (for picking, a desk, a carrier): a generator the visit yields from."""


def _look(v: Visit, step: str) -> None:
    v.world.note(
        TouchpointVisited(
            t=v.world.now, customer=v.customer, channel=v.channel, reason=step, sku=_first_sku(v)
        )
    )


def _check_stock(v: Visit) -> None:
    sku = _first_sku(v)
    shown = v.world.available(v.home.id, sku, v.channel)
    v.world.note(
        StockChecked(
            t=v.world.now,
            customer=v.customer,
            channel=v.channel,
            location=v.home.id,
            sku=sku,
            qty=shown,
        )
    )


def _add_to_cart(v: Visit) -> Waiting:
    world = v.world
    if v.cart is None:
        v.cart = CartId(world.next_id())
        world.do(
            OpenCart(at=world.now, customer=v.customer, cart=v.cart, channel=v.channel), v.customer
        )
    for sku, wanted in list(v.basket.items()):
        qty = wanted - v.added.get(sku, 0)  # a substitute may add to a sku already in the cart
        if qty <= 0:
            continue
        where = _reserve_where(v, sku, qty) if world.plan.allocation.reserve_at == "cart" else None
        added = world.do(
            AddToCart(
                at=world.now,
                cart=v.cart,
                sku=sku,
                qty=qty,
                unit_price=_price(v, sku),
                reserve_at=where,
                ttl=world.plan.allocation.ttl,
            ),
            v.customer,
        )
        if added is None:
            yield from _no_stock(v, {sku: qty})
            if v.gone:
                return
            continue
        v.added[sku] = wanted
        deadline = world.now + world.plan.allocation.ttl
        if where is not None and deadline != v.expiry:  # skus added together expire together
            v.expiry = deadline
            world.call_at(deadline, partial(operations.expire_cart, world, v.cart, v.customer))


def _reserve_where(v: Visit, sku: SkuId, qty: int) -> LocationId | None:
    """Where an add-to-cart reservation goes: the home store on the floor, else the best site."""
    world = v.world
    if v.channel.is_physical:
        return v.home.id if world.available(v.home.id, sku, v.channel) >= qty else None
    sites = world.tables.candidates[v.where]
    ranked = (
        sites.shipping
        if sites.presorted
        else world.plan.sourcing.order(sites.shipping, _request(v, {sku: qty}))
    )
    return next((s.id for s in ranked if world.available(s.id, sku, v.channel) >= qty), None)


def _move_cart(v: Visit) -> None:
    if v.cart is not None and not v.ordered:
        v.world.do(MoveCart(at=v.world.now, cart=v.cart, channel=v.channel), v.customer)


def _checkout(v: Visit) -> Waiting:
    if v.cart is None or len(v.added) < len(v.basket):
        yield from _add_to_cart(v)
        if v.gone or v.cart is None:
            return
    lines = {sku: qty for sku, qty in v.added.items() if qty > 0}
    mode, legs = _choose_legs(v, lines)
    world = v.world
    order = OrderId(world.next_id())
    placed = None
    if legs:
        placed = world.do(
            PlaceOrder(
                at=world.now,
                order=order,
                cart=v.cart,
                legs=tuple(
                    Leg(
                        location=loc,
                        mode=mode,
                        lines=tuple(LegLine(sku=s, qty=q) for s, q in served.items()),
                    )
                    for loc, served in legs
                ),
            ),
            v.customer,
        )
    if placed is None:
        yield from _no_stock(v, lines)
        return
    amount = sum(_price(v, s) * q for s, q in lines.items())
    world.do(CapturePayment(at=world.now, order=order, amount=amount), v.customer)
    for loc, served in legs:
        world.use_capacity(loc, sum(served.values()))
        world.env.process(operations.fulfil(world, v, order, location=loc, mode=mode, lines=served))
    v.ordered = True
    v.note_left("ordered")


def _choose_legs(
    v: Visit, lines: dict[SkuId, int]
) -> tuple[FulfilmentMode, list[tuple[LocationId, dict[SkuId, int]]]]:
    world, home = v.world, v.home.id
    request = _request(v, lines)

    def at_home() -> bool:
        return all(request.available(home, s) >= q for s, q in lines.items())

    if v.channel.is_physical:
        if at_home():
            return FulfilmentMode.CARRY_OUT, [(home, dict(lines))]
        mode = FulfilmentMode.ENDLESS_AISLE
    else:
        mode = MODES[v.rng.choice(v.tables.modes)]
    if mode is FulfilmentMode.CLICK_AND_COLLECT:
        return mode, [(home, dict(lines))] if v.home.desk_servers > 0 and at_home() else []
    candidates = world.tables.candidates[v.where]
    stores = mode is FulfilmentMode.SHIP_FROM_STORE
    sites = candidates.stores if stores else candidates.warehouses
    return mode, world.plan.sourcing.source(sites, request, presorted=candidates.presorted)


def _held(v: Visit) -> dict[tuple[LocationId, SkuId], int]:
    """Units the visit's cart holds reserved for its channel, by (location, sku)."""
    cart = v.world.backend.cart(v.cart) if v.cart is not None else None
    held: dict[tuple[LocationId, SkuId], int] = {}
    if cart is not None:
        for r in cart.reservations:
            if r.channel == cart.channel:
                held[r.location, r.sku] = held.get((r.location, r.sku), 0) + r.qty
    return held


def _request(v: Visit, lines: dict[SkuId, int]) -> Request:
    world = v.world
    channel = v.channel
    held = _held(v)
    stock_level = world.backend.stock_level

    def available(location: LocationId, sku: SkuId) -> int:
        own = held.get((location, sku), 0)
        return stock_level(location, sku).available_to(channel) + own

    return Request(
        lines=lines,
        region=v.where[0],
        x=v.where[1],
        y=v.where[2],
        available=available,
        capacity_left=world.capacity_left,
        distances=world.plan.distances.get(v.where[0]),
    )


def _no_stock(v: Visit, wanted: dict[SkuId, int]) -> Waiting:
    """The segment's reaction to missing stock: switch channel, substitute, wait, leave or
    backorder."""
    reaction = NO_STOCK[v.rng.choice(v.tables.no_stock)]
    world = v.world
    world.note(
        TouchpointVisited(
            t=world.now,
            customer=v.customer,
            channel=v.channel,
            reason=f"no_stock_{reaction}",
            sku=next(iter(wanted)),
        )
    )
    if reaction == "switch_channel":
        v.channel = _other_channel(v)
        if v.cart is not None and not v.ordered:
            world.do(MoveCart(at=world.now, cart=v.cart, channel=v.channel), v.customer)
    elif reaction == "substitute":
        for sku in wanted:
            v.basket.pop(sku, None)
            other = world.tables.skus[v.rng.choice(world.tables.demand)]
            v.basket[other] = v.basket.get(other, 0) + 1
    elif reaction == "wait":
        yield world.env.timeout(v.rng.exponential(MINUTES_PER_DAY))
    elif reaction == "backorder":
        _backorder(v, wanted)
    else:
        for sku, qty in wanted.items():
            world.note(
                SaleLost(
                    t=world.now,
                    customer=v.customer,
                    channel=v.channel,
                    sku=sku,
                    qty=qty,
                    amount=qty * _price(v, sku),
                    reason="no_stock",
                    location=v.home.id,
                )
            )
        _leave(v, "no_stock")


def _backorder(v: Visit, wanted: dict[SkuId, int]) -> None:
    """Order the missing units at the home store, to come when stock arrives there."""
    world = v.world
    for sku, qty in wanted.items():
        order = OrderId(world.next_id())
        world.backordered[v.home.id, sku] += qty  # before: the review it triggers counts it
        placed = world.do(
            PlaceBackorder(
                at=world.now, customer=v.customer, channel=v.channel, order=order,
                location=v.home.id, sku=sku, qty=qty, unit_price=_price(v, sku),
            ),
            v.customer,
        )  # fmt: skip
        if placed:
            world.backorders[v.home.id, sku].append((order, qty, v.customer))
        else:
            world.backordered[v.home.id, sku] -= qty
    for sku in wanted:
        v.basket.pop(sku, None)
    if not v.basket:
        _leave(v, "backordered")


def _come_back_later(v: Visit) -> Waiting:
    yield v.world.env.timeout(v.rng.exponential(COME_BACK_MINUTES))


def _contact_service(v: Visit) -> Waiting:
    """A question to customer service, by chat or phone, then back to the journey."""
    channel = Channel.CHAT if v.rng.below(CHAT_SHARE) else Channel.PHONE
    world = v.world
    world.note(
        TouchpointVisited(
            t=world.now,
            customer=v.customer,
            channel=channel,
            reason="contact_service",
            sku=_first_sku(v),
        )
    )
    yield world.env.timeout(v.rng.exponential(CONTACT_MINUTES))


def _leave(v: Visit, why: str) -> None:
    if v.cart is not None and not v.ordered:
        v.world.do(AbandonCart(at=v.world.now, cart=v.cart, reason=why), v.customer)
    v.note_left(why)


def _abandon(v: Visit) -> None:
    _leave(v, "abandoned")


def _leave_step(v: Visit) -> None:
    _leave(v, "left")


def _price(v: Visit, sku: SkuId) -> float:
    return v.world.tables.prices[sku]


_INSTANT: dict[str, Callable[[Visit], None]] = {
    "discover": lambda v: _look(v, "discover"),
    "research": lambda v: _look(v, "research"),
    "check_stock": _check_stock,
    "move_cart": _move_cart,
    "abandon": _abandon,
    "leave": _leave_step,
}
"""Steps that take no time: plain calls (a generator each would cost more than the step)."""
_WAITING: dict[str, Callable[[Visit], Waiting]] = {
    "add_to_cart": _add_to_cart,
    "checkout": _checkout,
    "come_back_later": _come_back_later,
    "contact_service": _contact_service,
}
"""Steps that may wait (for stock to come back, for customer service): generators."""
