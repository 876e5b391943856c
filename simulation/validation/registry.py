"""Every validation case by name, and running one to its rows."""

from __future__ import annotations

from collections.abc import Mapping

from simulation.validation.bg_nbd import STUDY as _BG_NBD
from simulation.validation.cases import CASES as _SINGLE
from simulation.validation.cases import Case
from simulation.validation.catalogue import SPECS
from simulation.validation.inventory import STUDIES
from simulation.validation.journey import STUDY as _JOURNEY
from simulation.validation.retention import STUDY as _REPEAT
from simulation.validation.study import Study
from simulation.validation.table import Budget, Row

_ALL: dict[str, Case | Study] = {
    **_SINGLE,
    **STUDIES,
    _JOURNEY.name: _JOURNEY,
    _BG_NBD.name: _BG_NBD,
    _REPEAT.name: _REPEAT,
}
CASES: dict[str, Case | Study] = {name: _ALL[name] for name in SPECS}
"""Every case and study, in the catalogue's order."""


def run_rows(
    case: Case | Study,
    params: Mapping[str, float] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
) -> list[Row]:
    """The rows ``case`` gives with ``params`` over its defaults (each checked first), on
    ``replications`` (the case's own number by default)."""
    setup = case.prepare(params or {})
    budget = Budget(
        replications=case.spec.replications if replications is None else replications,
        seed=seed,
        workers=workers,
    )
    return case.run(setup, budget)
