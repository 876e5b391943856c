"""Exact results from queueing, inventory and Markov chain theory that the simulation is
validated against.

Every function is pure and deterministic. Formulas take the short names of the textbooks
(``lam``, ``mu``, ``c``, ``h``, ``p``, ``K``, ``S``); the errors they raise name the quantity in
words (``arrival_rate``, ``service_rate``, ``servers``, ...) because that is what a scenario file
or a validation report calls it. Rates are per unit of time and waits are in that same unit,
whatever it is (minutes in the simulation). Invalid parameters raise
:class:`~simulation.errors.InputError` with the field, what was expected and the value given.

The queueing results are in :mod:`.queueing`, the inventory ones in :mod:`.inventory`, the
journeys as absorbing Markov chains in :mod:`.journey`; all are importable from here.
"""

from __future__ import annotations

from simulation.validation.closed_forms.inventory import (
    DiscreteNewsvendor,
    NewsvendorSolution,
    PoissonPooling,
    PoolingComparison,
    SSPolicy,
    base_stock_expected_backorders,
    base_stock_expected_on_hand,
    base_stock_fill_rate,
    basket_demand_for,
    basket_demand_pmf,
    lost_sales_probability,
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
from simulation.validation.closed_forms.journey import (
    ChannelSwitching,
    JourneyChain,
    Sighting,
    channels_touched,
)
from simulation.validation.closed_forms.queueing import (
    ErlangAMetrics,
    erlang_a,
    erlang_b,
    erlang_c,
    mg1_lq,
    mg1_wq,
    mmc_lq,
    mmc_wait_exceeds,
    mmc_wq,
)
from simulation.validation.closed_forms.retention import RepeatVisits

__all__ = [
    "ChannelSwitching",
    "DiscreteNewsvendor",
    "ErlangAMetrics",
    "JourneyChain",
    "NewsvendorSolution",
    "PoissonPooling",
    "PoolingComparison",
    "RepeatVisits",
    "SSPolicy",
    "Sighting",
    "base_stock_expected_backorders",
    "base_stock_expected_on_hand",
    "base_stock_fill_rate",
    "basket_demand_for",
    "basket_demand_pmf",
    "channels_touched",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "lost_sales_probability",
    "mg1_lq",
    "mg1_wq",
    "mmc_lq",
    "mmc_wait_exceeds",
    "mmc_wq",
    "newsvendor_cost",
    "newsvendor_discrete",
    "newsvendor_normal",
    "optimal_s_S",
    "poisson_pmf",
    "pooled_newsvendor_cost",
    "pooled_newsvendor_poisson",
    "pooled_safety_stock",
    "s_S_cost",
]
