"""Operations: picking at nodes, carriers, click & collect desks, returns, replenishment.

Each function is a SimPy process. Picking takes a picker (a SimPy resource per location) for
an exponential time; carriers take a lognormal number of days; a click & collect customer
comes within opening hours, queues at the desk (a resource with servers) and reneges when
their patience runs out; holds and cart reservations expire at their deadlines.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simulation.domain.carts import CartStatus
from simulation.domain.commands import (
    DeliverLeg,
    ExpireHold,
    ExpireReservations,
    FillBackorder,
    HandOverLeg,
    PickUpLeg,
    PlaceHold,
    ReceiveStock,
    ReturnItems,
    ShipLeg,
    TransferStock,
)
from simulation.domain.events import TouchpointVisited
from simulation.domain.orders import LegStatus
from simulation.engine.plan import SitePlan
from simulation.engine.world import World
from simulation.policies.replenishment import ReplenishmentPolicy
from simulation.types import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    CartId,
    Channel,
    FulfilmentMode,
    LocationId,
    OrderId,
    ReturnMode,
    SimTime,
    SkuId,
)

if TYPE_CHECKING:
    from simulation.engine.draws import Draws
    from simulation.engine.journeys import Visit

Process = Generator[simpy.Event, object, None]


def fulfil(
    world: World,
    v: Visit,
    order: OrderId,
    *,
    location: LocationId,
    mode: FulfilmentMode,
    lines: dict[SkuId, int],
) -> Process:
    """One leg of a paid order, from picking to the customer (and maybe back)."""
    env = world.env
    if mode is FulfilmentMode.CARRY_OUT:
        world.do(HandOverLeg(at=world.now, order=order, location=location), v.customer)
        yield from _maybe_return(world, v, order, lines)
        return
    site = world.sites[location]
    with site.pickers.request() as turn:
        yield turn
        yield env.timeout(v.ops.exponential(site.plan.pick_minutes))
    if mode is FulfilmentMode.CLICK_AND_COLLECT:
        yield from _collect(world, v, order, site.plan)
    else:
        if world.do(ShipLeg(at=world.now, order=order, location=location), v.customer) is None:
            return
        mean, sd = world.plan.ship_days
        yield env.timeout(_lognormal(v.ops, mean, sd) * MINUTES_PER_DAY)
        world.do(DeliverLeg(at=world.now, order=order, location=location), v.customer)
    leg = world.backend.order(order)
    received = leg is not None and any(
        lg.location == location and lg.status.received for lg in leg.legs
    )
    if received:
        yield from _maybe_return(world, v, order, lines)


def _collect(world: World, v: Visit, order: OrderId, site: SitePlan) -> Process:
    env, plan = world.env, world.plan
    hold = plan.hold_days * MINUTES_PER_DAY
    held = PlaceHold(at=world.now, order=order, location=site.id, hold_minutes=hold)
    if world.do(held, v.customer) is None:
        return
    deadline = env.now + hold
    world.call_at(deadline, partial(_expire_hold, world, order, site.id, v.customer))
    comes = next_open(
        env.now + v.ops.exponential(v.segment.pickup_delay_hours * MINUTES_PER_HOUR), site
    )
    for _attempt in range(v.segment.pickup_attempts):
        if comes >= deadline:
            return
        yield env.timeout(comes - env.now)
        world.note(
            TouchpointVisited(
                t=world.now, customer=v.customer, channel=Channel.STORE, reason="pickup_queue"
            )
        )
        desk = world.sites[site.id].desk
        if desk is None:
            return
        with desk.request() as turn:
            patience = env.timeout(v.ops.exponential(v.segment.patience_minutes))
            got = yield turn | patience
            if turn in got:  # type: ignore[operator]
                yield env.timeout(_service(v.ops, site))
                world.do(PickUpLeg(at=world.now, order=order, location=site.id), v.customer)
                return
        world.note(
            TouchpointVisited(
                t=world.now, customer=v.customer, channel=Channel.STORE, reason="pickup_reneged"
            )
        )
        comes = next_open(env.now + MINUTES_PER_DAY, site)


def _expire_hold(world: World, order: OrderId, location: LocationId, customer: int) -> None:
    """At a hold's deadline: expire it unless it was picked up (or cancelled) before."""
    state = world.backend.order(order)
    leg = state.leg_at(location) if state is not None else None
    if leg is not None and leg.status is LegStatus.HELD:
        world.do(ExpireHold(at=world.now, order=order, location=location), customer)


def expire_cart(world: World, cart: CartId, customer: int) -> None:
    """At a reservation's deadline, release what ``customer``'s cart still holds that is due."""
    state = world.backend.cart(cart)
    if (
        state is not None
        and state.status is CartStatus.OPEN
        and any(r.until <= world.now for r in state.reservations)
    ):
        world.do(ExpireReservations(at=world.now, cart=cart), customer)


def _maybe_return(world: World, v: Visit, order: OrderId, lines: dict[SkuId, int]) -> Process:
    seg, rng = v.segment, v.ops
    if not rng.below(seg.return_rate):
        return
    yield world.env.timeout(rng.exponential(seg.return_days * MINUTES_PER_DAY))
    sku = list(lines)[rng.integer(0, len(lines))]
    qty = rng.integer(1, lines[sku] + 1)
    by_mail = rng.below(seg.return_by_mail)
    warehouses = [s.id for s in world.plan.sites if s.site.kind == "warehouse"]
    location = (warehouses[0] if warehouses else v.home.id) if by_mail else v.home.id
    world.do(
        ReturnItems(
            at=world.now,
            order=order,
            sku=sku,
            qty=qty,
            location=location,
            return_mode=ReturnMode.MAIL if by_mail else ReturnMode.STORE,
            restock=rng.below(seg.restock_rate),
        ),
        v.customer,
    )


