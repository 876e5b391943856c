"""How big a run of a scenario is before it runs: customers, visits, events, memory, time.

:func:`estimate` reads the validated scenario alone, without the engine or any draw:

- customers: the integral of the arrival rate over the horizon (the week's 168 hourly
  multipliers, times 1 + each running campaign's multiplier - 1 on its channels), which is the
  mean the engine draws from;
- visits: each segment's repeat visits, ``repeat_rate`` then ``repeat_days`` after each visit,
  counted within the horizon;
- events: about 12 per visit and 1.2 more per basket unit beyond the first, fitted to the
  shipped scenarios and to the baseline with larger baskets, 3 for a visit that only browses
  (``arrivals.browse_only``, over the arrivals' channel mix), plus one per stock line
  (location x sku) at the start;
- memory and time: the per-event, per-stock-line and per-hour figures below, measured on
  ``omnicanal run`` (one replication) on the 2-core development machine; the table is in
  ``benchmarks/README.md`` ("Run size estimate").

:func:`check_size` refuses, as an :class:`~simulation.errors.InputError` at the field that
makes the run big, a run that needs more memory than this machine has available or would run
for more than a week, so nothing starts that cannot finish.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.errors import InputError, Shown

if TYPE_CHECKING:
    from simulation.scenario.model import Arrivals, Scenario

EVENTS_PER_VISIT = 12.0
EVENTS_PER_EXTRA_UNIT = 1.2
EVENTS_PER_BOUNCE = 3.0  # arrived, the first page, left
BYTES_FIXED = 268e6  # the interpreter, numpy, pandas, pyarrow, matplotlib
BYTES_PER_EVENT = 256.0  # the log's batches, the KPI frame and the world's state
BYTES_PER_STOCK_LINE = 400.0  # beyond its event: plan entry, stock state, policy slot
BYTES_PER_HOUR = 200.0  # arrival breakpoints and rates, one row per hour of the horizon
BYTES_PER_BASKET_ENTRY = 40.0  # the basket-size table holds up to 10 x mean + 100 entries
SECONDS_FIXED = 3.0  # start-up, figures and report
SECONDS_PER_EVENT = 12e-6
SECONDS_PER_REVIEW = 2.4e-6  # one (location, sku) reviewed by the replenishment policy
TIME_LIMIT = 7 * 86_400.0
"""Runs estimated to take longer are refused: a week of one core is past any study."""

_WEEK_HOURS = 168


@dataclass(frozen=True, slots=True, kw_only=True)
class RunEstimate:
    """The expected size of ``replications`` runs of one scenario, in one process."""

    replications: int
    customers: float
    visits: float
    events: float
    stock_lines: int
    memory: float
    """Peak bytes, as ``omnicanal run`` holds the log, its KPI frame and the engine's state."""
    seconds: float
    memory_field: str
    """The field path that makes most of the memory (named when a run is refused)."""
    time_field: str

    def summary(self) -> str:
        """What a user reads: the size of one replication, the memory and time of them all."""
        times = f"{self.replications:,} replications of " if self.replications > 1 else ""
        return (
            f"{times}about {_count(self.customers)} customers, {_count(self.visits)} visits, "
            f"{_count(self.events)} events, {_count(self.stock_lines)} stock lines; "
            f"about {_bytes(self.memory)} of memory and {_duration(self.seconds)} on this machine"
        )


def _bounce(arrivals: Arrivals) -> float:
    """The share of visits that only browse, over the arrivals' channel mix."""
    total = sum(arrivals.channels.values())
    return sum(w * arrivals.browse_only.get(c, 0.0) for c, w in arrivals.channels.items()) / total


def check_size(scenario: Scenario, replications: int = 1) -> RunEstimate:
    """The estimate, or an :class:`InputError` if the run cannot fit or finish on this machine:
    at the scenario's field that makes it big, or at ``--replications`` if one would fit."""
    one = _refuse(estimate(scenario), lambda field: (field, scenario.locate(field)))
    if replications == 1:
        return one
    return _refuse(estimate(scenario, replications), lambda _: ("--replications", ""))


def _refuse(found: RunEstimate, name: Callable[[str], tuple[str, str]]) -> RunEstimate:
    """``found``, unless too big: an error at ``name(field)``, a field path and its place."""
    available = available_memory()
    if available is not None and found.memory > available:
        field, where = name(found.memory_field)
        expected = f"a run that fits in this machine's memory ({_bytes(available)} available)"
        raise InputError(field, expected, Shown(found.summary()), where=where)
    if found.seconds > TIME_LIMIT:
        field, where = name(found.time_field)
        expected = f"a run that ends within {_duration(TIME_LIMIT)} on this machine"
        raise InputError(field, expected, Shown(found.summary()), where=where)
    return found


