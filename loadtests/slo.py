"""Service-level gates: thresholds per step and per journey, and business checks.

A gates file is TOML::

    [defaults]                 # every step kind, unless overridden below
    p95_ms = 500               # latency from the intended send time (coordinated-omission free)
    error_rate = 0.01          # errors (5xx, no answer) / requests sent
    lag_p99_ms = 1000          # how late requests were sent

    [steps.checkout]
    p95_ms = 800

    [journey]
    p95_ms = 60000             # from a journey's scheduled start to its last answer

    [business]
    max_discrepancies = 0      # the reconciliation's count
    min_accept_rate = 0.5      # writes the target accepted / writes it answered

Latency thresholds may name any percentile (``p50_ms``, ``p99_ms``, ``p99.9_ms``) and, with
``actual_`` in front (``actual_p95_ms``), apply to the latency from the actual send time.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests.adapters.base import ANSWERED, ERROR, OK
from loadtests.histogram import Histogram
from loadtests.journeys import READS
from loadtests.replay import Recorder
from simulation.errors import InputError

_LATENCY = re.compile(r"^(actual_|lag_)?p(\d+(?:\.\d+)?)_ms$")
DEFAULT_GATES: dict[str, Any] = {"business": {"max_discrepancies": 0}}
"""Without a gates file: the reconciliation must find nothing."""


@dataclass(frozen=True, slots=True)
class Gate:
    scope: str
    name: str
    limit: float
    value: float
    passed: bool

    def line(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return f"{verdict}  {self.scope} {self.name}: {self.value:.6g} (limit {self.limit:g})"


def load_gates(path: Path | None) -> dict[str, Any]:
    """A gates file, checked: unknown sections or threshold names are errors naming them."""
    if path is None:
        return DEFAULT_GATES
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as error:
        raise InputError(str(path), "a readable TOML file", str(error)) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(str(path), "valid TOML", str(error)) from None
    for section, table in raw.items():
        if section not in ("defaults", "steps", "journey", "business") or not isinstance(
            table, dict
        ):
            raise InputError(
                f"{path}: {section}",
                "one of [defaults], [steps.KIND], [journey], [business]",
                section,
            )
        tables = table.items() if section == "steps" else [(section, table)]
        for scope, limits in tables:
            if not isinstance(limits, dict):
                raise InputError(f"{path}: {section}.{scope}", "a table of thresholds", limits)
            for name, limit in limits.items():
                if section == "business":
                    allowed = name in ("max_discrepancies", "min_accept_rate")
                else:
                    allowed = bool(_LATENCY.match(name)) or name == "error_rate"
                if not allowed or isinstance(limit, bool) or not isinstance(limit, int | float):
                    raise InputError(
                        f"{path}: {section}.{scope}.{name}"
                        if section == "steps"
                        else f"{path}: {section}.{name}",
                        "pN_ms, actual_pN_ms, lag_pN_ms or error_rate (business: "
                        "max_discrepancies, min_accept_rate) with a number",
                        f"{name} = {limit!r}",
                    )
    return raw


def _latency(name: str, marks: dict[str, Histogram]) -> float:
    match = _LATENCY.match(name)
    assert match is not None
    measure = {"actual_": "actual", "lag_": "lag"}.get(match.group(1) or "", "intended")
    return marks[measure].percentile(float(match.group(2))) * 1000


def check(gates: dict[str, Any], recorder: Recorder, discrepancies: int) -> list[Gate]:
    """Every threshold against what was measured."""
    out: list[Gate] = []
    defaults = gates.get("defaults", {})
    for kind in sorted(recorder.counts):
        limits = defaults | gates.get("steps", {}).get(kind, {})
        counts = recorder.counts[kind]
        marks = recorder.steps.get(kind)
        for name, limit in limits.items():
            if name == "error_rate":
                sent = sum(counts.get(r, 0) for r in (*ANSWERED, ERROR))
                value = counts[ERROR] / sent if sent else 0.0
            elif marks is None:
                continue
            else:
                value = _latency(name, marks)
            out.append(Gate(f"step {kind}", name, float(limit), value, value <= limit))
    for name, limit in gates.get("journey", {}).items():
        if name == "error_rate":
            continue
        value = _latency(
            name,
            {"intended": recorder.journeys, "actual": recorder.journeys, "lag": recorder.journeys},
        )
        out.append(Gate("journey", name, float(limit), value, value <= limit))
    business = gates.get("business", {})
    if "max_discrepancies" in business:
        limit = float(business["max_discrepancies"])
        out.append(
            Gate("business", "discrepancies", limit, float(discrepancies), discrepancies <= limit)
        )
    if "min_accept_rate" in business:
        writes = [c for k, c in recorder.counts.items() if k not in READS]
        ok = sum(c[OK] for c in writes)
        answered = sum(c.get(r, 0) for c in writes for r in ANSWERED)
        value = ok / answered if answered else 0.0
        limit = float(business["min_accept_rate"])
        out.append(Gate("business", "accept_rate", limit, value, value >= limit))
    return out
