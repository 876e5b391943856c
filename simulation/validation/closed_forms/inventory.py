"""Inventory: base stock (Palm), lost sales (Erlang B), newsvendor, risk pooling (Eppen), (s,S).

See :mod:`simulation.validation.closed_forms` for the conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from simulation.errors import InputError
from simulation.validation.closed_forms._checks import (
    _check_integer,
    _check_nonnegative,
    _check_positive,
)
from simulation.validation.closed_forms.queueing import erlang_b

# ---------------------------------------------------------------------------------------------
# base stock with Poisson demand


def _poisson_loss(y: NDArray[np.int64], mean: float) -> NDArray[np.float64]:
    """E[(D - y)^+] for D ~ Poisson(mean), any integer y: mean P(D >= y) - y P(D > y)."""
    tail: NDArray[np.float64] = mean * stats.poisson.sf(y - 1, mean) - y * stats.poisson.sf(y, mean)
    return tail


def _check_base_stock(S: int, mean_lead_time_demand: float) -> None:
    _check_integer("base_stock_level", S, 0)
    _check_positive("mean_lead_time_demand", mean_lead_time_demand)


def base_stock_fill_rate(S: int, mean_lead_time_demand: float) -> float:
    """Fill rate of a one-for-one (S-1, S) base-stock policy with backorders: P(D <= S - 1).

    Unit demands arrive as a Poisson process, each triggers a replenishment order, and orders
    take independent, identically distributed lead times. By Palm's theorem the number of
    units on order is Poisson with mean ``mean_lead_time_demand`` = demand rate x mean lead
    time, whatever the lead-time distribution, so a demand is met from stock iff fewer than
    ``S`` units are on order when it arrives (PASTA).

    Source: Palm, "Analysis of the Erlang traffic formula for busy-signal arrangements",
    Ericsson Technics 5, 1938; Feeney & Sherbrooke, "The (s-1, s) inventory policy under
    compound Poisson demand", Management Science 12(5), 1966.
    """
    _check_base_stock(S, mean_lead_time_demand)
    return float(stats.poisson.cdf(S - 1, mean_lead_time_demand))


def base_stock_expected_backorders(S: int, mean_lead_time_demand: float) -> float:
    """Long-run mean number of backorders E[(D - S)^+] under an (S-1, S) policy, D ~ Poisson.

    Parameters and assumptions as :func:`base_stock_fill_rate`. Source: as there (Palm 1938;
    Feeney & Sherbrooke 1966).
    """
    _check_base_stock(S, mean_lead_time_demand)
    return float(_poisson_loss(np.array(S), mean_lead_time_demand))


def base_stock_expected_on_hand(S: int, mean_lead_time_demand: float) -> float:
    """Long-run mean units on hand E[(S - D)^+] = S - E[D] + E[(D - S)^+], D ~ Poisson.

    Parameters and assumptions as :func:`base_stock_fill_rate`.
    """
    backorders = base_stock_expected_backorders(S, mean_lead_time_demand)
    return S - mean_lead_time_demand + backorders


def lost_sales_probability(S: int, demand_rate: float, mean_lead_time: float) -> float:
    """Fraction of demand lost under one-for-one replenishment with lost sales: B(S, lam L).

    Unit demands arrive as a Poisson process at ``demand_rate``; a demand finding no stock is
    lost and orders nothing; each sale triggers one order with i.i.d. lead time of mean
    ``mean_lead_time``. Units on order then behave as busy servers of an M/G/S/S loss system,
    whose blocking probability is Erlang B and insensitive to the lead-time distribution.

    Source: Karush, "A queuing model for an inventory problem", Operations Research 5(5), 1957;
    insensitivity: Sevastyanov (1957).
    """
    _check_integer("base_stock_level", S, 0)
    _check_positive("demand_rate", demand_rate)
    _check_positive("mean_lead_time", mean_lead_time)
    return erlang_b(S, demand_rate * mean_lead_time)


# ---------------------------------------------------------------------------------------------
# newsvendor and risk pooling


@dataclass(frozen=True, slots=True, kw_only=True)
class NewsvendorSolution:
    """Optimal order-up-to level ``order_up_to`` = mu + z sigma, z = Phi^-1(``critical_ratio``),
    and its expected holding plus shortage cost per period, ``expected_cost``."""

    order_up_to: float
    critical_ratio: float
    z: float
    expected_cost: float


def newsvendor_normal(h: float, p: float, mu: float, sigma: float) -> NewsvendorSolution:
    """Normal-demand newsvendor: S* = mu + sigma Phi^-1(p / (p + h)), cost (h + p) sigma phi(z).

    ``h`` holding cost per unit left over, ``p`` shortage (penalty) cost per unit short, in
    the same money unit; demand D ~ Normal(``mu``, ``sigma``^2) per period. The cost is
    E[h (S - D)^+ + p (D - S)^+] at S = S*, which reduces to (h + p) sigma phi(z).

    Source: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), §4.3
    (Example 4.3: h = 0.18, p = 0.70, N(50, 8^2) gives S* = 56.6040).
    """
    _check_positive("holding_cost", h)
    _check_positive("shortage_cost", p)
    _check_nonnegative("mean_demand", mu)
    _check_positive("demand_sd", sigma)
    ratio = p / (p + h)
    z = float(stats.norm.ppf(ratio))
    cost = (h + p) * sigma * float(stats.norm.pdf(z))
    return NewsvendorSolution(
        order_up_to=mu + z * sigma, critical_ratio=ratio, z=z, expected_cost=cost
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolingComparison:
    """One quantity for N separate stores (summed) and for one pooled stock, and their ratio
    ``separate / pooled`` (sqrt(N) for independent demands)."""

    separate: float
    pooled: float
    ratio: float


def _pooled_sd_ratio(n_stores: int, correlation: float) -> float:
    """sd of pooled demand / sd of one store: sqrt(N + N (N - 1) correlation)."""
    _check_integer("n_stores", n_stores, 1)
    lowest = -1.0 / (n_stores - 1) if n_stores > 1 else -1.0
    if not lowest < correlation <= 1 and not (n_stores == 1 and correlation == -1):
        raise InputError("correlation", f"{lowest:g} < correlation <= 1", correlation)
    return math.sqrt(n_stores + n_stores * (n_stores - 1) * correlation)


def pooled_safety_stock(
    n_stores: int, sigma: float, service_level: float, *, correlation: float = 0.0
) -> PoolingComparison:
    """Safety stock of N stores stocking separately (N z sigma) versus one pooled stock.

    Each store's demand per period is normal with sd ``sigma``; every pair has correlation
    ``correlation`` (0 for independence, where pooled = z sigma sqrt(N)). ``service_level``
    is the cycle service level alpha in (0, 1), z = Phi^-1(alpha). The means do not enter.

    Source: Eppen, "Effects of centralization on expected costs in a multi-location newsboy
    problem", Management Science 25(5), 1979; Snyder & Shen (2019), §12 (risk pooling).
    """
    _check_positive("demand_sd", sigma)
    if not 0 < service_level < 1:
        raise InputError("service_level", "0 < service_level < 1", service_level)
    sd_ratio = _pooled_sd_ratio(n_stores, correlation)
    z = float(stats.norm.ppf(service_level))
    separate, pooled = n_stores * z * sigma, z * sigma * sd_ratio
    return PoolingComparison(separate=separate, pooled=pooled, ratio=n_stores / sd_ratio)


def pooled_newsvendor_cost(
    n_stores: int, h: float, p: float, sigma: float, *, correlation: float = 0.0
) -> PoolingComparison:
    """Optimal expected holding + shortage cost of N separate newsvendors versus one pooled.

    Each store faces normal demand with sd ``sigma`` and costs ``h``, ``p`` per unit (as in
    :func:`newsvendor_normal`); pairwise correlation ``correlation``. The optimal cost is
    (h + p) phi(z) times the sd of the demand stocked for, so separate = N (h + p) sigma phi(z)
    and pooled = (h + p) phi(z) sigma sqrt(N + N (N - 1) correlation); exact, Eppen (1979).

    Source: Eppen, Management Science 25(5), 1979, eq. for the centralized expected cost.
    """
    one_store = newsvendor_normal(h, p, 0.0, sigma).expected_cost
    sd_ratio = _pooled_sd_ratio(n_stores, correlation)
    return PoolingComparison(
        separate=n_stores * one_store, pooled=one_store * sd_ratio, ratio=n_stores / sd_ratio
    )


# ---------------------------------------------------------------------------------------------
# newsvendor with discrete demand: Poisson, and the model's baskets


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscreteNewsvendor:
    """The optimal integer order-up-to level of a discrete-demand newsvendor, the critical
    ratio p / (p + h), the expected cost per period at that level and its cycle service level
    P(D <= S*)."""

    order_up_to: int
    critical_ratio: float
    expected_cost: float
    cycle_service_level: float


def _check_pmf(pmf: NDArray[np.float64]) -> None:
    if pmf.ndim != 1 or len(pmf) == 0 or not np.all(np.isfinite(pmf)) or np.any(pmf < 0):
        raise InputError("pmf", "a non-empty 1-d array of probabilities of 0, 1, 2, ...", pmf)
    if abs(float(pmf.sum()) - 1.0) > 1e-9:
        raise InputError("pmf", "probabilities summing to 1", float(pmf.sum()))


def newsvendor_cost(S: int, pmf: NDArray[np.float64], h: float, p: float) -> float:
    """E[h (S - D)^+ + p (D - S)^+] for an integer S and demand P(D = d) = ``pmf[d]``.

    ``h`` is the cost per unit left at the period's end, ``p`` per unit short; ``pmf`` holds
    the probabilities of d = 0, 1, 2, ... (a tail below 1e-9 may be cut off).

    Source: Snyder & Shen, *Fundamentals of Supply Chain Theory* (2nd ed., 2019), §4.3
    (the newsvendor cost function, discrete demand).
    """
    _check_integer("order_up_to_level", S, -(2**62))
    _check_positive("holding_cost", h)
    _check_positive("shortage_cost", p)
    _check_pmf(pmf)
    d = np.arange(len(pmf))
    return float(pmf @ (h * np.maximum(S - d, 0) + p * np.maximum(d - S, 0)))


def newsvendor_discrete(pmf: NDArray[np.float64], h: float, p: float) -> DiscreteNewsvendor:
    """The discrete-demand newsvendor: S* is the least integer S with F(S) >= p / (p + h).

    Parameters as :func:`newsvendor_cost`. Source: Snyder & Shen (2019), §4.3 (discrete
    demand: the smallest S whose cdf reaches the critical ratio); Zipkin, *Foundations of
    Inventory Management* (2000), §9.4.
    """
    _check_positive("holding_cost", h)
    _check_positive("shortage_cost", p)
    _check_pmf(pmf)
    ratio = p / (p + h)
    cdf = np.cumsum(pmf)
    S = min(int(np.searchsorted(cdf, ratio, side="left")), len(pmf) - 1)
    return DiscreteNewsvendor(
        order_up_to=S,
        critical_ratio=ratio,
        expected_cost=newsvendor_cost(S, pmf, h, p),
        cycle_service_level=float(cdf[S]),
    )


def poisson_pmf(mean: float, *, tail: float = 1e-12) -> NDArray[np.float64]:
    """P(D = d) for D ~ Poisson(``mean``), d = 0 .. the 1 - ``tail`` quantile."""
    _check_positive("mean_demand", mean)
    top = int(stats.poisson.ppf(1.0 - tail, mean))
    pmf: NDArray[np.float64] = stats.poisson.pmf(np.arange(top + 1), mean)
    normalised: NDArray[np.float64] = pmf / pmf.sum()
    return normalised


def basket_demand_pmf(
    customers_mean: float, basket_mean: float, *, tail: float = 1e-12
) -> NDArray[np.float64]:
    """P(D = d) for the units the model's customers demand in one period.

    N ~ Poisson(``customers_mean``) customers come, each wanting 1 + Poisson(``basket_mean``
    - 1) units, independently (the model's baskets, one sku); D is the total. Given N = n,
    D = n + Poisson((basket_mean - 1) n), so P(D = d) = sum_n P(N = n) P(Poisson((m - 1) n) =
    d - n). Mean lam m, variance lam (m^2 + m - 1). ``basket_mean`` = 1 gives Poisson(lam).

    Source: a compound Poisson distribution (Feller, *An Introduction to Probability Theory
    and Its Applications* Vol. I, 3rd ed., 1968, §XII.2), with the baskets of
    ``simulation.engine.journeys``.
    """
    _check_positive("customers_mean", customers_mean)
    if not (math.isfinite(basket_mean) and basket_mean >= 1):
        raise InputError("basket_mean", "a finite number >= 1", basket_mean)
    n = np.arange(int(stats.poisson.ppf(1.0 - tail, customers_mean)) + 1)
    extra = (basket_mean - 1.0) * n
    top = int(n[-1] + stats.poisson.ppf(1.0 - tail, max(extra[-1], 1e-300)))
    d = np.arange(top + 1)
    weights = stats.poisson.pmf(n, customers_mean)
    pmf: NDArray[np.float64] = weights @ stats.poisson.pmf(d[None, :] - n[:, None], extra[:, None])
    normalised: NDArray[np.float64] = pmf / pmf.sum()
    return normalised


def basket_demand_for(mean: float, sd: float) -> tuple[float, float]:
    """(customers_mean, basket_mean) whose :func:`basket_demand_pmf` has this mean and sd.

    With lam customers of mean basket m, the mean is lam m and var / mean = m + 1 - 1 / m,
    so m = (r - 1 + sqrt((r - 1)^2 + 4)) / 2 with r = sd^2 / mean >= 1, and lam = mean / m.
    A demand less variable than Poisson (sd^2 < mean) cannot be made of such baskets.
    """
    _check_positive("mean_demand", mean)
    _check_positive("demand_sd", sd)
    r = sd * sd / mean
    if r < 1 - 1e-12:
        raise InputError("demand_sd", f"demand_sd >= sqrt(mean_demand) = {math.sqrt(mean):g}", sd)
    m = max(1.0, (r - 1.0 + math.sqrt((r - 1.0) ** 2 + 4.0)) / 2.0)
    return mean / m, m


@dataclass(frozen=True, slots=True, kw_only=True)
class PoissonPooling:
    """Eppen's comparison for Poisson demand: one store's and the pooled stock's newsvendor
    optima, and the separate (N stores summed) / pooled costs and safety stocks."""

    store: DiscreteNewsvendor
    pooled: DiscreteNewsvendor
    cost: PoolingComparison
    safety_stock: PoolingComparison


def pooled_newsvendor_poisson(n_stores: int, mean: float, h: float, p: float) -> PoissonPooling:
    """N stores with independent Poisson(``mean``) demand per period, each stocking at its own
    discrete newsvendor optimum S1, versus one stock for their total, Poisson(N ``mean``), at
    its optimum SN (costs ``h``, ``p`` as :func:`newsvendor_cost`).

    Safety stock is S* - E[D]; both are stocked to the critical ratio p / (p + h), but integer
    levels leave their cycle service levels a little apart. The ratios tend to sqrt(N) (Eppen's
    normal result, :func:`pooled_newsvendor_cost`) only as ``mean`` grows; for small means the
    discreteness shows (N = 4, mean 10, h = 0.18, p = 0.7: cost ratio 2.0466). A ratio whose
    pooled safety stock is 0 is nan.

    Source: Eppen, Management Science 25(5), 1979 (the comparison); the sum of independent
    Poisson demands is Poisson; discrete optimum as :func:`newsvendor_discrete`.
    """
    _check_integer("n_stores", n_stores, 1)
    store = newsvendor_discrete(poisson_pmf(mean), h, p)
    pooled = newsvendor_discrete(poisson_pmf(n_stores * mean), h, p)
    separate_cost, separate_stock = (
        n_stores * store.expected_cost,
        n_stores * (store.order_up_to - mean),
    )
    pooled_stock = pooled.order_up_to - n_stores * mean
    return PoissonPooling(
        store=store,
        pooled=pooled,
        cost=PoolingComparison(
            separate=separate_cost,
            pooled=pooled.expected_cost,
            ratio=separate_cost / pooled.expected_cost,
        ),
        safety_stock=PoolingComparison(
            separate=separate_stock,
            pooled=pooled_stock,
            ratio=separate_stock / pooled_stock if pooled_stock else math.nan,
        ),
    )


# ---------------------------------------------------------------------------------------------
# periodic review (s, S)


@dataclass(frozen=True, slots=True, kw_only=True)
class SSPolicy:
    """A periodic-review (s, S) policy and its long-run expected cost per period."""

    s: int
    S: int
    cost: float


class _PeriodicReview:
    """One-period cost G and renewal masses m for Poisson period demand, memoised."""

    def __init__(self, mean: float, h: float, p: float, K: float) -> None:
        self.mean, self.h, self.p, self.K = mean, h, p, K
        self._masses = np.array([1.0 / -math.expm1(-mean)])

    def g(self, y: NDArray[np.int64]) -> NDArray[np.float64]:
        """G(y) = E[h (y - D)^+ + p (D - y)^+] = h (y - mean) + (h + p) E[(D - y)^+]."""
        return self.h * (y - self.mean) + (self.h + self.p) * _poisson_loss(y, self.mean)

    def g_at(self, y: int) -> float:
        return float(self.g(np.array(y)))

    def masses(self, n: int) -> NDArray[np.float64]:
        """m(0..n-1): m(0) = 1 / (1 - p0), m(j) = sum_{l=1..j} p_l m(j - l) / (1 - p0)."""
        old = len(self._masses)
        if n > old:
            size = max(n, 2 * old)
            pmf = stats.poisson.pmf(np.arange(size), self.mean)
            masses = np.concatenate((self._masses, np.zeros(size - old)))
            for j in range(old, size):
                masses[j] = np.dot(pmf[1 : j + 1], masses[j - 1 :: -1]) * masses[0]
            self._masses = masses
        return self._masses[:n]

    def cost(self, s: int, S: int) -> float:
        """c(s, S) = [K + sum_{j=0}^{S-s-1} m(j) G(S - j)] / M(S - s)."""
        masses = self.masses(S - s)
        numerator = self.K + float(np.dot(masses, self.g(S - np.arange(S - s))))
        return numerator / float(masses.sum())

    def myopic_minimiser(self) -> int:
        """The least y minimising G: the p / (p + h) quantile of D, nudged for rounding."""
        y = int(stats.poisson.ppf(self.p / (self.p + self.h), self.mean))
        while self.g_at(y - 1) <= self.g_at(y):
            y -= 1
        while self.g_at(y + 1) < self.g_at(y):
            y += 1
        return y


def _check_periodic_review(mean_demand: float, h: float, p: float, K: float) -> None:
    _check_positive("mean_demand", mean_demand)
    _check_positive("holding_cost", h)
    _check_positive("backorder_cost", p)
    _check_nonnegative("fixed_order_cost", K)


def s_S_cost(s: int, S: int, *, mean_demand: float, h: float, p: float, K: float) -> float:
    """Long-run expected cost per period of a periodic-review (s, S) policy, Poisson demand.

    Convention (Zheng & Federgruen; Snyder & Shen §4.4): at the start of each period, if the
    inventory position is at or below ``s`` an order of size S - position is placed at fixed
    cost ``K`` and arrives at once (zero lead time); then demand D ~ Poisson(``mean_demand``)
    occurs, unmet demand is backordered, and the ending inventory y - D is charged ``h`` per
    unit held and ``p`` per unit backordered. The cost is the renewal-reward ratio
    c(s, S) = [K + sum_{j=0}^{S-s-1} m(j) G(S - j)] / M(S - s), with G(y) the expected
    one-period cost at starting position y, m the renewal mass function of demand (expected
    periods in which cumulative demand since the last order is exactly j) and
    M(n) = sum_{j<n} m(j) the expected periods per order cycle. Integers s < S.

    Source: Zheng & Federgruen, "Finding optimal (s, S) policies is about as simple as
    evaluating a single policy", Operations Research 39(4), 1991, eqs. (1)-(3).
    """
    _check_integer("reorder_point", s, -(2**62))
    _check_integer("order_up_to_level", S, -(2**62))
    if s >= S:
        raise InputError("order_up_to_level", f"order_up_to_level > reorder_point = {s}", S)
    _check_periodic_review(mean_demand, h, p, K)
    return _PeriodicReview(mean_demand, h, p, K).cost(s, S)


def optimal_s_S(mean_demand: float, h: float, p: float, K: float) -> SSPolicy:
    """The cost-minimising (s, S) policy by the Zheng-Federgruen (1991) algorithm.

    Model, parameters and cost convention as :func:`s_S_cost`. The search starts from the
    myopic minimiser y* of G, finds the best s for S = y*, then raises S while G(S) does not
    exceed the best cost so far, improving s whenever a better S is found. Exact for the
    convex G of linear holding and backorder costs. Snyder & Shen (2019), §4.4, Example 4.7:
    mean 6, h = 1, p = 4, K = 5 gives (s, S) = (4, 10) with cost 8.034112.

    Source: Zheng & Federgruen, Operations Research 39(4), 1991, §3 (the algorithm).
    """
    _check_periodic_review(mean_demand, h, p, K)
    model = _PeriodicReview(mean_demand, h, p, K)
    y_star = model.myopic_minimiser()
    s = y_star - 1
    while model.cost(s, y_star) > model.g_at(s):
        s -= 1
    return _zheng_federgruen_raise_s_up(model, s, y_star)


def _zheng_federgruen_raise_s_up(model: _PeriodicReview, s: int, y_star: int) -> SSPolicy:
    """Step 1 of the algorithm: try each S above y* until G(S) exceeds the best cost."""
    best_S, best_cost = y_star, model.cost(s, y_star)
    S = y_star + 1
    while model.g_at(S) <= best_cost:
        if model.cost(s, S) < best_cost:
            best_S = S
            while s + 1 < best_S and model.cost(s, best_S) <= model.g_at(s + 1):
                s += 1
            best_cost = model.cost(s, best_S)
        S += 1
    return SSPolicy(s=s, S=best_S, cost=best_cost)
