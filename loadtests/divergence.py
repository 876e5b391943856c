"""When a journey stops following the simulation's: the target decided a step otherwise.

Every step carries the simulation's own outcome (``ok``, or the rule that refused it). A step
the target decided otherwise (refused, partly did, did not find, or never answered what the
simulation accepted; accepted what it refused) is a divergence: the replay marks the first
of a journey ``first`` and the later ones ``consequence``; the reconciliation then tells which
first ones are root causes (:mod:`loadtests.reconcile`). A journey also loses the carts and
orders the target never created (refused, unanswered, unsupported, or not sent): a later step
that names one is not sent, since the target has nothing to apply it to (:class:`Course`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loadtests.adapters.base import IMPLICIT, NOT_FOUND, OK, PARTIAL, REFUSED, UNAUTHORISED
from simulation.commandlog import ACCEPTED

FIRST = "first"
"""A journey's first step decided otherwise than in the simulation: a root cause."""
CONSEQUENCE = "consequence"
"""A later step of a diverged journey decided otherwise: it follows from the first."""
REFUSING = frozenset({REFUSED, NOT_FOUND, UNAUTHORISED})
"""Results that leave the target as a refusal does (nothing done)."""
CREATED = frozenset({OK, PARTIAL})
"""Results after which what the step creates exists at the target."""
_IDS = ("cart", "order")


def differs(expected: str, result: str) -> bool:
    """True when the target's decision is not the simulation's (``expected``): it did not
    fully do what the simulation accepted, or it did (or may have done) what it refused. A
    step the target does by itself (implicit) is taken to go as in the simulation."""
    if result == IMPLICIT:
        return False
    if expected == ACCEPTED:
        return result != OK
    return result not in REFUSING


def other_reason(expected: str, result: str, rule: str | None) -> bool:
    """True when both refused, but the target for another reason: its code maps to another
    rule, or it refused who asked (unauthorised) rather than what was asked."""
    if expected == ACCEPTED or result not in REFUSING:
        return False
    return result == UNAUTHORISED or (rule is not None and rule != expected)


class Course:
    """One journey as far as it still follows the simulation's: whether it has diverged, and
    the carts and orders the target never created, with the result and reason to record for
    a later step that names one (it is not sent)."""

    __slots__ = ("diverged", "missing")

    def __init__(self) -> None:
        self.diverged = False
        self.missing: dict[tuple[str, Any], tuple[str, str]] = {}

    def lose(self, kind: str, sim_id: Any, result: str, why: str) -> None:
        """The target has no ``kind`` (cart, order) of the simulation's id ``sim_id``."""
        self.missing.setdefault((kind, sim_id), (result, why))

    def blocked(self, data: Mapping[str, Any]) -> tuple[str, str] | None:
        """(result, reason) when ``data`` names a cart or order the target never created."""
        missing = self.missing
        for name in _IDS:
            found = missing.get((name, data.get(name)))
            if found is not None:
                return found
        return None
