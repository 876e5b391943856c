"""Queueing: Erlang B and C, M/M/c waits, Erlang-A (M/M/c+M) and M/G/1 (Pollaczek-Khinchine).

See :mod:`simulation.validation.closed_forms` for the conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulation.errors import InputError
from simulation.validation.closed_forms._checks import (
    _check_integer,
    _check_nonnegative,
    _check_positive,
)


def _check_stable(lam: float, mu: float, c: int) -> None:
    _check_positive("arrival_rate", lam)
    _check_positive("service_rate", mu)
    _check_integer("servers", c, 1)
    if lam >= c * mu:
        expected = f"arrival_rate < servers * service_rate = {c * mu:g}"
        raise InputError("arrival_rate", expected, lam)


# ---------------------------------------------------------------------------------------------
# Erlang B and C, M/M/c


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang's loss formula B(c, a): the blocking probability of the M/M/c/c (or M/G/c/c) queue.

    ``offered_load`` is a = lam / mu in erlangs; ``servers`` is c >= 0 (B(0, a) = 1). Computed by
    the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which never forms a^c / c! and so
    neither overflows nor cancels. The result is insensitive to the service-time distribution
    beyond its mean.

    Source: Kleinrock, *Queueing Systems Vol. I* (1975), §3.7 (M/M/m/m, Erlang's loss formula);
    the recursion is standard, e.g. Jagerman, "Some properties of the Erlang loss function",
    Bell System Technical Journal 53(3), 1974.
    """
    _check_integer("servers", servers, 0)
    _check_nonnegative("offered_load", offered_load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_c(c: int, offered_load: float) -> float:
    """Erlang's delay formula C(c, a): the probability that an M/M/c arrival has to wait.

    ``offered_load`` is a = lam / mu in erlangs and must be below ``c`` (rho = a / c < 1).
    Computed from Erlang B by C = B / (1 - rho (1 - B)). By PASTA this is also the long-run
    fraction of time all c servers are busy.

    Source: Kleinrock, *Queueing Systems Vol. I* (1975), §3.5 (M/M/m, Erlang's C formula);
    Gross, Shortle, Thompson & Harris, *Fundamentals of Queueing Theory* (4th ed., 2008), §2.3.
    """
    _check_integer("servers", c, 1)
    _check_nonnegative("offered_load", offered_load)
    if offered_load >= c:
        raise InputError("offered_load", f"offered_load < servers = {c}", offered_load)
    rho = offered_load / c
    blocking = erlang_b(c, offered_load)
    return blocking / (1.0 - rho * (1.0 - blocking))


def mmc_wq(lam: float, mu: float, c: int) -> float:
    """Mean time an M/M/c customer waits in queue: Wq = C(c, lam/mu) / (c mu - lam).

    ``lam`` is the Poisson arrival rate, ``mu`` the exponential service rate of one server,
    ``c`` the number of servers, FCFS, infinite waiting room; requires lam < c mu.

    Source: Gross et al., *Fundamentals of Queueing Theory* (4th ed., 2008), §2.3;
    Kleinrock (1975), §3.5.
    """
    _check_stable(lam, mu, c)
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_lq(lam: float, mu: float, c: int) -> float:
    """Mean number of M/M/c customers waiting in queue: Lq = lam Wq (Little's law).

    Parameters and assumptions as :func:`mmc_wq`. Source: Little, "A proof for the queuing
    formula L = lambda W", Operations Research 9(3), 1961; Gross et al. (2008), §2.3.
    """
    return lam * mmc_wq(lam, mu, c)


def mmc_wait_exceeds(lam: float, mu: float, c: int, t: float) -> float:
    """P(Wq > t) for an M/M/c FCFS customer: C(c, lam/mu) exp(-(c mu - lam) t), for t >= 0.

    Given that it waits, the wait is exponential with rate c mu - lam. Parameters as
    :func:`mmc_wq`; ``t`` in the time unit of the rates.

    Source: Gross et al., *Fundamentals of Queueing Theory* (4th ed., 2008), §2.3 (waiting-time
    distribution of M/M/c); Kleinrock (1975), §3.5.
    """
    _check_stable(lam, mu, c)
    _check_nonnegative("t", t)
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


# ---------------------------------------------------------------------------------------------
# Erlang-A, M/M/c+M


@dataclass(frozen=True, slots=True, kw_only=True)
class ErlangAMetrics:
    """Steady-state measures of the M/M/c+M (Erlang-A) queue.

    ``p_wait``: probability an arrival finds all servers busy (PASTA: P(N >= c)).
    ``p_abandon``: fraction of arrivals that abandon, theta Lq / lam.
    ``lq``: mean number waiting. ``wq``: mean time in queue over all arrivals, Lq / lam,
    counting abandoners up to their abandonment. ``states``: number of states kept.
    """

    p_wait: float
    p_abandon: float
    lq: float
    wq: float
    states: int


def erlang_a(
    lam: float,
    mu: float,
    c: int,
    theta: float,
    *,
    tail_tolerance: float = 1e-13,
    max_states: int = 10_000_000,
) -> ErlangAMetrics:
    """Exact M/M/c+M measures from the birth-death chain truncated where its tail is negligible.

    ``lam`` Poisson arrival rate; ``mu`` exponential service rate per server; ``c`` servers;
    ``theta`` abandonment rate of each waiting customer (exponential patience, mean 1/theta).
    The number in system is a birth-death chain with birth rate lam and death rate
    min(n, c) mu + max(n - c, 0) theta. The chain is cut at the first N where the death rates
    exceed lam and the geometric bound on the mass beyond N, relative to P(N = c), is below
    ``tail_tolerance``; the error in every measure is of that relative order. With
    theta > 0 the queue is stable for any lam; theta = 0 is M/M/c and needs lam < c mu.

    Source: Palm (1943); Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
    customers", Manufacturing & Service Operations Management 4(3), 2002, §2 (the birth-death
    model and P(Ab) = theta E[Q] / lam).
    """
    _check_positive("arrival_rate", lam)
    _check_positive("service_rate", mu)
    _check_integer("servers", c, 1)
    _check_nonnegative("abandonment_rate", theta)
    if theta == 0:
        _check_stable(lam, mu, c)
    if not 0 < tail_tolerance < 1:
        raise InputError("tail_tolerance", "0 < tail_tolerance < 1", tail_tolerance)
    _check_integer("max_states", max_states, 1)
    last = _erlang_a_truncation(lam, mu, c, theta, tolerance=tail_tolerance, max_states=max_states)
    n = np.arange(last + 1)
    deaths = np.minimum(n[1:], c) * mu + np.maximum(n[1:] - c, 0) * theta
    log_weights = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(deaths))))
    weights = np.exp(log_weights - log_weights.max())
    pi = weights / weights.sum()
    lq = float(np.dot(np.maximum(n - c, 0), pi))
    return ErlangAMetrics(
        p_wait=min(1.0, float(pi[c:].sum())),
        p_abandon=theta * lq / lam,
        lq=lq,
        wq=lq / lam,
        states=last + 1,
    )


