"""When a customer comes back, decided as a visit begins, from the visit's own draws.

Two laws, per segment: a constant one (another visit with probability ``repeat_rate``, an
exponential ``repeat_days`` later) and the BG/NBD one (Fader, Hardie & Lee 2005): while alive, a
customer comes back as a Poisson process of their own rate, and after each repeat visit drops
out for good with their own probability; rates and dropouts vary across customers (Gamma and
Beta laws), each customer's drawn once, from a generator of their own, so they are the same at
every visit and under every policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simulation.engine.draws import Draws
from simulation.engine.plan import SegmentPlan
from simulation.types import MINUTES_PER_DAY

if TYPE_CHECKING:
    from simulation.engine.world import World


def next_visit(
    world: World, seg: SegmentPlan, customer: int, number: int, rng: Draws
) -> float | None:
    """Minutes from now to visit ``number + 1`` of ``customer``, or None when there is none."""
    if seg.btyd is not None:
        return _btyd(world, seg.btyd, customer, number, rng)
    if rng.below(seg.repeat_rate):
        return rng.exponential(seg.repeat_days * MINUTES_PER_DAY)
    return None


def _btyd(
    world: World, law: tuple[float, float, float, float], customer: int, number: int, rng: Draws
) -> float | None:
    """The BG/NBD law: a first visit is always followed by another; a repeat one is the last
    with the customer's dropout probability."""
    r, alpha, a, b = law
    own = np.random.Generator(np.random.PCG64(world.streams.seed_sequence("btyd", customer)))
    rate, dropout = own.gamma(r, 1.0 / alpha), own.beta(a, b)
    if number > 0 and rng.below(dropout):
        return None
    return rng.exponential(MINUTES_PER_DAY / rate)
