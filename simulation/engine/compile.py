"""From a validated :class:`~simulation.scenario.Scenario` to the engine's :class:`Plan`.

Generated catalogues are drawn here from their own seed (the catalogue is part of the
scenario, not of a replication), and policies are resolved by name, built-in or
``package.module:Class``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulation.customers.loyalty import TierRule
from simulation.customers.satisfaction import SatisfactionModel
from simulation.engine.arrivals import Campaign, RateProfile
from simulation.engine.plan import (
    MODES,
    NO_STOCK,
    LoopPlan,
    LoyaltyPlan,
    Plan,
    SegmentPlan,
    SitePlan,
)
from simulation.engine.plan import STEPS as PLAN_STEPS
from simulation.errors import InputError
from simulation.policies import allocation as _allocation  # noqa: F401  (registers)
from simulation.policies import replenishment as _replenishment  # noqa: F401  (registers)
from simulation.policies.fulfilment import Site, Sourcing
from simulation.policies.registry import resolve
from simulation.policies.replenishment import ReplenishmentPolicy
from simulation.scenario import Scenario, Segment
from simulation.scenario.satisfaction import Satisfaction
from simulation.types import MINUTES_PER_DAY, Channel, LocationId, SkuId


def plan_of(scenario: Scenario) -> Plan:
    """The engine's view of ``scenario``."""
    skus, prices, costs, demand, lead = _catalogue(scenario)
    sites = tuple(_site(loc) for loc in scenario.network.locations)
    regions = scenario.network.regions
    return Plan(
        name=scenario.name,
        horizon=scenario.horizon_days * MINUTES_PER_DAY,
        warmup=scenario.warmup_days * MINUTES_PER_DAY,
        arrivals=_arrivals(scenario),
        browse_only={Channel(k): v for k, v in scenario.arrivals.browse_only.items() if v > 0},
        sites=sites,
        skus=skus,
        prices=prices,
        unit_costs=costs,
        demand=demand,
        lead_days=lead,
        initial=_initial(scenario, skus),
        segments=tuple(_segment(s) for s in scenario.segments),
        sourcing=_sourcing(scenario),
        allocation=_allocation_policy(scenario),
        replenishment=_replenishment_policies(scenario, skus),
        review_days=scenario.policies.replenishment.review_days,
        lifetime=None
        if scenario.lifetime is None
        else (scenario.lifetime.days, scenario.lifetime.discount_rate),
        transfer_days=(
            scenario.policies.replenishment.transfer_days
            if scenario.policies.replenishment.transfers
            else None
        ),
        hold_days=scenario.policies.allocation.hold_days,
        ship_days=(scenario.carriers.ship_days_mean, scenario.carriers.ship_days_sd),
        ship_cost={loc.id: loc.ship_cost for loc in scenario.network.locations},
        regions=tuple((r.name, r.x, r.y) for r in regions),
        region_weights=np.array([r.weight for r in regions]) / sum(r.weight for r in regions),
        distances={k: dict(v) for k, v in scenario.network.distances.items()},
        loop=_loop(scenario),
    )


def _loop(s: Scenario) -> LoopPlan | None:
    table = s.satisfaction
    if table is None or not table.enabled:
        return None
    promises, carriers = s.promises, s.carriers
    delivery = promises.delivery_days
    if delivery is None:
        delivery = carriers.ship_days_mean + carriers.ship_days_sd
    return LoopPlan(
        models=tuple(_satisfaction(table, seg.name) for seg in s.segments),
        response_rate=table.response_rate,
        answer_sd=table.answer_sd,
        delivery_days=delivery,
        collect_hours=promises.collect_hours,
        loyalty=_loyalty(s),
    )


