"""Arrivals: the NHPP draw against its exact mean, hour profile and campaigns (fixed seeds)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation.engine.arrivals import CHANNELS, Arrivals, Campaign, RateProfile, draw, draw_uplift
from simulation.engine.streams import Streams, stable_id
from simulation.types import Channel

WEEK = 7 * 1440.0
HOURS = tuple(0.2 if h < 8 else 1.5 if 17 <= h < 21 else 1.0 for h in range(24))
PROFILE = RateProfile(
    base_per_hour=30.0,
    shares={Channel.WEB: 0.5, Channel.APP: 0.3, Channel.INSTAGRAM: 0.2},
    hour_of_day=HOURS,
    day_of_week=(1, 1, 1, 1, 1.2, 1.6, 0.8),
    campaigns=(
        Campaign(name="post", start=2 * 1440 + 600.5, end=2 * 1440 + 900.25, multiplier=4.0,
                 channels=(Channel.INSTAGRAM,)),
    ),
)  # fmt: skip


def test_stable_id_is_stable() -> None:
    # blake2b of the name: a fixed number on every machine and Python version.
    assert stable_id("arrivals") == 791231600
    assert Streams(7)("a").random() == Streams(7)("a").random()
    assert Streams(7)("a").random() != Streams(7, replication=1)("a").random()


def test_expected_counts_are_the_integral_of_the_rate() -> None:
    expected = PROFILE.expected(WEEK)
    web = 30.0 * 0.5 * sum(HOURS) * sum((1, 1, 1, 1, 1.2, 1.6, 0.8))
    assert expected[CHANNELS.index(Channel.WEB)] == pytest.approx(web)
    hour_10 = HOURS[10]  # the campaign runs 10:00:30 to 15:00:15 on day 2 (a Wednesday)
    extra = 30.0 * 0.2 * hour_10 * 1.0 * 3.0 * (900.25 - 600.5) / 60.0
    ig = 30.0 * 0.2 * sum(HOURS) * sum((1, 1, 1, 1, 1.2, 1.6, 0.8)) + extra
    assert expected[CHANNELS.index(Channel.INSTAGRAM)] == pytest.approx(ig)
    assert expected[CHANNELS.index(Channel.STORE)] == 0


def _everyone(profile: RateProfile, streams: Streams) -> Arrivals:
    """The base arrivals and each campaign's, merged, as the engine draws them."""
    parts = [draw(profile, WEEK, streams("arrivals"))]
    parts += [
        draw_uplift(profile, c, WEEK, streams(f"campaign:{c.name}")) for c in profile.campaigns
    ]
    times = np.concatenate([p.times for p in parts])
    order = np.argsort(times, kind="stable")
    return Arrivals(times=times[order], channels=np.concatenate([p.channels for p in parts])[order])


def test_counts_per_channel_lie_in_the_poisson_interval() -> None:
    arrivals = _everyone(PROFILE, Streams(42))
    expected = PROFILE.expected(WEEK)
    counts = np.bincount(arrivals.channels, minlength=len(CHANNELS))
    for mean, count in zip(expected, counts, strict=True):
        # Poisson: a 99.9% interval of mean +- 3.29 sqrt(mean).
        assert abs(count - mean) <= 3.29 * np.sqrt(mean) + 1e-9


def test_hour_profile_is_followed_over_replications() -> None:
    per_hour = np.zeros(24)
    for rep in range(20):
        times = _everyone(PROFILE, Streams(1, rep)).times
        per_hour += np.bincount(((times // 60) % 24).astype(int), minlength=24)
    edges = PROFILE.breakpoints(WEEK)
    mass = PROFILE.rates(edges[:-1]).sum(axis=1) * np.diff(edges)
    hour = ((edges[:-1] // 60) % 24).astype(int)
    exact_hour = np.bincount(hour, weights=mass, minlength=24) * 20
    z = (per_hour - exact_hour) / np.sqrt(exact_hour)
    assert np.all(np.abs(z) < 4.0), z


def test_arrivals_are_sorted_inside_the_horizon_and_reproducible() -> None:
    a = draw(PROFILE, WEEK, Streams(3)("arrivals"))
    b = draw(PROFILE, WEEK, Streams(3)("arrivals"))
    assert np.all(np.diff(a.times) >= 0)
    assert a.times.min() >= 0
    assert a.times.max() < WEEK
    assert np.array_equal(a.times, b.times)
    assert np.array_equal(a.channels, b.channels)


def test_a_campaign_adds_its_own_arrivals_and_leaves_the_base_alone() -> None:
    """Common random numbers: the base arrivals are the same with the campaign as without;
    the campaign's own are inside its window and channels, as many as its uplift's mean."""
    without = replace(PROFILE, campaigns=())
    base = draw(PROFILE, WEEK, Streams(5)("arrivals"))
    alone = draw(without, WEEK, Streams(5)("arrivals"))
    assert np.array_equal(base.times, alone.times)
    assert np.array_equal(base.channels, alone.channels)
    (post,) = PROFILE.campaigns
    counts = []
    for rep in range(40):
        extra = draw_uplift(PROFILE, post, WEEK, Streams(5, rep)("campaign:post"))
        assert ((extra.times >= post.start) & (extra.times < post.end)).all()
        assert set(extra.channels.tolist()) <= {CHANNELS.index(Channel.INSTAGRAM)}
        counts.append(len(extra))
    mean = 30.0 * 0.2 * HOURS[10] * 3.0 * (900.25 - 600.5) / 60.0  # 3 = multiplier - 1
    assert abs(np.mean(counts) - mean) < 3.29 * np.sqrt(mean / 40)


def test_overlapping_campaigns_add_their_uplifts() -> None:
    two = replace(
        PROFILE,
        campaigns=(
            Campaign(name="a", start=0.0, end=WEEK, multiplier=3.0, channels=(Channel.WEB,)),
            Campaign(name="b", start=0.0, end=WEEK, multiplier=3.0, channels=(Channel.WEB,)),
        ),
    )
    web = CHANNELS.index(Channel.WEB)
    assert two.expected(WEEK)[web] == pytest.approx(
        5.0 * replace(PROFILE, campaigns=()).expected(WEEK)[web]
    )
