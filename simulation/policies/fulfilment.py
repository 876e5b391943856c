"""Order sourcing: which locations fulfil an order, as order-management systems decide it.

A :class:`SourcingChain` is a list of filters and a list of sorts over candidate sites, then a
split rule. Filters drop sites (no stock, out of region, out of pick capacity); sorts rank the
rest (nearest first, then by priority, ...); the split rule turns the ranking into legs:

- ``none``: the best site that can serve the whole order, or nothing;
- ``fewest``: one site if any can serve it all, else a greedy cover taking at each step the
  site that serves the most remaining units (ties by rank), up to ``max_legs``;
- ``at_most``: like ``fewest`` but always stops at ``max_legs``.

Policies only propose legs; the domain still decides whether stock can be reserved. The
chain is registered as ``chain``; a scenario may name its own class as ``package.module:Class``
(``policies.fulfilment.kind``), any object with the methods of :class:`Sourcing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from simulation.domain.records import record
from simulation.errors import InputError
from simulation.policies.registry import register
from simulation.types import LocationId, SkuId


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """A candidate location as the sourcing policy sees it."""

    id: LocationId
    kind: str  # "warehouse", "store", "dark_store"
    region: str
    x: float
    y: float
    priority: int = 0
    cost_per_unit: float = 0.0
    ships: bool = True  # may send parcels (a store only with ship-from-store on)


@record  # a frozen, slotted, keyword-only dataclass made quickly: one per sourcing decision
class Request:
    """An order to source: the lines, where the customer is, and what each site may promise."""

    lines: Mapping[SkuId, int]
    region: str
    x: float
    y: float
    available: Callable[[LocationId, SkuId], int]
    capacity_left: Callable[[LocationId], float] = field(default=lambda _site: math.inf)
    distances: Mapping[str, float] | None = None  # km to each site, when a matrix replaces x, y

    def units(self) -> int:
        return sum(self.lines.values())

    def servable(self, site: Site, lines: Mapping[SkuId, int] | None = None) -> dict[SkuId, int]:
        """Units of each line ``site`` can serve now."""
        wanted = self.lines if lines is None else lines
        served: dict[SkuId, int] = {}
        for sku, qty in wanted.items():
            have = self.available(site.id, sku)
            if have > 0:
                served[sku] = min(qty, have)
        return served

    def distance(self, site: Site) -> float:
        if self.distances is not None:
            return self.distances[site.id]
        return math.hypot(site.x - self.x, site.y - self.y)


Filter = Callable[[Site, Request], bool]
Sort = Callable[[Site, Request], float]


def _full_stock(site: Site, request: Request) -> bool:
    return all(request.available(site.id, sku) >= qty for sku, qty in request.lines.items())


def _any_stock(site: Site, request: Request) -> bool:
    return any(request.available(site.id, sku) > 0 for sku in request.lines)


FILTERS: dict[str, Filter] = {
    "has_full_stock": _full_stock,
    "has_any_stock": _any_stock,
    "in_region": lambda site, request: site.region == request.region,
    "under_capacity": lambda site, request: request.capacity_left(site.id) >= request.units(),
    "ships": lambda site, _request: site.ships,
}
"""Filters by name: a site passes when the function returns True."""

SORTS: dict[str, Sort] = {
    "nearest": lambda site, request: request.distance(site),
    "priority": lambda site, _request: site.priority,
    "most_stock": lambda site, request: -sum(request.available(site.id, k) for k in request.lines),
    "lowest_cost": lambda site, _request: site.cost_per_unit,
}
"""Sort keys by name: lower ranks first."""

STATIC_SORTS = frozenset({"nearest", "priority", "lowest_cost"})
"""Sorts whose keys depend on the site and where the customer is, never on stock: a ranking by
them alone can be made once per home area and reused (``presorted``)."""

SPLITS = ("none", "fewest", "at_most")

Leg = tuple[LocationId, dict[SkuId, int]]


class Sourcing(Protocol):
    """What the engine asks of a sourcing policy."""

    @property
    def static(self) -> bool:
        """True when the ranking of sites depends only on where the customer is, never on stock
        (the engine then ranks once per home area and passes ``presorted``)."""

    def order(self, sites: Sequence[Site], request: Request) -> list[Site]:
        """``sites`` best first for ``request`` (ship-from-store takes the first)."""

    def source(
        self, sites: Sequence[Site], request: Request, *, presorted: bool = False
    ) -> list[Leg]:
        """Legs (location, lines) covering the whole order, or [] when it cannot be covered."""


@register("fulfilment", "chain")
@dataclass(frozen=True, slots=True, kw_only=True)
class SourcingChain:
    """Filters, then sorts, then a split rule; see the module docstring. These defaults are
    also a scenario file's (``policies.fulfilment``)."""

    filters: tuple[str, ...] = ("ships", "has_any_stock", "under_capacity")
    sorts: tuple[str, ...] = ("nearest",)
    split: str = "fewest"
    max_legs: int = 2

    def __post_init__(self) -> None:
        for i, name in enumerate(self.filters):
            if name not in FILTERS:
                raise InputError(f"filters[{i}]", f"one of {sorted(FILTERS)}", name)
        for i, name in enumerate(self.sorts):
            if name not in SORTS:
                raise InputError(f"sorts[{i}]", f"one of {sorted(SORTS)}", name)
        if self.split not in SPLITS:
            raise InputError("split", f"one of {list(SPLITS)}", self.split)
        if self.max_legs < 1:
            raise InputError("max_legs", "at least 1", self.max_legs)

    @property
    def static(self) -> bool:
        """True when every sort is in :data:`STATIC_SORTS`."""
        return all(k in STATIC_SORTS for k in self.sorts)

    def rank(
        self, sites: Sequence[Site], request: Request, *, presorted: bool = False
    ) -> list[Site]:
        """The sites that pass every filter, best first (ties keep the given order).

        With ``presorted``, ``sites`` are already in this chain's order for ``request`` (as
        :meth:`order` returns them, possible for a :attr:`static` chain) and are not sorted again.
        """
        kept = list(sites)
        for name in self.filters:  # filter by filter: the cheap ones come first in the chain
            keep = FILTERS[name]
            kept = [s for s in kept if keep(s, request)]
        return kept if presorted else self.order(kept, request)

    def order(self, sites: Sequence[Site], request: Request) -> list[Site]:
        """``sites`` best first by the sorts alone (no filter)."""
        if len(self.sorts) == 1:
            by = SORTS[self.sorts[0]]
            return sorted(sites, key=lambda s: by(s, request))
        keys = [SORTS[k] for k in self.sorts]
        return sorted(sites, key=lambda s: tuple(key(s, request) for key in keys))

    def source(
        self, sites: Sequence[Site], request: Request, *, presorted: bool = False
    ) -> list[Leg]:
        """Legs (location, lines) that cover the whole order, or [] when it cannot be covered
        (``presorted`` as for :meth:`rank`)."""
        ranked = self.rank(sites, request, presorted=presorted)
        whole = next((s for s in ranked if _full_stock(s, request)), None)
        if whole is not None:
            return [(whole.id, dict(request.lines))]
        if self.split == "none":
            return []
        return self._cover(ranked, request)

    def _cover(self, ranked: list[Site], request: Request) -> list[Leg]:
        remaining = dict(request.lines)
        legs: list[Leg] = []
        candidates = list(ranked)
        while remaining and candidates and len(legs) < self.max_legs:
            best = max(candidates, key=lambda s: sum(request.servable(s, remaining).values()))
            served = request.servable(best, remaining)
            if not served:
                break
            legs.append((best.id, served))
            candidates.remove(best)
            for sku, qty in served.items():
                remaining[sku] -= qty
                if remaining[sku] == 0:
                    del remaining[sku]
        return legs if not remaining else []