def _loyalty(s: Scenario) -> LoyaltyPlan | None:
    table = s.loyalty
    if table is None:
        return None
    return LoyaltyPlan(
        enrolment={Channel(k): v for k, v in table.enrolment.items()},
        segments=tuple(table.segments.get(seg.name, 1.0) for seg in s.segments),
        points_per_unit=table.points_per_unit,
        point_value=table.point_value,
        redeem_at=table.redeem_at,
        tiers=tuple(TierRule(t.name, t.points, t.multiplier) for t in table.tiers),
        retention_bonus=table.retention_bonus,
        basket_bonus=table.basket_bonus,
    )


def _satisfaction(table: Satisfaction, segment: str) -> SatisfactionModel:
    """One segment's model: the table's values, and the segment's own where it has them."""
    own = table.segments.get(segment)
    weights: dict[str, float] = table.weights.model_dump()
    if own is not None:
        weights.update({str(k): v for k, v in own.weights.items()})

    def pick(name: str) -> float:
        value = getattr(own, name) if own is not None else None
        return float(getattr(table, name) if value is None else value)

    return SatisfactionModel(
        baseline=pick("baseline"),
        weights={k: float(v) for k, v in weights.items() if v},
        half_life=pick("half_life_days") * MINUTES_PER_DAY,
        retention=pick("retention"),
        delay=pick("delay"),
    )


