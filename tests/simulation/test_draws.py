"""A visit's batched draws: exact transforms, refills that never repeat, rows fixed by the
customer (common random numbers)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulation.engine.draws import (
    BLOCK,
    JOURNEY_ROW,
    OPS_ROW,
    Draws,
    VisitDraws,
    cumulative,
    poisson_table,
)
from simulation.engine.streams import Streams

N = 40_000


def draws(seed: int = 1, size: int = 64) -> Draws:
    row = np.random.default_rng(seed).random(size).tolist()
    return Draws(row, Streams(seed), (seed, 0, 0))


def test_cumulative_ends_at_one_and_rejects_an_empty_weight() -> None:
    table = cumulative([1.0, 0.0, 3.0])
    assert table == (0.25, 0.25, 1.0)
    with pytest.raises(ValueError, match="positive sum"):
        cumulative([0.0, 0.0])


def test_choice_follows_the_weights_and_never_picks_a_zero_weight() -> None:
    weights = [0.0, 0.5, 0.0, 0.3, 0.2]
    table = cumulative(weights)
    d = draws(size=N)
    counts = np.bincount([d.choice(table) for _ in range(N)], minlength=len(weights))
    assert counts[0] == counts[2] == 0
    expected = np.array(weights) * N
    kept = expected > 0
    chi2 = float((((counts - expected) ** 2)[kept] / expected[kept]).sum())
    assert chi2 < stats.chi2.ppf(0.999, df=int(kept.sum()) - 1), counts


def test_poisson_table_is_the_poisson_cdf() -> None:
    for mean in (0.0, 0.4, 3.0, 25.0):
        table = poisson_table(mean)
        assert table[-1] == 1.0
        ks = np.arange(len(table) - 1)
        np.testing.assert_allclose(table[:-1], stats.poisson.cdf(ks, mean), rtol=1e-12, atol=1e-15)


def test_poisson_by_inversion_has_the_right_mean() -> None:
    d, table = draws(size=N), poisson_table(2.5)
    sample = np.array([d.choice(table) for _ in range(N)], dtype=float)
    half = 3.29 * math.sqrt(2.5 / N)  # 99.9% normal band on the mean; the variance is 2.5
    assert abs(sample.mean() - 2.5) < half


@pytest.mark.parametrize(
    ("draw", "mean", "variance"),
    [
        (lambda d: d.exponential(4.0), 4.0, 16.0),
        (lambda d: d.gamma2(1.5), 3.0, 4.5),  # shape 2, scale 1.5
        (lambda d: d.normal(10.0, 2.0), 10.0, 4.0),
        (lambda d: float(d.integer(1, 7)), 3.5, 35 / 12),
        (lambda d: float(d.below(0.3)), 0.3, 0.21),
    ],
)
def test_transforms_have_their_distributions_moments(
    draw: object, mean: float, variance: float
) -> None:
    # The uniforms come in a row shorter than N, so refills are exercised too.
    d = draws(size=1000)
    sample = np.array([draw(d) for _ in range(N)])  # type: ignore[operator]
    half = 3.29 * math.sqrt(variance / N)
    assert abs(sample.mean() - mean) < half
    assert sample.var() == pytest.approx(variance, rel=0.05)


def test_a_row_that_runs_out_goes_on_with_new_uniforms_that_are_reproducible() -> None:
    streams = Streams(7)
    first = Draws([0.5, 0.25], streams, (3, 0, 0))
    again = Draws([0.5, 0.25], streams, (3, 0, 0))
    other = Draws([0.5, 0.25], streams, (4, 0, 0))
    a = [first.uniform() for _ in range(8)]
    assert a[:2] == [0.5, 0.25]
    assert len(set(a)) == 8  # no uniform repeats after a refill
    assert a == [again.uniform() for _ in range(8)]
    assert a[2:] != [other.uniform() for _ in range(8)][2:]


def test_each_draw_is_its_transform_of_the_next_uniform_across_refills() -> None:
    # exponential, choice and below read the row themselves; uniform() is their oracle
    weights = cumulative([0.2, 0.5, 0.3])
    quick, oracle = draws(seed=9, size=5), draws(seed=9, size=5)
    for i in range(40):  # eight rows' worth: every method meets a refill
        match i % 3:
            case 0:
                assert quick.exponential(2.5) == -2.5 * math.log1p(-oracle.uniform())
            case 1:
                assert quick.choice(weights) == min(
                    int(np.searchsorted(weights, oracle.uniform(), side="right")), 2
                )
            case _:
                assert quick.below(0.4) is (oracle.uniform() < 0.4)


def test_a_customers_draws_are_fixed_by_the_customer_not_the_call_order() -> None:
    one, two = VisitDraws(Streams(5)), VisitDraws(Streams(5))
    customers = [3, BLOCK + 2, 1, 2 * BLOCK, 3]
    rows = {c: _head(one.visit(c, 0)) for c in customers}
    for c in reversed(customers):  # another order, crossing block boundaries both ways
        assert _head(two.visit(c, 0)) == rows[c]
    assert rows[1] != rows[3]
    assert _head(one.visit(3, 1)) != rows[3]  # a repeat visit draws afresh
    assert _head(VisitDraws(Streams(5, replication=1)).visit(3, 0)) != rows[3]


def test_a_first_visit_reads_its_row_of_its_blocks_batches_then_refills() -> None:
    streams = Streams(5)
    customer = 2 * BLOCK + 7
    rng = np.random.Generator(np.random.PCG64(streams.seed_sequence("customer-block", 2)))
    journey_rows, ops_rows = rng.random((BLOCK, JOURNEY_ROW)), rng.random((BLOCK, OPS_ROW))
    journey, ops = VisitDraws(streams).visit(customer, 0)
    read = [journey.uniform() for _ in range(JOURNEY_ROW)]
    assert read == journey_rows[7].tolist()
    assert all(type(u) is float for u in read)
    assert [ops.uniform() for _ in range(OPS_ROW)] == ops_rows[7].tolist()
    more = [journey.uniform() for _ in range(JOURNEY_ROW)]  # past the row: a generator's own
    assert not set(more) & {*read, *journey_rows[8].tolist()}
    assert all(type(u) is float and 0.0 <= u < 1.0 for u in more)


def test_no_two_customers_share_a_row() -> None:
    visits = VisitDraws(Streams(5))
    firsts = {visits.visit(c, 0)[0].uniform() for c in range(1, 3 * BLOCK)}
    assert len(firsts) == 3 * BLOCK - 1


def test_journey_and_operations_draws_are_separate_streams() -> None:
    journey, ops = VisitDraws(Streams(5)).visit(9, 0)
    a = [journey.uniform() for _ in range(JOURNEY_ROW)]
    b = [ops.uniform() for _ in range(JOURNEY_ROW)]
    assert not set(a) & set(b)


def _head(pair: tuple[Draws, Draws]) -> tuple[list[float], list[float]]:
    journey, ops = pair
    return [journey.uniform() for _ in range(4)], [ops.uniform() for _ in range(4)]
