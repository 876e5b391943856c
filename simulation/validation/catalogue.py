"""The validation cases by name: the parameters each takes, their defaults, their checks.

Pure data, read by the command line at start-up (the cases themselves import the engine,
pandas and scipy) and by the cases, which take their defaults from here: one owner for every
parameter's meaning, check and default. A parameter's flag is its name with dashes
(``arrival_rate`` is ``--arrival-rate``). A default of None means "the scenario file's".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from simulation.errors import InputError


@dataclass(frozen=True, slots=True, kw_only=True)
class Parameter:
    """A validation parameter: what it means, and the values it accepts."""

    name: str
    meaning: str
    minimum: float = 0.0
    strict: bool = True
    """True: the value must exceed ``minimum``; False: it may equal it."""
    integer: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def expected(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        return f"{kind} {'>' if self.strict else '>='} {self.minimum:g}"

    def check(self, value: float) -> float:
        """``value`` as a number (an int when it must be whole), or the :class:`InputError`
        naming this parameter."""
        number = float(value)
        low_enough = number <= self.minimum if self.strict else number < self.minimum
        if not math.isfinite(number) or low_enough or (self.integer and not number.is_integer()):
            raise InputError(self.name, self.expected, value)
        return int(number) if self.integer else number


_P = Parameter
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        _P(name="arrival_rate", meaning="arrivals per minute at the desk"),
        _P(name="service_rate", meaning="services per minute per server"),
        _P(name="servers", meaning="desk servers", integer=True, minimum=1, strict=False),
        _P(name="mean_service", meaning="mean service minutes"),
        _P(name="abandonment_rate", meaning="1 / mean patience, per minute"),
        _P(name="base_stock", meaning="base-stock level S", integer=True, strict=False),
        _P(name="demand_per_day", meaning="mean demand per day (per store for risk_pooling)"),
        _P(name="lead_days", meaning="mean replenishment lead time, days"),
        _P(name="demand_sd", meaning="sd of a day's demand (>= sqrt(mean))"),
        _P(name="holding_cost", meaning="h per unit held a day"),
        _P(name="penalty_cost", meaning="p per unit short a day"),
        _P(name="fixed_cost", meaning="K per order", strict=False),
        _P(name="stores", meaning="stores N", integer=True, minimum=2, strict=False),
        _P(name="sweep_width", meaning="levels either side of the optimum", integer=True,
           minimum=1, strict=False),
        _P(name="days", meaning="days per replication"),
        _P(name="horizon_days", meaning="days per replication (default: the scenario's; "
           "longer near saturation)"),
        _P(name="warmup_days", meaning="days left out at the start (default: the scenario's; "
           "longer near saturation)", strict=False),
        _P(name="customers", meaning="customers per replication", integer=True, minimum=100,
           strict=False),
    )
}  # fmt: skip
"""Every validation parameter by name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """A case as the command line sees it: its name, what it checks, its parameters."""

    name: str
    summary: str
    defaults: Mapping[str, float | None]
    """The parameters the case takes, with their defaults (None: the scenario file's)."""
    replications: int = 10
    """Replications when none are asked for."""

    def resolve(self, given: Mapping[str, float]) -> dict[str, float | None]:
        """Every parameter: the defaults with ``given`` over them, each checked."""
        for name, value in given.items():
            if name not in self.defaults:
                takers = [s.name for s in SPECS.values() if name in s.defaults]
                expected = (
                    f"a case that takes it ({', '.join(takers)}), not {self.name}"
                    if takers
                    else f"one of the parameters of {self.name} ({', '.join(self.defaults)})"
                )
                raise InputError(name, expected, value)
        values = {**self.defaults, **given}
        return {k: None if v is None else PARAMETERS[k].check(v) for k, v in values.items()}


_DESK = {"horizon_days": None, "warmup_days": None}
_MMC = {"arrival_rate": 2.0, "service_rate": 1.0, "servers": 3, **_DESK}
_MG1 = {"arrival_rate": 0.6, "mean_service": 1.0, **_DESK}
_ERLANG_A = {"arrival_rate": 1.5, "service_rate": 1.0, "servers": 2, "abandonment_rate": 0.5}
_LOST = {"base_stock": 5, "demand_per_day": 1.0, "lead_days": 3.0, **_DESK}
_BACKORDERS = {"base_stock": 14, "demand_per_day": 2.0, "lead_days": 5.0, **_DESK}
_COSTS = {"holding_cost": 0.18, "penalty_cost": 0.70}
_NEWSVENDOR = {"demand_per_day": 50.0, "demand_sd": 8.0, **_COSTS, "sweep_width": 4, "days": 100}
_S_S = {"demand_per_day": 6.0, "holding_cost": 1.0, "penalty_cost": 4.0, "fixed_cost": 5.0}
_S_S |= {"sweep_width": 1, "days": 1000}
_POOLING = {"stores": 4, "demand_per_day": 10.0, **_COSTS, "days": 500}
_CASES: tuple[tuple[str, str, Mapping[str, float | None]], ...] = (
    ("mmc", "W at the pickup desk as M/M/c (Erlang C)", _MMC),
    ("little_desk", "L at the desk, counted from the log, against lambda W", _MMC),
    ("mg1_deterministic", "W at a one-server desk, constant service (M/D/1)", _MG1),
    ("mg1_erlang2", "W at a one-server desk, Erlang-2 service (M/E2/1)", _MG1),
    ("erlang_a", "P(abandon) at a desk with impatient customers (M/M/c+M)", {**_ERLANG_A, **_DESK}),
    ("lost_sales", "P(lost sale) under base stock (Erlang B)", _LOST),
    ("base_stock_fill", "fill rate under base stock with backorders (Palm)", _BACKORDERS),
    ("base_stock_backorders", "mean backorders under base stock (Palm)", _BACKORDERS),
    ("newsvendor", "newsvendor cost curve by sweep and its minimiser", _NEWSVENDOR),
    ("s_S", "(s, S) cost surface by sweep and its minimiser", _S_S),
    ("risk_pooling", "separate against pooled stock (Eppen)", _POOLING),
)
"""Each case's name, what it checks, and its parameters with their defaults."""
SPECS: dict[str, Spec] = {
    **{
        name: Spec(name=name, summary=summary, defaults=defaults)
        for name, summary, defaults in _CASES
    },
    "journey": Spec(
        name="journey",
        summary="each shipped segment's journey as an absorbing Markov chain",
        defaults={"customers": 5000},
        replications=20,
    ),
}
"""Every case by name, in the order the table runs them."""


def describe() -> str:
    """Every case with its flags and defaults, one paragraph each (for ``--help``)."""
    lines = []
    for spec in SPECS.values():
        flags = ", ".join(
            f"{PARAMETERS[k].flag} {'(scenario)' if v is None else f'{v:g}'}"
            for k, v in spec.defaults.items()
        )
        lines.append(f"{spec.name}: {spec.summary}; {spec.replications} replications; {flags}")
    return "\n\n".join(lines)
