"""A visit's random draws, made in numpy batches and read one at a time.

Every decision of a visit (basket, step times, next steps, channel switches, the fulfilment
mode, what happens to its orders) is a transform of one uniform from the visit's own row of
uniforms. Rows of first visits are drawn for a whole block of customers at once, from a stream
keyed by the block: customer ``i`` always reads row ``i % BLOCK`` of block ``i // BLOCK``, so
its draws are fixed by the customer, not by the order in which the engine asks for them
(common random numbers), and a block costs one numpy call instead of a generator per visit.
A row is copied out of its batch as an ``array('d')``: a visit in flight (and an order's
operations keep theirs for weeks) holds its uniforms as 8 bytes each, not as a list of float
objects, and holds no batch alive (a view of the batch would keep all of it).
Repeat visits, rarer, read a row drawn from their own generator. A row that runs out goes on
with more uniforms from a generator of the visit's own, so a long visit never repeats a draw.

The transforms are exact: exponential by inversion, a categorical choice by a search in the
cumulative weights, Poisson by inversion of its cumulative table, the normal by the inverse
of its CDF.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from simulation.engine.streams import Streams

BLOCK = 1024
"""Customers per batch of first-visit rows."""
JOURNEY_ROW = 48
"""Uniforms per row of a visit's journey draws (about 30 are used by a typical visit)."""
OPS_ROW = 12
"""Uniforms per row of the draws of what happens to a visit's orders."""

_STANDARD_NORMAL = NormalDist()

Row = Sequence[float]
"""A visit's uniforms (an ``array('d')`` in the engine: ``row[i]`` is a Python float)."""


def _row(values: np.ndarray) -> array[float]:
    return array("d", values.tobytes())


def cumulative(weights: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    """Cumulative weights normalised to end at exactly 1, for :meth:`Draws.choice`."""
    running = np.cumsum(np.asarray(weights, dtype=float))
    if running.size == 0 or not running[-1] > 0:
        raise ValueError(f"weights must have a positive sum, got {list(weights)}")
    running /= running[-1]
    running[-1] = 1.0
    return tuple(float(c) for c in running)


def poisson_table(mean: float, tail: float = 1e-15) -> tuple[float, ...]:
    """The cumulative Poisson(mean) probabilities P(X <= k), k = 0, 1, ... up to 1 - tail."""
    if mean < 0:
        raise ValueError(f"Poisson mean must be >= 0, got {mean}")
    p = math.exp(-mean)
    total, table, k = p, [p], 0
    while total < 1.0 - tail and k < 10 * mean + 100:
        k += 1
        p *= mean / k
        total += p
        table.append(total)
    table[-1] = 1.0
    return tuple(table)


class Draws:
    """One visit's uniforms; each method reads the next one (see the module docstring)."""

    __slots__ = ("_extra", "_i", "_key", "_row", "_streams")

    def __init__(self, row: Row, streams: Streams, key: tuple[int, ...]) -> None:
        self._row = row
        self._i = 0
        self._streams = streams
        self._key = key  # (customer, visit, part): whose further uniforms to draw on refill
        self._extra = 0

    def uniform(self) -> float:
        """A uniform in [0, 1)."""
        i = self._i
        if i == len(self._row):
            self._refill()
            i = 0
        self._i = i + 1
        return self._row[i]

    def _refill(self) -> None:
        self._extra += 1
        seeds = self._streams.seed_sequence("customer-more", *self._key, self._extra)
        size = max(len(self._row), 1)
        self._row = _row(np.random.Generator(np.random.PCG64(seeds)).random(size))

    # The three draws a visit makes most read the next uniform themselves (uniform()'s body,
    # written out): a call less per draw, and a visit draws about 15 times. The row chained
    # to a generator of refills, read by its C-level __next__, reads more simply but measured
    # 1.4% more instructions per logged event: two more objects for every visit.

    def exponential(self, mean: float) -> float:
        i = self._i
        if i == len(self._row):
            self._refill()
            i = 0
        self._i = i + 1
        return -mean * math.log1p(-self._row[i])

    def choice(self, cumulative: Sequence[float]) -> int:
        """An index drawn with the weights whose :func:`cumulative` sums are given."""
        i = self._i
        if i == len(self._row):
            self._refill()
            i = 0
        self._i = i + 1
        return min(bisect_right(cumulative, self._row[i]), len(cumulative) - 1)

    def below(self, probability: float) -> bool:
        """True with ``probability``."""
        i = self._i
        if i == len(self._row):
            self._refill()
            i = 0
        self._i = i + 1
        return self._row[i] < probability

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high)."""
        return min(low + int(self.uniform() * (high - low)), high - 1)

    def normal(self, mean: float, sd: float) -> float:
        u = self.uniform()
        return mean + sd * _STANDARD_NORMAL.inv_cdf(u if u > 0.0 else 5e-324)

    def lognormal(self, mu: float, sigma: float) -> float:
        return math.exp(self.normal(mu, sigma))

    def gamma2(self, scale: float) -> float:
        """Gamma with shape 2 (an Erlang-2): the sum of two exponentials."""
        return self.exponential(scale) + self.exponential(scale)


class VisitDraws:
    """Hands out each visit's journey and operations draws for one replication."""

    __slots__ = ("_block", "_blocks", "_streams", "batched", "batched_below", "customers", "visits")

    def __init__(self, streams: Streams, *, batched: bool = True) -> None:
        self._streams = streams
        self.batched = batched
        """False: every visit draws its rows from a generator of its own, one call per visit
        (the straightforward version, kept as the tests' oracle for the batched one)."""
        self.batched_below = math.inf
        """Customers from this id on draw as unbatched ones do: a campaign's customers, whose
        ids are after the base arrivals' but who arrive among them (blocks read in id order)."""
        self._block = -1
        self._blocks: tuple[np.ndarray, np.ndarray] = (np.empty((0, 0)), np.empty((0, 0)))
        """The current block's journey and operations batches, a row per customer."""
        self.customers = 0
        """First visits handed out."""
        self.visits = 0
        """Visits handed out, repeat visits included."""

    def visit(self, customer: int, number: int) -> tuple[Draws, Draws]:
        """The (journey, operations) draws of visit ``number`` (0 for the first) of ``customer``."""
        self.visits += 1
        if number == 0:
            self.customers += 1
        if number == 0 and self.batched and customer < self.batched_below:
            journey, ops = self._first_visit_rows(customer)
        else:
            rng = np.random.Generator(
                np.random.PCG64(self._streams.seed_sequence("customer", customer, number))
            )
            journey = _row(rng.random(JOURNEY_ROW))
            ops = _row(rng.random(OPS_ROW))
        streams = self._streams
        return Draws(journey, streams, (customer, number, 0)), Draws(
            ops, streams, (customer, number, 1)
        )

    def _first_visit_rows(self, customer: int) -> tuple[Row, Row]:
        """Row ``customer % BLOCK`` of the journey and operations batches of its block."""
        block, row = divmod(customer, BLOCK)
        if block != self._block:
            rng = np.random.Generator(
                np.random.PCG64(self._streams.seed_sequence("customer-block", block))
            )
            self._blocks = (rng.random((BLOCK, JOURNEY_ROW)), rng.random((BLOCK, OPS_ROW)))
            self._block = block
        journey, ops = self._blocks
        return _row(journey[row]), _row(ops[row])
