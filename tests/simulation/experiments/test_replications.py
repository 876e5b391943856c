"""Replications: parallel equals serial to the byte, and common random numbers cut variance."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from simulation import projections as P
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import t_interval
from simulation.policies.allocation import Pooled
from tests.simulation.plans import small_plan

PLAN = small_plan(days=1.0, rate=15.0)


def _orders(tables: list) -> np.ndarray:  # type: ignore[type-arg]
    return np.array([P.kpis(table_to_frame(t)).loc[0, "net_value"] for t in tables])


def test_two_processes_give_the_same_logs_as_one() -> None:
    serial = run_replications(PLAN, seed=4, replications=3, workers=1)
    parallel = run_replications(PLAN, seed=4, replications=3, workers=2)
    assert all(a.equals(b) for a, b in zip(serial, parallel, strict=True))
    assert [t["replication"][0].as_py() for t in parallel] == [0, 1, 2]
    assert not serial[0]["t"].equals(serial[1]["t"])


def test_common_random_numbers_make_the_paired_difference_far_less_variable() -> None:
    # Two near-identical policies: cart reservations held 30 or 33 minutes.
    near = replace(PLAN, allocation=Pooled(reserve_at="cart", ttl=33.0))
    n = 8
    a = _orders(run_replications(PLAN, seed=10, replications=n, workers=2))
    b_crn = _orders(run_replications(near, seed=10, replications=n, workers=2))
    b_ind = _orders(run_replications(near, seed=99, replications=n, workers=2))
    var_crn = np.var(b_crn - a, ddof=1)
    var_ind = np.var(b_ind - a, ddof=1)
    # Independent differences vary like 2 * var(net value); CRN keeps only the policy's effect.
    # F(7, 7) at 0.999 is 8.89: a ratio above 10 is not chance.
    assert var_ind > 10 * var_crn
    assert t_interval(b_crn - a).half_width < t_interval(b_ind - a).half_width
