"""Small hand-built plans for engine tests: a warehouse, two stores, a few skus."""

from __future__ import annotations

import numpy as np

from simulation.engine.arrivals import RateProfile
from simulation.engine.plan import STEPS, Plan, SegmentPlan, SitePlan
from simulation.policies.allocation import Allocation, Pooled
from simulation.policies.fulfilment import Site, SourcingChain
from simulation.policies.replenishment import MinMax
from simulation.types import Channel, LocationId, SkuId

_T = {
    "discover": {"research": 0.5, "add_to_cart": 0.3, "check_stock": 0.1, "leave": 0.1},
    "research": {"add_to_cart": 0.5, "check_stock": 0.2, "research": 0.1, "leave": 0.2},
    "check_stock": {"add_to_cart": 0.6, "move_cart": 0.1, "leave": 0.3},
    "add_to_cart": {"checkout": 0.6, "move_cart": 0.1, "come_back_later": 0.1, "abandon": 0.2},
    "move_cart": {"checkout": 0.8, "abandon": 0.2},
    "checkout": {"leave": 1.0},
    "come_back_later": {"checkout": 0.5, "contact_service": 0.1, "abandon": 0.4},
    "contact_service": {"checkout": 0.6, "leave": 0.4},
    "abandon": {"leave": 1.0},
    "leave": {"leave": 1.0},
}


def transitions() -> np.ndarray:
    m = np.zeros((len(STEPS), len(STEPS)))
    for i, a in enumerate(STEPS):
        for b, p in _T[a].items():
            m[i, STEPS.index(b)] = p
    return m


def segment(**changes: object) -> SegmentPlan:
    fields: dict[str, object] = {
        "name": "everyone",
        "share": 1.0,
        "channels": np.array([0.2, 0.4, 0.3, 0.1, 0, 0, 0, 0.0]),
        "transitions": transitions(),
        "step_minutes": 5.0,
        "basket_mean": 1.5,
        "modes": np.array([0.5, 0.3, 0.1, 0.1]),
        "no_stock": np.array([0.3, 0.2, 0.1, 0.4, 0.0]),
        "channel_switch": 0.2,
        "return_rate": 0.2,
        "return_by_mail": 0.5,
        "repeat_rate": 0.2,
        "repeat_days": 3.0,
    }
    fields.update(changes)
    return SegmentPlan(**fields)  # type: ignore[arg-type]


SHARES = {Channel.WEB: 0.4, Channel.APP: 0.3, Channel.INSTAGRAM: 0.2, Channel.STORE: 0.1}


def _min_max(location: str) -> MinMax:
    return MinMax(s=20, S=60) if location == "WH1" else MinMax(s=3, S=8)


def small_plan(days: float = 7.0, allocation: Allocation | None = None, rate: float = 20.0) -> Plan:
    sites = (
        SitePlan(
            site=Site(id=LocationId("WH1"), kind="warehouse", region="all", x=0, y=0),
            pick_capacity=500,
            pickers=3,
        ),
        SitePlan(
            site=Site(id=LocationId("S01"), kind="store", region="all", x=5, y=0),
            pick_capacity=60,
            desk_servers=1,
        ),
        SitePlan(
            site=Site(id=LocationId("S02"), kind="store", region="all", x=-5, y=3),
            pick_capacity=60,
            desk_servers=1,
        ),
    )
    skus = tuple(SkuId(f"SKU{i}") for i in range(5))
    initial = {
        (s.id, sku): (60 if s.site.kind == "warehouse" else 8) for s in sites for sku in skus
    }
    return Plan(
        name="small",
        horizon=days * 1440.0,
        warmup=0.0,
        arrivals=RateProfile(base_per_hour=rate, shares=SHARES),
        sites=sites,
        skus=skus,
        prices=np.array([10.0, 20.0, 30.0, 40.0, 50.0]),
        unit_costs=np.array([5.0, 10.0, 15.0, 20.0, 25.0]),
        demand=np.array([0.4, 0.25, 0.15, 0.1, 0.1]),
        lead_days=np.full(5, 2.0),
        initial=initial,
        segments=(segment(), segment(name="loyal", share=0.5, basket_mean=2.5, repeat_rate=0.5)),
        sourcing=SourcingChain(filters=("ships", "has_any_stock", "under_capacity")),
        allocation=allocation or Pooled(reserve_at="cart", ttl=30.0),
        replenishment={key: _min_max(key[0]) for key in initial},
        regions=(("north", 4.0, 0.0), ("south", -4.0, 2.0)),
    )
