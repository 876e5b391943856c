"""The catalogue's models: skus listed one by one or generated (prices, demand, ids)."""

from __future__ import annotations

import math
from typing import Annotated, Self

import numpy as np
from pydantic import Field, model_validator

from simulation.scenario.fields import Kind, Model, NonNegative, Positive


class Sku(Model):
    id: str = Field(min_length=1)
    """Unique sku id."""
    price: Positive
    """Selling price per unit."""
    unit_cost: NonNegative
    """Cost per unit (for margin)."""
    demand: Positive = 1.0
    """Relative demand weight: how often baskets draw this sku."""
    lead_days: Positive | None = None
    """Replenishment lead time of this sku in days (default: the catalogue's)."""


class Generate(Model):
    """Generated skus: lognormal prices, Zipf demand, one margin."""

    count: Annotated[int, Field(gt=0, le=100_000)]
    """Number of skus to generate."""
    price_median: Positive = 30.0
    """Median price of the lognormal price distribution."""
    price_sigma: NonNegative = 0.6
    """Sigma of log price."""
    margin: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.45
    """(price - unit cost) / price, for every sku."""
    zipf: NonNegative = 1.0
    """Zipf exponent of demand by sku rank (0: all equal)."""
    seed: Annotated[int, Field(ge=0)] = 0
    """Seed of the catalogue's own draws, so the catalogue stays fixed across runs."""

    def ids(self) -> list[str]:
        """The generated skus' ids, in the order of their draws."""
        return [f"SKU{i:04d}" for i in range(self.count)]

    def prices(self) -> np.ndarray:
        """The generated prices, rounded to cents, from the catalogue's own seed."""
        rng = np.random.default_rng(self.seed)
        with np.errstate(over="ignore"):  # a huge sigma overflows to inf: refused below
            drawn = self.price_median * np.exp(rng.normal(0.0, self.price_sigma, self.count))
        prices: np.ndarray = np.round(drawn, 2)
        return prices

    def demand(self) -> np.ndarray:
        """Zipf weights by rank (not normalised): 1, 1/2^zipf, 1/3^zipf, ..."""
        with np.errstate(over="ignore"):  # a huge exponent: weight 0 past the first sku
            weights: np.ndarray = 1.0 / np.arange(1, self.count + 1) ** self.zipf
        return weights

    @model_validator(mode="after")
    def _sellable(self) -> Self:
        prices = self.prices()
        low, high = float(prices.min()), float(prices.max())
        if low < 0.01 or not math.isfinite(high):
            median_alone = round(self.price_median, 2) >= 0.01 and self.price_median < 1e300
            field = "price_sigma" if median_alone else "price_median"
            raise ValueError(
                f"{field}: expected generated prices of at least 0.01 and finite, "
                f"got {getattr(self, field):g} (prices from {low:g} to {high:g})"
            )
        return self


class Catalogue(Model):
    lead_days: Positive = 3.0
    """Replenishment lead time in days."""
    generate: Generate | None = None
    """Generate skus (lognormal prices, Zipf demand) instead of, or besides, listing them."""
    sku: list[Sku] = Field(default_factory=list)
    """Skus listed one by one."""
    stock: dict[Kind, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    """Initial units of every sku by location kind (warehouse, store, dark_store)."""
    initial: dict[str, dict[str, Annotated[int, Field(ge=0)]]] = Field(default_factory=dict)
    """Initial units by location id and sku, overriding catalogue.stock."""

    @model_validator(mode="after")
    def _some_skus(self) -> Self:
        if self.generate is None and not self.sku:
            raise ValueError(
                "sku: expected [catalogue.generate] or at least one [[catalogue.sku]], got none"
            )
        seen = set(self.generate.ids() if self.generate else ())
        for i, sku in enumerate(self.sku):
            if sku.id in seen:
                raise ValueError(
                    f"sku[{i}].id: expected an id unlike the others and the generated ones "
                    f"(SKU0000, SKU0001, ...), got {sku.id!r} twice"
                )
            seen.add(sku.id)
        return self

    def sku_ids(self) -> list[str]:
        """Every sku's id: the listed ones, then the generated ones."""
        return [s.id for s in self.sku] + (self.generate.ids() if self.generate else [])
