"""The model against theory: exact results, and the cases that hold the simulation to them.

- :mod:`.closed_forms`: queueing, inventory and journey results (pure functions);
- :mod:`.catalogue`: every case's parameters, their checks and defaults (pure data, which the
  command line reads at start-up);
- :mod:`.cases`: one scenario of ``scenarios/validation/``, one measure, one row (the pickup
  desk as a queue, base stock);
- :mod:`.inventory`: the studies that sweep or pair scenarios (newsvendor, (s, S), pooling);
- :mod:`.journey`: each shipped segment's journey against its absorbing Markov chain;
- :mod:`.retention`: visits per customer at a constant repeat rate against the geometric law;
- :mod:`.registry`: every case by name (``CASES``), and :func:`run_rows`;
- :mod:`.table`: the rows of the validation table.

``CASES``, ``run_rows`` and ``scenario_for`` can be imported from here; they are loaded on
first use, so that reading the catalogue does not import the engine, pandas and scipy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.validation.cases import scenario_for
    from simulation.validation.registry import CASES, run_rows

__all__ = ["CASES", "run_rows", "scenario_for"]

_HOMES = {"CASES": "registry", "run_rows": "registry", "scenario_for": "cases"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
