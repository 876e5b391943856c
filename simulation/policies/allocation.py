"""Stock allocation: how much of a location's stock each channel may promise.

A policy turns a location's on-hand stock of a sku into domain commands (ring-fences per
channel, a safety buffer held back from remote channels); the engine sends them at the start
and again after each delivery, as a retailer re-publishes its allocations. Reservations happen
at add-to-cart (``reserve_at = "cart"``, held for ``ttl`` minutes) or only at checkout.

- ``pooled``: every channel sells from the same units;
- ``ring_fenced``: each named channel gets ``floor(fraction * on_hand)`` units that no other
  channel may take (channel-siloed stock when the fractions cover the channels);
- ``online_buffer``: ``buffer`` units are held back from remote channels, for the store floor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from simulation.domain.commands import Command, FenceStock, SetSafetyStock
from simulation.errors import InputError
from simulation.policies.registry import register
from simulation.types import Channel, LocationId, SimTime, SkuId

RESERVE_AT = ("cart", "order")


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """What all allocation policies share: when units are reserved, and for how long. The
    defaults of the policies are also a scenario file's (``policies.allocation``)."""

    reserve_at: str = "order"
    ttl: float = 30.0

    def __post_init__(self) -> None:
        if self.reserve_at not in RESERVE_AT:
            raise InputError("reserve_at", f"one of {list(RESERVE_AT)}", self.reserve_at)
        if self.ttl <= 0:
            raise InputError("ttl", "minutes > 0", self.ttl)

    def commands(
        self, at: SimTime, location: LocationId, sku: SkuId, on_hand: int
    ) -> list[Command]:
        """Commands that publish this allocation for one (location, sku)."""
        return []


@register("allocation", "pooled")
@dataclass(frozen=True, slots=True, kw_only=True)
class Pooled(Allocation):
    pass


@register("allocation", "ring_fenced")
@dataclass(frozen=True, slots=True, kw_only=True)
class RingFenced(Allocation):
    fences: Mapping[Channel, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Allocation.__post_init__(self)
        for channel, share in self.fences.items():
            if not 0 <= share <= 1:
                raise InputError(f"fences.{channel}", "a fraction in [0, 1]", share)
        if sum(self.fences.values()) > 1 + 1e-9:
            raise InputError("fences", "fractions summing to at most 1", dict(self.fences))

    def commands(
        self, at: SimTime, location: LocationId, sku: SkuId, on_hand: int
    ) -> list[Command]:
        return [
            FenceStock(
                at=at,
                location=location,
                sku=sku,
                channel=channel,
                level=math.floor(share * on_hand),
            )
            for channel, share in self.fences.items()
        ]


@register("allocation", "online_buffer")
@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineBuffer(Allocation):
    buffer: int = 0

    def __post_init__(self) -> None:
        Allocation.__post_init__(self)
        if self.buffer < 0:
            raise InputError("buffer", "units >= 0", self.buffer)

    def commands(
        self, at: SimTime, location: LocationId, sku: SkuId, on_hand: int
    ) -> list[Command]:
        return [SetSafetyStock(at=at, location=location, sku=sku, level=self.buffer)]
