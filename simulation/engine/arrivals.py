"""Customer arrivals: a non-homogeneous Poisson process, per channel, drawn in one batch.

The rate of channel c at time t (minutes) is

    base_per_hour / 60 * share[c] * hour_of_day[h(t)] * day_of_week[d(t)] * campaigns(c, t)

where ``campaigns`` multiplies the rates of the channels a campaign names while it runs. The
rate is constant between breakpoints (hour boundaries, campaign starts and ends), so the
process is drawn exactly, without thinning: a Poisson count per segment and channel, then
uniform times inside each segment, all vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.types import MINUTES_PER_DAY, MINUTES_PER_HOUR, Channel

CHANNELS: tuple[Channel, ...] = tuple(Channel)


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """Multiplies the arrival rate of ``channels`` by ``multiplier`` in [start, end) minutes."""

    name: str
    start: float
    end: float
    multiplier: float
    channels: tuple[Channel, ...]


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

    def rates(self, starts: np.ndarray) -> np.ndarray:
        """Arrivals per minute, shape (len(starts), len(CHANNELS)), for segments from ``starts``."""
        hour = (starts // MINUTES_PER_HOUR).astype(np.int64) % 24
        day = (starts // MINUTES_PER_DAY).astype(np.int64) % 7
        level = self.base_per_hour / MINUTES_PER_HOUR
        level *= np.asarray(self.hour_of_day)[hour] * np.asarray(self.day_of_week)[day]
        share = np.array([self.shares.get(c, 0.0) for c in CHANNELS])
        rates: np.ndarray = level[:, None] * share[None, :]
        for campaign in self.campaigns:
            active = (starts >= campaign.start) & (starts < campaign.end)
            columns = np.array([c in campaign.channels for c in CHANNELS])
            rates[np.outer(active, columns)] *= campaign.multiplier
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


def draw(profile: RateProfile, horizon: float, rng: np.random.Generator) -> Arrivals:
    """All arrivals in [0, horizon), exactly distributed as the profile's NHPP."""
    edges = profile.breakpoints(horizon)
    starts, widths = edges[:-1], np.diff(edges)
    means = profile.rates(starts) * widths[:, None]
    counts = rng.poisson(means)
    segment, channel = np.nonzero(counts)
    repeat = counts[segment, channel]
    seg = np.repeat(segment, repeat)
    times = starts[seg] + rng.random(len(seg)) * widths[seg]
    channels = np.repeat(channel, repeat)
    order = np.argsort(times, kind="stable")
    return Arrivals(times=times[order], channels=channels[order])