def _erlang_a_truncation(
    lam: float, mu: float, c: int, theta: float, *, tolerance: float, max_states: int
) -> int:
    """Last state kept: ratios pi(n+1)/pi(n) = lam / death(n+1) fall with n, so once one is
    r < 1 the tail beyond n is at most pi(n) r / (1 - r); pi(c) bounds the total from below."""
    log_tolerance = math.log(tolerance)
    log_relative = 0.0  # log pi(n) / pi(c)
    for n in range(c, c + max_states):
        ratio = lam / (c * mu + (n + 1 - c) * theta)
        if ratio < 1 and log_relative + math.log(ratio / (1 - ratio)) < log_tolerance:
            return n
        log_relative += math.log(ratio)
    expected = f"enough states to reach tail_tolerance {tolerance:g}"
    raise InputError("max_states", expected, max_states)


# ---------------------------------------------------------------------------------------------
# M/G/1


def mg1_wq(lam: float, mean_service: float, scv: float) -> float:
    """Mean M/G/1 wait in queue, Pollaczek-Khinchine: Wq = rho (1 + scv) E[S] / (2 (1 - rho)).

    ``lam`` Poisson arrival rate; ``mean_service`` E[S]; ``scv`` the squared coefficient of
    variation Var[S] / E[S]^2 of the service time (0 deterministic, 1/k Erlang-k, 1
    exponential). rho = lam E[S] < 1; FCFS (the mean holds for any order that does not look
    at service times).

    Source: Kleinrock, *Queueing Systems Vol. I* (1975), ch. 5 (P-K mean-value formula);
    Gross et al., *Fundamentals of Queueing Theory* (4th ed., 2008), §5.1.
    """
    _check_positive("arrival_rate", lam)
    _check_positive("mean_service", mean_service)
    _check_nonnegative("scv", scv)
    rho = lam * mean_service
    if rho >= 1:
        raise InputError(
            "arrival_rate", f"arrival_rate < 1 / mean_service = {1 / mean_service:g}", lam
        )
    return rho * (1.0 + scv) * mean_service / (2.0 * (1.0 - rho))


def mg1_lq(lam: float, mean_service: float, scv: float) -> float:
    """Mean number waiting in M/G/1: Lq = lam Wq (Little). Parameters as :func:`mg1_wq`."""
    return lam * mg1_wq(lam, mean_service, scv)