def estimate(scenario: Scenario, replications: int = 1) -> RunEstimate:
    """Expected customers, visits, events, peak memory and seconds (see the module doc)."""
    days, segments = scenario.horizon_days, scenario.segments
    base = customers_of(scenario.arrivals, days, campaigns=False)
    customers = customers_of(scenario.arrivals, days)
    per_customer = [1.0 + _repeats(s.repeat_rate, s.repeat_days, days) for s in segments]
    bounce = _bounce(scenario.arrivals)
    per_visit = [
        (1 - bounce) * (EVENTS_PER_VISIT + EVENTS_PER_EXTRA_UNIT * (s.basket_mean - 1.0))
        + bounce * EVENTS_PER_BOUNCE
        for s in segments
    ]
    shares = [s.share for s in segments]
    visits = customers * sum(w * n for w, n in zip(shares, per_customer, strict=True))
    weighted = [w * n * e for w, n, e in zip(shares, per_customer, per_visit, strict=True)]
    skus = len(scenario.catalogue.sku_ids())
    lines = len(scenario.network.locations) * skus
    events = customers * sum(weighted) + lines
    events_field = _events_field(scenario, base, customers, per_customer, per_visit)
    memory, memory_field = _memory(scenario, replications * events, lines, events_field)
    event_seconds = replications * events * SECONDS_PER_EVENT
    review_seconds = replications * _reviews(scenario, skus) * SECONDS_PER_REVIEW
    return RunEstimate(
        replications=replications,
        customers=customers,
        visits=visits,
        events=events,
        stock_lines=lines,
        memory=memory,
        seconds=SECONDS_FIXED + event_seconds + review_seconds,
        memory_field=memory_field,
        time_field=(
            events_field
            if event_seconds >= review_seconds
            else "policies.replenishment.review_days"
        ),
    )


def _memory(scenario: Scenario, events: float, lines: int, events_field: str) -> tuple[float, str]:
    """Peak bytes, and the field of the largest part of them."""
    baskets = [10.0 * (s.basket_mean - 1.0) + 100.0 for s in scenario.segments]
    busiest = max(range(len(baskets)), key=lambda i: baskets[i])
    parts = [  # a list: the events' field may be horizon_days too
        (events_field, events * BYTES_PER_EVENT),
        ("catalogue", lines * BYTES_PER_STOCK_LINE),
        ("horizon_days", scenario.horizon_days * 24.0 * BYTES_PER_HOUR),
        (f"segments[{busiest}].basket_mean", sum(baskets) * BYTES_PER_BASKET_ENTRY),
    ]
    return BYTES_FIXED + sum(b for _, b in parts), max(parts, key=lambda p: p[1])[0]


def customers_of(arrivals: Arrivals, days: float, *, campaigns: bool = True) -> float:
    """Expected arrivals over ``days``: the rate integrated piece by piece between campaign
    starts and ends, each piece over the weekly profile."""
    weekly = [d * h for d in arrivals.day_of_week for h in arrivals.hour_of_day]
    cumulative = list(itertools.accumulate(weekly, initial=0.0))
    total_weight = sum(arrivals.channels.values())
    shares = {c: w / total_weight for c, w in arrivals.channels.items()}
    chosen = arrivals.campaigns if campaigns else []
    hours = days * 24.0
    edges = sorted(
        {0.0, hours} | {t for c in chosen for t in (c.start_day * 24.0, c.end_day * 24.0)}
    )
    edges = [t for t in edges if 0.0 <= t <= hours]
    total = 0.0
    for start, end in itertools.pairwise(edges):
        factor = 0.0
        for channel, share in shares.items():
            lift = 1.0 + sum(
                c.multiplier - 1.0
                for c in chosen
                if channel in c.channels and c.start_day * 24.0 <= start < c.end_day * 24.0
            )
            factor += share * lift
        profile = _profile(cumulative, weekly, end) - _profile(cumulative, weekly, start)
        total += arrivals.per_hour * factor * profile
    return total


