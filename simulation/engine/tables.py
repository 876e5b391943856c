"""The plan's weights as the engine reads them on its hot path: cumulative tables, built once.

A visit draws its next step, its channel, its basket and its fulfilment mode from these with
one uniform each (:class:`simulation.engine.draws.Draws`), instead of asking numpy to check
and normalise a weight vector on every draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.engine.draws import cumulative, poisson_table
from simulation.engine.plan import CHANNELS, Plan, SegmentPlan, SitePlan
from simulation.policies.fulfilment import Request, Site
from simulation.types import Channel, SkuId


@dataclass(frozen=True, slots=True)
class SegmentTables:
    """One segment's cumulative weights."""

    steps: tuple[tuple[float, ...], ...]  # next step, by the current step's index
    channels: tuple[float, ...]  # the channel a repeat visit comes through
    other_channel: dict[Channel, tuple[float, ...] | None]  # switch away from the key channel
    modes: tuple[float, ...]
    no_stock: tuple[float, ...]
    extra_units: tuple[float, ...]  # basket size - 1, Poisson
    member_units: tuple[float, ...]  # the same for a loyalty member (the programme's bonus)


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything a visit draws from, for one plan."""

    segments: tuple[SegmentTables, ...]
    demand: tuple[float, ...]  # cumulative over plan.skus
    skus: tuple[SkuId, ...]
    prices: dict[SkuId, float]
    homes: dict[tuple[str, float, float], SitePlan]  # the nearest store to each home area
    candidates: dict[tuple[str, float, float], Candidates]


@dataclass(frozen=True, slots=True)
class Candidates:
    """The sites sourcing may choose among, as seen from one home area; in the sourcing chain's
    order when it is static (``presorted``), else in the plan's order."""

    shipping: tuple[Site, ...]  # sites that may send parcels
    stores: tuple[Site, ...]  # candidates for ship-from-store
    warehouses: tuple[Site, ...]  # candidates for home delivery (warehouses, dark stores)
    presorted: bool


def tables_of(plan: Plan) -> Tables:
    candidates = plan.stores or plan.sites
    return Tables(
        segments=tuple(_segment(plan, seg) for seg in plan.segments),
        demand=cumulative(plan.demand),
        skus=plan.skus,
        prices={sku: float(p) for sku, p in zip(plan.skus, plan.prices, strict=True)},
        homes={where: _nearest(plan, candidates, where) for where in plan.regions},
        candidates={where: _candidates(plan, where) for where in plan.regions},
    )


def _candidates(plan: Plan, where: tuple[str, float, float]) -> Candidates:
    chain = plan.sourcing
    sites = [s.site for s in plan.sites]
    if chain.static:
        region, x, y = where
        here = Request(
            lines={},
            region=region,
            x=x,
            y=y,
            available=_no_stock,
            distances=plan.distances.get(region),
        )
        sites = chain.order(sites, here)
    return Candidates(
        shipping=tuple(s for s in sites if s.ships),
        stores=tuple(s for s in sites if s.kind == "store"),
        warehouses=tuple(s for s in sites if s.kind in {"warehouse", "dark_store"}),
        presorted=chain.static,
    )


def _no_stock(_location: str, _sku: str) -> int:
    return 0  # static sorts never look at stock


def _nearest(
    plan: Plan, candidates: tuple[SitePlan, ...], where: tuple[str, float, float]
) -> SitePlan:
    region, x, y = where
    return min(candidates, key=lambda s: plan.distance(region, x, y, s.site))


def _segment(plan: Plan, seg: SegmentPlan) -> SegmentTables:
    weights = plan.channel_weights(seg)
    return SegmentTables(
        steps=tuple(cumulative(row) for row in seg.transitions),
        channels=cumulative(weights),
        other_channel={c: _without(weights, i) for i, c in enumerate(CHANNELS)},
        modes=cumulative(seg.modes),
        no_stock=cumulative(seg.no_stock),
        extra_units=poisson_table(max(seg.basket_mean - 1.0, 0.0)),
        member_units=poisson_table(max(seg.basket_mean - 1.0 + _basket_bonus(plan), 0.0)),
    )


def _basket_bonus(plan: Plan) -> float:
    loyalty = plan.loop.loyalty if plan.loop is not None else None
    return loyalty.basket_bonus if loyalty is not None else 0.0


def _without(weights: np.ndarray, i: int) -> tuple[float, ...] | None:
    rest = weights.copy()
    rest[i] = 0.0
    return cumulative(rest) if rest.sum() > 0 else None
