"""Scenario files: what a strategist edits, validated into a :class:`Scenario`.

A scenario is a TOML file (see ``scenarios/baseline.toml``, commented line by line);
:func:`load_scenario` reads it, follows ``extends``, and validates it into the models of
:mod:`.model`, with errors that name the file, the line and the field (:mod:`.loading`).
"""

from __future__ import annotations

from simulation.scenario.loading import load_scenario, scenario_from_dict
from simulation.scenario.model import (
    DEFAULT_TRANSITIONS,
    MODES,
    NO_STOCK,
    STEPS,
    Scenario,
    Segment,
)

__all__ = [
    "DEFAULT_TRANSITIONS",
    "MODES",
    "NO_STOCK",
    "STEPS",
    "Scenario",
    "Segment",
    "load_scenario",
    "scenario_from_dict",
]
