"""Closed forms against published numbers, independent textbook sums, and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from simulation.errors import InputError
from simulation.validation.closed_forms import (
    base_stock_expected_backorders,
    base_stock_expected_on_hand,
    base_stock_fill_rate,
    basket_demand_for,
    basket_demand_pmf,
    erlang_a,
    erlang_b,
    erlang_c,
    lost_sales_probability,
    mg1_lq,
    mg1_wq,
    mmc_lq,
    mmc_wait_exceeds,
    mmc_wq,
    newsvendor_cost,
    newsvendor_discrete,
    newsvendor_normal,
    optimal_s_S,
    poisson_pmf,
    pooled_newsvendor_cost,
    pooled_newsvendor_poisson,
    pooled_safety_stock,
    s_S_cost,
)

SIX_DECIMALS = 1e-6

# --- oracles: the textbook sums, slow and plain ----------------------------------------------


def erlang_b_by_sum(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_c_by_sum(c: int, a: float) -> float:
    busy = a**c / math.factorial(c) * c / (c - a)
    return busy / (sum(a**k / math.factorial(k) for k in range(c)) + busy)


def s_S_grid(mean: float, h: float, p: float, K: float) -> tuple[int, int]:
    """Bounds (low, top) of a grid around the newsvendor quantile, as wide as an EOQ-sized
    cycle plus a few demand sds; the test checks the optimum is not on its edge."""
    centre = int(stats.poisson.ppf(p / (p + h), mean))
    width = int(math.sqrt(2 * K * mean / h) + 2 * math.sqrt(mean)) + 6
    return centre - width, centre + width


def s_S_brute_force(mean: float, h: float, p: float, K: float) -> tuple[float, int, int]:
    low, top = s_S_grid(mean, h, p, K)
    return min(
        (s_S_cost(s, S, mean_demand=mean, h=h, p=p, K=K), s, S)
        for S in range(low + 1, top + 1)
        for s in range(low, S)
    )


# --- published values --------------------------------------------------------------------------


def test_mmc_published_example() -> None:
    # M/M/3 with lambda = 2, mu = 1: Wq = 4/9 (Gross et al., Fundamentals of Queueing Theory, §2.3).
    assert mmc_wq(2, 1, 3) == pytest.approx(4 / 9, abs=SIX_DECIMALS)
    assert mmc_lq(2, 1, 3) == pytest.approx(8 / 9, abs=SIX_DECIMALS)
    assert erlang_c(3, 2) == pytest.approx(4 / 9, abs=SIX_DECIMALS)
    assert mmc_wait_exceeds(2, 1, 3, 1.0) == pytest.approx(4 / 9 * math.exp(-1), abs=SIX_DECIMALS)


def test_erlang_a_published_abandonment() -> None:
    # M/M/2+M, lambda = 1.5, mu = 1, theta = 0.5: P(Ab) = 0.146594 (Garnett, Mandelbaum &
    # Reiman 2002 birth-death model; figure given in the omnicanal validation brief).
    metrics = erlang_a(1.5, 1, 2, 0.5)
    assert metrics.p_abandon == pytest.approx(0.146594, abs=SIX_DECIMALS)
    assert metrics.wq == pytest.approx(metrics.lq / 1.5)


def test_base_stock_published_example() -> None:
    # Poisson lead-time demand, mean 2/day x 5 days, S = 14: fill rate 0.864464 and
    # E[backorders] 0.186937 (Palm 1938: units on order ~ Poisson(10); figures from the
    # omnicanal validation brief, equal to the Poisson cdf and loss function at 14).
    assert base_stock_fill_rate(14, 10) == pytest.approx(0.864464, abs=SIX_DECIMALS)
    assert base_stock_expected_backorders(14, 10) == pytest.approx(0.186937, abs=SIX_DECIMALS)
    assert base_stock_expected_on_hand(14, 10) == pytest.approx(4.186937, abs=SIX_DECIMALS)


def test_erlang_b_published_value() -> None:
    # B(5, 3) = (3^5 / 5!) / sum_{k<=5} 3^k / k! = 2.025 / 18.4 = 0.110054 (Kleinrock 1975,
    # §3.7); the lost-sales system is the same loss system with load lambda L = 0.5 x 6 = 3.
    assert erlang_b(5, 3) == pytest.approx(0.110054, abs=SIX_DECIMALS)
    assert lost_sales_probability(5, 0.5, 6) == pytest.approx(0.110054, abs=SIX_DECIMALS)


def test_newsvendor_snyder_shen_example_4_3() -> None:
    # Snyder & Shen, Fundamentals of Supply Chain Theory, Example 4.3: S* = 56.6040 (4 dp).
    solution = newsvendor_normal(0.18, 0.70, 50, 8)
    assert solution.order_up_to == pytest.approx(56.6040, abs=5e-5)


def test_s_S_snyder_shen_example_4_7() -> None:
    # Snyder & Shen, Example 4.7: Poisson(6), h = 1, p = 4, K = 5 -> (4, 10), cost 8.034112.
    policy = optimal_s_S(6, 1, 4, 5)
    assert (policy.s, policy.S) == (4, 10)
    assert policy.cost == pytest.approx(8.034112, abs=SIX_DECIMALS)
    assert s_S_cost(4, 10, mean_demand=6, h=1, p=4, K=5) == pytest.approx(8.034112, abs=1e-6)


# --- independent checks ------------------------------------------------------------------------


def test_newsvendor_cost_matches_numerical_integral() -> None:
    solution = newsvendor_normal(0.18, 0.70, 50, 8)
    demand = stats.norm(50, 8)
    S = solution.order_up_to
    over, _ = integrate.quad(lambda d: 0.18 * (S - d) * demand.pdf(d), -math.inf, S)
    under, _ = integrate.quad(lambda d: 0.70 * (d - S) * demand.pdf(d), S, math.inf)
    assert solution.expected_cost == pytest.approx(over + under, abs=1e-8)


def test_risk_pooling_ratio_is_sqrt_n_for_independent_stores() -> None:
    stock = pooled_safety_stock(9, 10.0, 0.95)
    z = stats.norm.ppf(0.95)
    assert stock.separate == pytest.approx(9 * z * 10.0)
    assert stock.pooled == pytest.approx(3 * z * 10.0)
    assert stock.ratio == pytest.approx(3.0)
    cost = pooled_newsvendor_cost(9, 1.0, 4.0, 10.0)
    assert cost.separate / cost.pooled == pytest.approx(3.0)
    assert cost.pooled == pytest.approx(3 * newsvendor_normal(1.0, 4.0, 0.0, 10.0).expected_cost)


def test_risk_pooling_gains_nothing_for_perfectly_correlated_stores() -> None:
    assert pooled_safety_stock(5, 2.0, 0.9, correlation=1.0).ratio == pytest.approx(1.0)


def test_s_S_with_no_fixed_cost_is_base_stock_cost() -> None:
    # K = 0 and s = S - 1 orders up to S every period, so c = G(S) = h E[on hand] + p E[backorders].
    expected = base_stock_expected_on_hand(8, 6) + 4 * base_stock_expected_backorders(8, 6)
    assert s_S_cost(7, 8, mean_demand=6, h=1, p=4, K=0) == pytest.approx(expected)


def panjer_basket_pmf(customers: float, basket: float, top: int) -> list[float]:
    """Compound Poisson by Panjer's recursion (Panjer 1981), a route independent of
    basket_demand_pmf's sum over the number of customers: sizes 1 + Poisson(basket - 1),
    g(0) = exp(-lam), g(d) = lam / d sum_{k=1..d} k f(k) g(d - k)."""
    size = [0.0] + [float(stats.poisson.pmf(k - 1, basket - 1)) for k in range(1, top + 1)]
    g = [math.exp(-customers)]
    for d in range(1, top + 1):
        g.append(customers / d * sum(k * size[k] * g[d - k] for k in range(1, d + 1)))
    return g


def test_discrete_newsvendor_is_the_zero_fixed_cost_s_S_policy() -> None:
    # Ordering up to S every period with K = 0 is the (S - 1, S) policy, whose renewal cost
    # (Zheng & Federgruen, via the Poisson loss function) is G(S): an independent route.
    pmf = poisson_pmf(6)
    for S in range(20):
        expected = s_S_cost(S - 1, S, mean_demand=6, h=1, p=4, K=0)
        assert newsvendor_cost(S, pmf, 1, 4) == pytest.approx(expected, abs=1e-9)
    solution = newsvendor_discrete(pmf, 1, 4)
    assert solution.order_up_to == optimal_s_S(6, 1, 4, 0).S == 8  # F(7) = 0.744 < 0.8 <= F(8)
    assert solution.cycle_service_level == pytest.approx(stats.poisson.cdf(8, 6))
    costs = [newsvendor_cost(S, pmf, 1, 4) for S in range(20)]
    assert solution.expected_cost == pytest.approx(min(costs))


def test_basket_demand_matches_panjer_and_its_moments() -> None:
    customers, basket = basket_demand_for(50, 8)  # Example 4.3's mean and variance
    pmf = basket_demand_pmf(customers, basket)
    d = np.arange(len(pmf))
    assert float(pmf @ d) == pytest.approx(50, abs=1e-7)
    assert float(pmf @ d**2) - 50**2 == pytest.approx(64, abs=1e-5)
    reference = panjer_basket_pmf(customers, basket, 120)
    assert pmf[:121] == pytest.approx(reference, abs=1e-12)
    assert basket_demand_pmf(7.0, 1.0) == pytest.approx(poisson_pmf(7.0), abs=1e-12)
    assert basket_demand_for(9, 3) == pytest.approx((9, 1))  # variance = mean: Poisson


def test_newsvendor_on_the_models_demand_sits_by_the_textbook_one() -> None:
    # Same mean and variance as Example 4.3's N(50, 8^2): the integer optimum is the integer
    # above S* = 56.6040 and the cost is within 3% of (h + p) sigma phi(z) = 1.998.
    pmf = basket_demand_pmf(*basket_demand_for(50, 8))
    solution = newsvendor_discrete(pmf, 0.18, 0.70)
    textbook = newsvendor_normal(0.18, 0.70, 50, 8)
    assert solution.order_up_to == 57
    assert solution.expected_cost == pytest.approx(textbook.expected_cost, rel=0.03)
    assert solution.expected_cost == pytest.approx(2.047911, abs=SIX_DECIMALS)


def test_poisson_pooling_by_hand_and_towards_sqrt_n() -> None:
    pooling = pooled_newsvendor_poisson(4, 10, 0.18, 0.70)
    assert (pooling.store.order_up_to, pooling.pooled.order_up_to) == (13, 45)

    def by_sum(S: int, mean: float) -> float:  # E[h (S - D)+ + p (D - S)+], scipy's expect
        def cost(d: np.ndarray) -> np.ndarray:
            return 0.18 * np.maximum(S - d, 0) + 0.70 * np.maximum(d - S, 0)

        return float(stats.poisson.expect(cost, (mean,)))

    assert pooling.cost.separate == pytest.approx(4 * by_sum(13, 10), rel=1e-8)
    assert pooling.cost.pooled == pytest.approx(by_sum(45, 40), rel=1e-8)
    assert pooling.cost.ratio == pytest.approx(2.046606, abs=SIX_DECIMALS)
    assert pooling.safety_stock.ratio == pytest.approx(4 * 3 / 5)
    large = pooled_newsvendor_poisson(4, 10_000, 0.18, 0.70)
    assert large.cost.ratio == pytest.approx(2.0, rel=0.01)
    assert large.safety_stock.ratio == pytest.approx(2.0, rel=0.03)


# --- properties ----------------------------------------------------------------------------------

servers = st.integers(min_value=1, max_value=30)
fractions = st.floats(min_value=0.01, max_value=0.95)


@given(c=servers, rho=fractions)
def test_erlang_c_matches_textbook_sum(c: int, rho: float) -> None:
    assert erlang_c(c, rho * c) == pytest.approx(erlang_c_by_sum(c, rho * c), rel=1e-9)


@given(c=st.integers(min_value=0, max_value=30), a=st.floats(min_value=0.0, max_value=60.0))
def test_erlang_b_matches_textbook_sum(c: int, a: float) -> None:
    assert erlang_b(c, a) == pytest.approx(erlang_b_by_sum(c, a), rel=1e-9, abs=1e-300)


@given(c=servers, rho=fractions)
def test_erlang_c_from_erlang_b_relation(c: int, rho: float) -> None:
    b = erlang_b(c, rho * c)
    assert erlang_c_by_sum(c, rho * c) == pytest.approx(b / (1 - rho * (1 - b)), rel=1e-9)


@given(c=servers, low=fractions, high=fractions)
def test_erlang_c_is_a_probability_increasing_in_load(c: int, low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert 0 <= erlang_c(c, low * c) <= erlang_c(c, high * c) <= 1


@given(c=st.integers(min_value=1, max_value=10), rho=st.floats(min_value=0.05, max_value=0.9))
@settings(deadline=None)
def test_erlang_a_approaches_erlang_c_as_patience_grows(c: int, rho: float) -> None:
    lam = rho * c
    metrics = erlang_a(lam, 1.0, c, 1e-9)
    assert metrics.p_wait == pytest.approx(erlang_c(c, lam), rel=1e-6)
    assert metrics.lq == pytest.approx(mmc_lq(lam, 1.0, c), rel=1e-6)
    assert metrics.wq == pytest.approx(mmc_wq(lam, 1.0, c), rel=1e-6)
    assert metrics.p_abandon == pytest.approx(0.0, abs=1e-6)


@given(
    c=st.integers(min_value=1, max_value=10),
    load=st.floats(min_value=0.1, max_value=3.0),
    theta=st.floats(min_value=0.05, max_value=5.0),
)
@settings(deadline=None)
def test_erlang_a_is_stable_even_overloaded(c: int, load: float, theta: float) -> None:
    metrics = erlang_a(load * c, 1.0, c, theta)
    assert 0 <= metrics.p_abandon <= metrics.p_wait + 1e-12
    assert metrics.p_wait <= 1


@given(lam=st.floats(min_value=0.01, max_value=0.95), mu=st.floats(min_value=1.0, max_value=5.0))
def test_mg1_exponential_is_mm1(lam: float, mu: float) -> None:
    assert mg1_wq(lam, 1 / mu, 1.0) == pytest.approx(lam / (mu * (mu - lam)), rel=1e-9)
    assert mg1_wq(lam, 1 / mu, 1.0) == pytest.approx(mmc_wq(lam, mu, 1), rel=1e-9)
    assert mg1_lq(lam, 1 / mu, 0.0) == pytest.approx(mg1_lq(lam, 1 / mu, 1.0) / 2, rel=1e-9)


@given(S=st.integers(min_value=0, max_value=60), mean=st.floats(min_value=0.1, max_value=40.0))
def test_base_stock_fill_rate_increases_and_stock_balances(S: int, mean: float) -> None:
    assert base_stock_fill_rate(S, mean) <= base_stock_fill_rate(S + 1, mean)
    on_hand = base_stock_expected_on_hand(S, mean)
    backorders = base_stock_expected_backorders(S, mean)
    assert on_hand - backorders == pytest.approx(S - mean, abs=1e-9)
    assert on_hand >= -1e-12
    assert backorders >= -1e-12


@given(
    mean=st.floats(min_value=0.5, max_value=5.0),
    h=st.floats(min_value=0.5, max_value=3.0),
    p=st.floats(min_value=0.5, max_value=20.0),
    K=st.floats(min_value=0.0, max_value=15.0),
)
@settings(deadline=None, max_examples=25)
def test_zheng_federgruen_matches_brute_force(mean: float, h: float, p: float, K: float) -> None:
    policy = optimal_s_S(mean, h, p, K)
    best_cost, best_s, best_S = s_S_brute_force(mean, h, p, K)
    low, top = s_S_grid(mean, h, p, K)
    assert low < best_s
    assert best_S < top
    assert policy.cost == pytest.approx(best_cost, rel=1e-9)
    assert policy.cost == pytest.approx(
        s_S_cost(policy.s, policy.S, mean_demand=mean, h=h, p=p, K=K)
    )


# --- bad parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: mmc_wq(3, 1, 3), "arrival_rate"),
        (lambda: mmc_wq(2, 0, 3), "service_rate"),
        (lambda: mmc_lq(2, 1, 0), "servers"),
        (lambda: mmc_wait_exceeds(2, 1, 3, -1), "t"),
        (lambda: erlang_c(3, 3.0), "offered_load"),
        (lambda: erlang_c(2.5, 1.0), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_b(-1, 1.0), "servers"),
        (lambda: erlang_b(3, math.nan), "offered_load"),
        (lambda: erlang_a(2, 1, 2, 0.0), "arrival_rate"),
        (lambda: erlang_a(2, 1, 2, -0.5), "abandonment_rate"),
        (lambda: mg1_wq(1, 1, 0.5), "arrival_rate"),
        (lambda: mg1_wq(0.5, 1, -0.1), "scv"),
        (lambda: base_stock_fill_rate(-1, 10), "base_stock_level"),
        (lambda: base_stock_expected_backorders(3, 0), "mean_lead_time_demand"),
        (lambda: lost_sales_probability(3, 1, 0), "mean_lead_time"),
        (lambda: newsvendor_normal(0, 1, 50, 8), "holding_cost"),
        (lambda: newsvendor_normal(1, 1, 50, 0), "demand_sd"),
        (lambda: pooled_safety_stock(3, 1, 1.0), "service_level"),
        (lambda: pooled_safety_stock(3, 1, 0.9, correlation=-0.5), "correlation"),
        (lambda: pooled_newsvendor_cost(0, 1, 1, 1), "n_stores"),
        (lambda: s_S_cost(5, 5, mean_demand=6, h=1, p=4, K=5), "order_up_to_level"),
        (lambda: optimal_s_S(6, 1, 4, -1), "fixed_order_cost"),
        (lambda: optimal_s_S(6, 1, 0, 5), "backorder_cost"),
        (lambda: newsvendor_cost(3, np.array([0.5, 0.4]), 1, 1), "pmf"),
        (lambda: newsvendor_discrete(poisson_pmf(3), 1, 0), "shortage_cost"),
        (lambda: basket_demand_for(50, 5), "demand_sd"),
        (lambda: basket_demand_pmf(10, 0.5), "basket_mean"),
        (lambda: pooled_newsvendor_poisson(0, 10, 1, 1), "n_stores"),
    ],
)
def test_bad_parameters_raise_input_error_naming_the_field(call: object, field: str) -> None:
    with pytest.raises(InputError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


def test_unstable_queue_error_says_what_was_expected() -> None:
    with pytest.raises(InputError) as caught:
        mmc_wq(3.5, 1, 3)
    assert caught.value.expected == "arrival_rate < servers * service_rate = 3"
    assert caught.value.given == 3.5
