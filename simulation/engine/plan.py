"""The engine's compiled view of a scenario: arrays and small objects, ready to simulate.

A :class:`Plan` holds exactly what the SimPy processes read, in the shape they read it
(numpy arrays for per-sku data, matrices for journeys); :func:`simulation.engine.compile.plan_of`
builds one from a validated scenario. Tests build small plans directly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from simulation import scenario
from simulation.engine.arrivals import RateProfile
from simulation.policies.allocation import Allocation, Pooled
from simulation.policies.fulfilment import Site, Sourcing, SourcingChain
from simulation.policies.replenishment import ReplenishmentPolicy
from simulation.projections import Costs
from simulation.types import Channel, FulfilmentMode, LocationId, SkuId

MODES: tuple[FulfilmentMode, ...] = tuple(FulfilmentMode(m) for m in scenario.MODES)
"""Fulfilment modes a remote customer chooses among (the store floor's is carry-out)."""
STEPS, NO_STOCK = scenario.STEPS, scenario.NO_STOCK
"""Journey steps (the transition matrices' order) and the reactions to missing stock."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentPlan:
    name: str
    share: float
    channels: np.ndarray  # weights over Channel, for switching channel
    transitions: np.ndarray  # len(STEPS) x len(STEPS), rows sum to 1
    step_minutes: float  # mean time between two steps of a visit
    basket_mean: float  # mean units in a basket (1 + Poisson(basket_mean - 1))
    modes: np.ndarray  # probabilities over MODES
    no_stock: np.ndarray  # probabilities over NO_STOCK
    channel_switch: float  # probability that a step happens in another channel
    return_rate: float
    return_by_mail: float
    restock_rate: float = 0.9
    return_days: float = 7.0
    pickup_delay_hours: float = 20.0  # mean time from hold to the customer's visit
    patience_minutes: float = 15.0  # at the pickup desk queue
    pickup_attempts: int = 3  # visits to the desk before giving up
    repeat_rate: float = 0.0  # probability of another visit after this one
    repeat_days: float = 14.0  # mean days before it


@dataclass(frozen=True, slots=True, kw_only=True)
class SitePlan:
    site: Site
    pick_capacity: int  # units per day
    pickers: int = 2  # SimPy resource capacity
    pick_minutes: float = 30.0  # mean time to pick a leg
    desk_servers: int = 0  # click & collect pickup desk (stores)
    desk_minutes: float = 3.0  # mean service time at the desk
    desk_service: str = "exponential"  # or "deterministic", "erlang2"
    opens: float = 9.0  # hour of day
    closes: float = 21.0

    @property
    def id(self) -> LocationId:
        return self.site.id


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    name: str
    horizon: float  # minutes
    warmup: float  # minutes
    arrivals: RateProfile
    sites: tuple[SitePlan, ...]
    skus: tuple[SkuId, ...]
    prices: np.ndarray
    unit_costs: np.ndarray
    demand: np.ndarray  # probabilities over skus
    lead_days: np.ndarray  # replenishment lead time per sku
    initial: dict[tuple[LocationId, SkuId], int]
    segments: tuple[SegmentPlan, ...]
    sourcing: Sourcing = field(default_factory=SourcingChain)
    allocation: Allocation = field(default_factory=Pooled)
    replenishment: dict[tuple[LocationId, SkuId], ReplenishmentPolicy] = field(default_factory=dict)
    review_days: float = 1.0
    transfer_days: float | None = None  # stores pull from the nearest store with spare units
    hold_days: float = 3.0
    ship_days: tuple[float, float] = (2.0, 0.5)  # carrier lead time: mean, sd (days)
    ship_cost: dict[str, float] = field(default_factory=dict)  # per unit, by site kind
    regions: tuple[tuple[str, float, float], ...] = (("all", 0.0, 0.0),)  # customer home areas
    region_weights: np.ndarray | None = None  # probabilities over regions (uniform if None)
    distances: dict[str, dict[str, float]] = field(default_factory=dict)  # region -> site -> km

    def site(self, location: str) -> SitePlan:
        return next(s for s in self.sites if s.id == location)

    @property
    def stores(self) -> tuple[SitePlan, ...]:
        return tuple(s for s in self.sites if s.site.kind == "store")

    def distance(self, region: str, x: float, y: float, site: Site) -> float:
        """Km from a customer's home area to a site: the matrix if given, else straight line."""
        row = self.distances.get(region)
        return row[site.id] if row is not None else float(np.hypot(site.x - x, site.y - y))

    @property
    def sku_index(self) -> dict[SkuId, int]:
        return _index(self.skus)

    def costs(self) -> Costs:
        """The scenario's costs, for the margin and fulfilment-cost KPIs."""
        return Costs(
            unit_cost={sku: float(c) for sku, c in zip(self.skus, self.unit_costs, strict=True)},
            ship_cost=dict(self.ship_cost),
        )

    def channel_weights(self, segment: SegmentPlan) -> np.ndarray:
        weights: np.ndarray = segment.channels / segment.channels.sum()
        return weights


CHANNELS: tuple[Channel, ...] = tuple(Channel)


@functools.cache
def _index(skus: tuple[SkuId, ...]) -> dict[SkuId, int]:
    return {sku: i for i, sku in enumerate(skus)}