def replenish(world: World) -> Process:
    """Review every (location, sku) with a policy once per review period."""
    env, plan = world.env, world.plan
    rng = world.streams("replenishment")
    while True:
        yield env.timeout(plan.review_days * MINUTES_PER_DAY)
        for (location, sku), policy in plan.replenishment.items():
            review(world, location, sku, policy, rng)


def review_continuously(world: World) -> None:
    """Continuous review (``review_days = 0``): a location reviews a sku whenever its inventory
    position changes, so a base-stock policy orders one for one. Reviews every (location,
    sku) once now, then on every change."""
    rng = world.streams("replenishment")
    policies = world.plan.replenishment

    def changed(location: LocationId, sku: SkuId) -> None:
        policy = policies.get((location, sku))
        if policy is not None:
            review(world, location, sku, policy, rng)

    for (location, sku), policy in policies.items():
        review(world, location, sku, policy, rng)
    world.watch = changed


def review(
    world: World,
    location: LocationId,
    sku: SkuId,
    policy: ReplenishmentPolicy,
    rng: np.random.Generator,
) -> None:
    """One review: order what the policy says for the inventory position (on hand + on order
    - reserved), pulling from other stores first when transfers are on."""
    env, plan = world.env, world.plan
    position = _position(world, location, sku)
    qty = int(policy.order_qty(position))
    if (
        qty > 0
        and plan.transfer_days is not None
        and world.sites[location].plan.site.kind == "store"
    ):
        qty -= _transfer_in(world, location, sku, qty)
    if qty > 0:
        world.on_order[location, sku] += qty
        lead = plan.lead_days[plan.sku_index[sku]] * MINUTES_PER_DAY
        env.process(_deliver(world, location, sku, qty, lead * (0.9 + 0.2 * rng.random())))


def _position(world: World, location: LocationId, sku: SkuId) -> int:
    """On hand + on order - reserved - backordered: what replenishment policies look at."""
    level = world.backend.stock_level(location, sku)
    on_order, waiting = world.on_order[location, sku], world.backordered[location, sku]
    return level.on_hand - level.reserved_total + on_order - waiting


def fill_backorders(world: World, location: LocationId, sku: SkuId) -> None:
    """Give arrived stock to the backorders waiting for it, oldest first (a backorder is filled
    whole; the next one waits for the one before it)."""
    queue = world.backorders.get((location, sku))
    while queue:
        order, qty, customer = queue[0]
        world.backordered[location, sku] -= qty  # before the fill: a review sees it served
        if world.do(FillBackorder(at=world.now, order=order), customer) is None:
            world.backordered[location, sku] += qty
            return
        queue.popleft()


def _spare(world: World, location: LocationId, sku: SkuId, wanted: int) -> int:
    """Units a store can give without its own policy asking for more at once."""
    policy = world.plan.replenishment.get((location, sku))
    free = world.backend.stock_level(location, sku).free
    position = _position(world, location, sku)
    give = min(wanted, free)
    while give > 0 and policy is not None and policy.order_qty(position - give) > 0:
        give -= 1
    return give


def _transfer_in(world: World, location: LocationId, sku: SkuId, qty: int) -> int:
    """Pull up to ``qty`` units from the nearest store with spare stock; returns units sent."""
    here = world.sites[location].plan.site
    stores = [s.site for s in world.plan.stores if s.id != location]
    for donor in sorted(stores, key=lambda s: (s.x - here.x) ** 2 + (s.y - here.y) ** 2):
        give = _spare(world, donor.id, sku, qty)
        if give <= 0:
            continue
        if (
            world.do(TransferStock(at=world.now, location=donor.id, to=location, sku=sku, qty=give))
            is None
        ):
            continue
        world.on_order[location, sku] += give
        lead = (world.plan.transfer_days or 0.0) * MINUTES_PER_DAY
        world.env.process(_deliver(world, location, sku, give, lead, reason="transfer"))
        return give
    return 0


def _deliver(
    world: World,
    location: LocationId,
    sku: SkuId,
    qty: int,
    lead: float,
    *,
    reason: str = "replenishment",
) -> Process:
    yield world.env.timeout(lead)
    world.on_order[location, sku] -= qty
    world.do(ReceiveStock(at=world.now, location=location, sku=sku, qty=qty, reason=reason))
    fill_backorders(world, location, sku)
    publish_allocation(world, location, sku)


def publish_allocation(world: World, location: LocationId, sku: SkuId) -> None:
    on_hand = world.backend.stock_level(location, sku).on_hand
    for command in world.plan.allocation.commands(SimTime(world.env.now), location, sku, on_hand):
        world.do(command)


def next_open(t: float, site: SitePlan) -> float:
    """The first time at or after ``t`` when the site is open."""
    day, minute = divmod(t, MINUTES_PER_DAY)
    opens, closes = site.opens * MINUTES_PER_HOUR, site.closes * MINUTES_PER_HOUR
    if opens <= minute < closes:
        return t
    if minute < opens:
        return day * MINUTES_PER_DAY + opens
    return (day + 1) * MINUTES_PER_DAY + opens


def _service(rng: Draws, site: SitePlan) -> float:
    """One service time at the pickup desk, of the site's distribution and mean."""
    match site.desk_service:
        case "deterministic":
            return site.desk_minutes
        case "erlang2":
            return rng.gamma2(site.desk_minutes / 2.0)
        case _:
            return rng.exponential(site.desk_minutes)


def _lognormal(rng: Draws, mean: float, sd: float) -> float:
    if sd <= 0:
        return mean
    sigma2 = math.log(1 + (sd / mean) ** 2)
    return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
