"""A study: a validation case that gives several rows (sweeps, pairs of scenarios, journeys)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from simulation.validation.catalogue import Spec
from simulation.validation.table import Budget, Row, Setup


@dataclass(frozen=True, slots=True, kw_only=True)
class Study:
    spec: Spec
    check: Callable[[Mapping[str, float]], tuple[str, ...]]
    """Raises :class:`~simulation.errors.InputError` for parameters the study cannot run
    (cheap: the exact values only); returns the warnings to show before the run."""
    rows: Callable[[Mapping[str, float], Budget], list[Row]]
    """Given every parameter (defaults overridden) and the budget, the study's rows."""

    @property
    def name(self) -> str:
        return self.spec.name

    def prepare(self, given: Mapping[str, float]) -> Setup:
        values = {k: v for k, v in self.spec.resolve(given).items() if v is not None}
        return Setup(parameters=values, warnings=self.check(values))

    def run(self, setup: Setup, budget: Budget) -> list[Row]:
        return self.rows(setup.parameters, budget)
