"""A step as the domain command it stands for: what the reconciliation folds to know the truth.

The adapters turn a step into a target's request; this module turns the same step back into
the domain's command, through the vocabulary (:mod:`simulation.domain.vocabulary`), so the
replay can tell what a correct backend must have answered and where its stock must stand.
Reads (browse, check stock) change nothing and have no command.
"""

from __future__ import annotations

from loadtests.journeys import Step
from simulation.domain.commands import Command
from simulation.domain.vocabulary import BY_NAME


def command_of(step: Step) -> Command | None:
    """The domain command a step stands for, at its simulated time; None for a read."""
    kind = BY_NAME[step.kind]
    if kind.command is None:
        return None
    return kind.command_from(step.t, step.data)