def _profile(cumulative: list[float], weekly: list[float], hours: float) -> float:
    """The integral of the hour x weekday multiplier from 0 to ``hours``."""
    weeks, rest = divmod(hours, _WEEK_HOURS)
    whole = min(int(rest), _WEEK_HOURS - 1)
    return weeks * cumulative[-1] + cumulative[whole] + (rest - whole) * weekly[whole]


def _repeats(rate: float, days_between: float, horizon: float) -> float:
    """Expected repeat visits of a customer arriving at a uniform time in the horizon.

    After each visit another follows with probability ``rate`` after an exponential delay of
    mean ``days_between``: the next visit is pending at time s with probability
    exp(-(1 - rate) s / days_between), so the repeats within u days number
    rate / (1 - rate) * (1 - exp(-(1 - rate) u / days_between)), averaged over u.
    """
    if rate <= 0.0:
        return 0.0
    if rate >= 1.0:
        return horizon / (2.0 * days_between)
    x = (1.0 - rate) * horizon / days_between
    within = x / 2.0 if x < 1e-9 else 1.0 + math.expm1(-x) / x
    return rate / (1.0 - rate) * within


def _reviews(scenario: Scenario, skus: int) -> float:
    """(location, sku) reviews of a periodic replenishment policy over the horizon."""
    policy = scenario.policies.replenishment
    if policy.review_days <= 0:  # continuous: one review per stock change, counted as events
        return 0.0
    reviewed = sum(
        1
        for loc in scenario.network.locations
        if policy.kind == "none" or loc.kind in policy.params
    )
    return math.floor(scenario.horizon_days / policy.review_days) * reviewed * skus


def _events_field(
    scenario: Scenario,
    base: float,
    customers: float,
    per_customer: list[float],
    per_visit: list[float],
) -> str:
    """The field a refusal names for the events: a multiplier beyond any ordinary run (10
    visits a customer, 100 events a visit, a campaign's x10 over the whole run) if one is,
    else the rate or the horizon, whichever is further past 10,000 customers a day or a year."""
    days = scenario.horizon_days
    campaigns = scenario.arrivals.campaigns
    repeat = max(range(len(per_customer)), key=lambda i: per_customer[i])
    basket = max(range(len(per_visit)), key=lambda i: per_visit[i])
    beyond = {
        f"segments[{repeat}].repeat_rate": per_customer[repeat] / 10.0,
        f"segments[{basket}].basket_mean": per_visit[basket] / 100.0,
    }
    if campaigns and base > 0:
        top = max(range(len(campaigns)), key=lambda i: campaigns[i].multiplier)
        beyond[f"arrivals.campaigns[{top}].multiplier"] = customers / base / 10.0
    worst = max(beyond, key=lambda k: beyond[k])
    if beyond[worst] > 1.0:
        return worst
    return "horizon_days" if days / 365.0 > base / days / 1e4 else "arrivals.per_hour"


def available_memory() -> int | None:
    """Bytes this process may still take: Linux's MemAvailable, within a cgroup's limit;
    elsewhere the free physical memory; None when the system does not say."""
    meminfo = _read("/proc/meminfo")
    found = [
        int(line.split()[1]) * 1024
        for line in meminfo.splitlines()
        if line.startswith("MemAvailable:") and line.split()[1].isdigit()
    ]
    limit, used = _read("/sys/fs/cgroup/memory.max").strip(), _read("/sys/fs/cgroup/memory.current")
    if limit.isdigit() and used.strip().isdigit():
        found.append(int(limit) - int(used))
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            return None
    return max(0, min(found))


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _count(x: float) -> str:
    """Three significant digits: 27,700; 6.7e+14 past a billion."""
    if x >= 1e9:
        return f"{x:.2g}"
    return f"{float(f'{x:.3g}'):,.0f}"


def _bytes(n: float) -> str:
    """Decimal units, as ``free -h`` and the benchmarks write them: 370 MB, 2.2 PB."""
    units = ("bytes", "kB", "MB", "GB", "TB", "PB")
    power = min(len(units) - 1, max(0, int(math.log10(max(n, 1.0)) // 3)))
    value = n / 1000**power
    return f"{value:.2g} {units[power]}" if value < 10 else f"{value:,.0f} {units[power]}"


def _duration(seconds: float) -> str:
    """Seconds, minutes, hours, days or years, whichever reads best."""
    for size, unit in ((31_557_600, "years"), (86_400, "days"), (3600, "h"), (60, "min")):
        if seconds >= 2 * size:
            return f"{_count(seconds / size)} {unit}"
    return f"{seconds:.0f} s"