def _catalogue(
    s: Scenario,
) -> tuple[tuple[SkuId, ...], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cat = s.catalogue
    ids = [SkuId(k.id) for k in cat.sku]
    prices = [k.price for k in cat.sku]
    costs = [k.unit_cost for k in cat.sku]
    weights = [k.demand for k in cat.sku]
    leads = [k.lead_days or cat.lead_days for k in cat.sku]
    if cat.generate is not None:
        g = cat.generate
        drawn = g.prices()
        ids += [SkuId(i) for i in g.ids()]
        prices += list(drawn)
        costs += list(np.round(drawn * (1 - g.margin), 2))
        weights += list(g.demand())
        leads += [cat.lead_days] * g.count
    w = np.asarray(weights, dtype="float64")
    return tuple(ids), np.asarray(prices), np.asarray(costs), w / w.sum(), np.asarray(leads)


def _site(loc: Any) -> SitePlan:
    ships = loc.kind != "store" or loc.ship_from_store
    site = Site(
        id=LocationId(loc.id), kind=loc.kind, region=loc.region, x=loc.x, y=loc.y,
        priority=loc.priority, cost_per_unit=loc.ship_cost, ships=ships,
    )  # fmt: skip
    return SitePlan(
        site=site, pick_capacity=loc.pick_capacity, pickers=loc.pickers,
        pick_minutes=loc.pick_minutes, desk_servers=loc.desk_servers,
        desk_minutes=loc.desk_minutes, desk_service=loc.desk_service, opens=loc.opens,
        closes=loc.closes,
    )  # fmt: skip


def _initial(s: Scenario, skus: tuple[SkuId, ...]) -> dict[tuple[LocationId, SkuId], int]:
    stock: dict[tuple[LocationId, SkuId], int] = {}
    for loc in s.network.locations:
        per_sku = s.catalogue.stock.get(loc.kind, 0)
        for sku in skus:
            stock[LocationId(loc.id), sku] = per_sku
    for location, table in s.catalogue.initial.items():
        for name, qty in table.items():
            stock[LocationId(location), SkuId(name)] = qty
    return stock


def _arrivals(s: Scenario) -> RateProfile:
    a = s.arrivals
    total = sum(a.channels.values())
    campaigns = tuple(
        Campaign(
            name=c.name,
            start=c.start_day * MINUTES_PER_DAY,
            end=c.end_day * MINUTES_PER_DAY,
            multiplier=c.multiplier,
            channels=tuple(c.channels),
            cost=c.cost,
            cost_per_visit=c.cost_per_visit,
        )
        for c in a.campaigns
    )
    return RateProfile(
        base_per_hour=a.per_hour,
        shares={Channel(k): v / total for k, v in a.channels.items()},
        hour_of_day=tuple(a.hour_of_day),
        day_of_week=tuple(a.day_of_week),
        campaigns=campaigns,
    )


def _segment(s: Segment) -> SegmentPlan:
    rows = s.transition_rows()
    matrix = np.array([[rows[a].get(b, 0.0) for b in PLAN_STEPS] for a in PLAN_STEPS])
    return SegmentPlan(
        name=s.name,
        share=s.share,
        channels=np.array([s.channels.get(c, 0.0) for c in Channel]),
        transitions=matrix,
        step_minutes=s.step_minutes,
        basket_mean=s.basket_mean,
        modes=np.array([s.modes.get(m.value, 0.0) for m in MODES]),
        no_stock=np.array([s.no_stock.get(n, 0.0) for n in NO_STOCK]),
        channel_switch=s.channel_switch,
        return_rate=s.return_rate,
        return_by_mail=s.return_by_mail,
        store_return_rate=s.store_return_rate,
        restock_rate=s.restock_rate,
        return_days=s.return_days,
        pickup_delay_hours=s.pickup_delay_hours,
        patience_minutes=s.patience_minutes,
        pickup_attempts=s.pickup_attempts,
        repeat_rate=s.repeat_rate,
        repeat_days=s.repeat_days,
        btyd=None if s.btyd is None else (s.btyd.r, s.btyd.alpha, s.btyd.a, s.btyd.b),
    )


def _allocation_policy(s: Scenario) -> Any:
    a = s.policies.allocation
    cls = _resolve(s, "allocation", a.kind)
    kwargs: dict[str, Any] = {"reserve_at": a.reserve_at, "ttl": a.ttl_minutes}
    if a.kind == "ring_fenced":
        kwargs["fences"] = dict(a.fences)
    if a.kind == "online_buffer":
        kwargs["buffer"] = a.buffer
    return _build(s, cls, kwargs, "policies.allocation")


def _sourcing(s: Scenario) -> Sourcing:
    f = s.policies.fulfilment
    cls = _resolve(s, "fulfilment", f.kind)
    if f.kind == "chain":
        chain = {"filters": f.filters, "sorts": f.sorts, "split": f.split, "max_legs": f.max_legs}
        chosen: Sourcing = _build(s, cls, chain, "policies.fulfilment")
    else:
        chosen = _build(s, cls, dict(f.params), "policies.fulfilment.params")
    return chosen


def _replenishment_policies(
    s: Scenario, skus: tuple[SkuId, ...]
) -> dict[tuple[LocationId, SkuId], ReplenishmentPolicy]:
    r = s.policies.replenishment
    cls = _resolve(s, "replenishment", r.kind)
    policies: dict[tuple[LocationId, SkuId], ReplenishmentPolicy] = {}
    for loc in s.network.locations:
        params = r.params.get(loc.kind)
        if params is None and r.kind not in {"none"}:
            continue
        kwargs = {k: int(v) if float(v).is_integer() else v for k, v in (params or {}).items()}
        policy = _build(s, cls, kwargs, f"policies.replenishment.params.{loc.kind}")
        for sku in skus:
            policies[LocationId(loc.id), sku] = policy
    return policies


def _resolve(s: Scenario, family: str, name: str) -> type[Any]:
    field = f"policies.{family}.kind"
    try:
        return resolve(family, name, field=field)
    except InputError as e:
        raise InputError(e.field, e.expected, e.given, where=s.locate(field)) from e


def _build(s: Scenario, cls: type[Any], kwargs: dict[str, Any], field: str) -> Any:
    """A policy object, or an error that names the scenario's file, line and field."""
    try:
        return cls(**kwargs)
    except TypeError as e:
        where = s.locate(field)
        raise InputError(
            field, f"the parameters of {cls.__name__} ({e})", kwargs, where=where
        ) from e
    except InputError as e:
        path = f"{field}.{e.field}"
        raise InputError(path, e.expected, e.given, where=s.locate(path)) from e
