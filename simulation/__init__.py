"""omnicanal: an event-sourced omnichannel simulation and load-testing framework."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("omnicanal")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Scenario", "__version__", "compare", "load_scenario", "run", "sweep"]

_LAZY = {
    "Scenario": "simulation.scenario",
    "load_scenario": "simulation.scenario",
    "run": "simulation.api",
    "compare": "simulation.api",
    "sweep": "simulation.api",
}


def __getattr__(name: str) -> object:
    """The public API (``from simulation import run, compare, sweep, Scenario``), imported on
    first use so that ``import simulation`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
