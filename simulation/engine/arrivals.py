"""Customer arrivals: a non-homogeneous Poisson process, per channel, drawn in one batch.

The rate of channel c at time t (minutes) is the base rate plus each running campaign's uplift:

    base(c, t) = base_per_hour / 60 * share[c] * hour_of_day[h(t)] * day_of_week[d(t)]
    rate(c, t) = base(c, t) * (1 + sum of (multiplier - 1) over the campaigns naming c at t)

so a campaign alone multiplies its channels' rates by its multiplier. The arrivals are the
superposition of the base process and one process per campaign (its uplift), each drawn from
a stream of its own (:func:`draw`, :func:`draw_uplift`): the customers a campaign brings are
exactly its process's arrivals, and a scenario without the campaign has the very same base
arrivals (common random numbers for incrementality). Rates are constant between breakpoints
(hour boundaries, campaign starts and ends), so each process is drawn exactly, without
thinning: a Poisson count per segment and channel, then uniform times inside each segment,
all vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.types import MINUTES_PER_DAY, MINUTES_PER_HOUR, Channel

CHANNELS: tuple[Channel, ...] = tuple(Channel)


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """Adds ``multiplier - 1`` times the base rate of ``channels`` in [start, end) minutes."""

    name: str
    start: float
    end: float
    multiplier: float
    channels: tuple[Channel, ...]
    cost: float = 0.0
    """Fixed cost (currency units), for the marketing KPIs."""
    cost_per_visit: float = 0.0
    """Cost of each visit it brings (currency units)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateProfile:
    base_per_hour: float
    shares: dict[Channel, float]
    hour_of_day: tuple[float, ...] = (1.0,) * 24
    day_of_week: tuple[float, ...] = (1.0,) * 7
    campaigns: tuple[Campaign, ...] = ()

    def breakpoints(self, horizon: float) -> np.ndarray:
        """Times where some channel's rate may change, from 0 to ``horizon`` inclusive."""
        hours = np.arange(0.0, horizon, MINUTES_PER_HOUR)
        edges = [t for c in self.campaigns for t in (c.start, c.end) if 0 < t < horizon]
        return np.unique(np.concatenate([hours, edges, [horizon]]))

    def base_rates(self, starts: np.ndarray) -> np.ndarray:
        """Arrivals per minute without the campaigns, shape (len(starts), len(CHANNELS)), for
        segments from ``starts``."""
        hour = (starts // MINUTES_PER_HOUR).astype(np.int64) % 24
        day = (starts // MINUTES_PER_DAY).astype(np.int64) % 7
        level = self.base_per_hour / MINUTES_PER_HOUR
        level *= np.asarray(self.hour_of_day)[hour] * np.asarray(self.day_of_week)[day]
        share = np.array([self.shares.get(c, 0.0) for c in CHANNELS])
        rates: np.ndarray = level[:, None] * share[None, :]
        return rates

    def uplift(self, campaign: Campaign, starts: np.ndarray) -> np.ndarray:
        """The arrivals per minute ``campaign`` adds, shape (len(starts), len(CHANNELS))."""
        lift: np.ndarray = self.base_rates(starts) * (campaign.multiplier - 1.0)
        lift *= _window(campaign, starts)
        return lift

    def rates(self, starts: np.ndarray) -> np.ndarray:
        """Arrivals per minute, campaigns included, shape (len(starts), len(CHANNELS))."""
        rates = self.base_rates(starts)
        for campaign in self.campaigns:
            rates = rates + self.uplift(campaign, starts)
        return rates

    def expected(self, horizon: float) -> np.ndarray:
        """Expected arrivals per channel over [0, horizon): the exact mean of :func:`draw`."""
        edges = self.breakpoints(horizon)
        expected: np.ndarray = (self.rates(edges[:-1]) * np.diff(edges)[:, None]).sum(axis=0)
        return expected


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Arrival times (sorted) and the channel each customer first comes through."""

    times: np.ndarray
    channels: np.ndarray  # indexes into CHANNELS

    def __len__(self) -> int:
        return len(self.times)

    def channel(self, i: int) -> Channel:
        return CHANNELS[int(self.channels[i])]


def _window(campaign: Campaign, starts: np.ndarray) -> np.ndarray:
    """1 where ``campaign`` runs and names the channel, else 0: (len(starts), len(CHANNELS))."""
    active = (starts >= campaign.start) & (starts < campaign.end)
    columns = np.array([c in campaign.channels for c in CHANNELS])
    window: np.ndarray = np.outer(active, columns).astype(float)
    return window


def draw(profile: RateProfile, horizon: float, rng: np.random.Generator) -> Arrivals:
    """The base arrivals in [0, horizon): the profile's NHPP without its campaigns, drawn hour
    by hour, so a scenario with campaigns has the same base arrivals as one without."""
    edges = np.unique(np.concatenate([np.arange(0.0, horizon, MINUTES_PER_HOUR), [horizon]]))
    return _draw(edges, profile.base_rates(edges[:-1]), rng)


def draw_uplift(
    profile: RateProfile, campaign: Campaign, horizon: float, rng: np.random.Generator
) -> Arrivals:
    """The arrivals ``campaign`` brings in [0, horizon) (its own stream: ``rng``)."""
    hours = np.arange(0.0, horizon, MINUTES_PER_HOUR)
    cuts = [t for t in (campaign.start, campaign.end) if 0 < t < horizon]
    edges = np.unique(np.concatenate([hours, cuts, [horizon]]))
    return _draw(edges, profile.uplift(campaign, edges[:-1]), rng)


def _draw(edges: np.ndarray, rates: np.ndarray, rng: np.random.Generator) -> Arrivals:
    starts, widths = edges[:-1], np.diff(edges)
    means = rates * widths[:, None]
    counts = rng.poisson(means)
    segment, channel = np.nonzero(counts)
    repeat = counts[segment, channel]
    seg = np.repeat(segment, repeat)
    times = starts[seg] + rng.random(len(seg)) * widths[seg]
    channels = np.repeat(channel, repeat)
    order = np.argsort(times, kind="stable")
    return Arrivals(times=times[order], channels=channels[order])
