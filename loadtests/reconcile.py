"""After the run: did the target decide as the simulation did, and does it tell the truth?

Two checks (``--check``):

- ``rules`` (the default): each answer against the simulation's own decision of that step,
  and the target's final state against the fold of what the target itself accepted;
- ``invariants``: only the target's own consistency (:mod:`loadtests.invariants`), for a
  target whose business rules legitimately differ: a step it decided otherwise is never a
  discrepancy there, only counted.

In ``rules``, the writes the target answered are folded through the domain, from the run's
initial stock, in the order the target decided them when it says so (an event position), else
in the simulation's log order. A step the target decided otherwise than the simulation is:

- a ``consequence`` when its journey had already diverged, or when the fold of what the
  target accepted before it agrees with the target (an earlier divergence elsewhere, or a step
  not sent, left it in another state): counted apart, never a discrepancy;
- an ``ordering`` note when the target gives no position and deciding it after the writes that
  were in flight with it explains the target's answer (or, with positions, when nothing went
  wrong before it: the replay delivered it in another order than the simulation decided it);
- otherwise a ``first divergence``: a root cause, grouped by step kind and reason.

Both refusing for another rule is an ``other reason`` (where the target maps its codes to the
simulation's rules); a write with no answer is an ``unanswered write``. The final stock per
(location, sku) and the orders are then compared with the fold, each difference with its cause
("allocated at another location", "no reservation for carts"), and the final state's
invariants are checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from loadtests.adapters.base import ANSWERED, ERROR, IMPLICIT, OK, TargetState
from loadtests.commands import command_of
from loadtests.divergence import differs, other_reason
from loadtests.findings import (
    CONSEQUENCE,
    FIRST_DIVERGENCE,
    NOT_JUDGED,
    ORDER,
    ORDERING,
    OTHER_REASON,
    STOCK,
    UNANSWERED,
    Discrepancy,
    Finding,
    group,
    reason,
)
from loadtests.invariants import final_invariants, in_decision_order, ledger_invariants
from loadtests.journeys import OPERATIONS
from loadtests.recorder import Outcome
from simulation.commandlog import ACCEPTED
from simulation.domain.backend import Backend
from simulation.domain.commands import ReceiveStock
from simulation.domain.errors import DomainError
from simulation.domain.events import Event
from simulation.types import LocationId, SimTime, SkuId

__all__ = ["CHECKS", "INVARIANTS", "RULES", "Discrepancy", "Reconciliation", "reconcile"]

RULES, INVARIANTS = "rules", "invariants"
CHECKS = (RULES, INVARIANTS)
_CENT = 0.005
REORDER_CHECKS = 1000
"""At most this many other orders are tried in all (each copies the fold's state)."""
_WINDOW = 500
"""Writes after a difference, in the fold's order, searched for ones in flight with it."""
_SINGLES = 8
"""Of those in flight with a difference, the first this many are tried one at a time."""


@dataclass
class Reconciliation:
    """What the reconciliation found: ``discrepancies`` (the findings' rows), ``notes``
    (consequences, ordering notes and, in ``invariants``, steps decided by other rules:
    counted apart, never discrepancies), the label of each step that differed (by its
    command id, for outcomes.parquet), and the fold (None in ``invariants``)."""

    check: str
    discrepancies: list[Discrepancy] = field(default_factory=list)
    notes: list[Discrepancy] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    backend: Backend | None = None
    unanswered: int = 0

    @property
    def findings(self) -> list[Finding]:
        return group(self.discrepancies)

    @property
    def noted(self) -> list[Finding]:
        return group(self.notes)


def expected_backend(initial: Mapping[tuple[str, str], int]) -> Backend:
    backend = Backend()
    for (loc, sku), qty in sorted(initial.items()):
        backend.handle(
            ReceiveStock(
                at=SimTime(0.0), location=LocationId(loc), sku=SkuId(sku), qty=qty, reason="initial"
            )
        )
    return backend


def reconcile(
    initial: Mapping[tuple[str, str], int],
    outcomes: Iterable[Outcome],
    final: TargetState,
    *,
    check: str = RULES,
) -> Reconciliation:
    """Every discrepancy between the target and the simulation (``rules``) or the target's
    own invariants (``invariants``); raises ValueError for another ``check``."""
    if check not in CHECKS:
        raise ValueError(f"check: expected one of {CHECKS}, got {check!r}")
    ledger = [o for o in outcomes if o.result in ANSWERED or o.result in (ERROR, IMPLICIT)]
    if check == INVARIANTS:
        return _invariants_only(initial, ledger, final)
    return _Fold(initial, ledger, _journey_firsts(ledger)).run(final)


def _where(o: Outcome) -> str:
    return f"customer {o.customer} {o.kind} (command {o.command}, t={o.t:g})"


def _journey_firsts(ledger: Sequence[Outcome]) -> set[int]:
    """The commands of each journey's first step decided otherwise than in the simulation
    (every back-office step about a location is a journey of its own)."""
    seen: set[int] = set()
    firsts: set[int] = set()
    for o in sorted(ledger, key=lambda o: (o.customer, o.command)):
        if differs(o.expected, o.result) and (o.customer == OPERATIONS or o.customer not in seen):
            firsts.add(o.command)
            seen.add(o.customer)
    return firsts


def _decision(o: Outcome) -> tuple[str, str]:
    """The target's decision and the simulation's, in words, for a step that differs."""
    said = o.rule or reason(o.detail) if o.result != OK else ""
    target = {OK: "accepted"}.get(o.result, f"{o.result.replace('_', ' ')}: {said}".rstrip(": "))
    sim = "accepted" if o.expected == ACCEPTED else f"refused: {o.expected}"
    return target, sim


def _cause(o: Outcome) -> str:
    target, sim = _decision(o)
    return f"{o.kind} {target} where the simulation {sim}"


def _row(kind: str, o: Outcome, cause: str | None = None) -> Discrepancy:
    target, sim = _decision(o)
    return Discrepancy(kind, _where(o), sim, target, cause or _cause(o))


def _unanswered(o: Outcome) -> Discrepancy:
    said = reason(o.detail or f"status {o.status}")
    return Discrepancy(
        UNANSWERED,
        _where(o),
        "an answer",
        o.detail or f"status {o.status}",
        f"{o.kind} unanswered: {said}",
    )


def _invariants_only(
    initial: Mapping[tuple[str, str], int],
    ledger: Sequence[Outcome],
    final: TargetState,
) -> Reconciliation:
    out = Reconciliation(INVARIANTS)
    for o in ledger:
        if o.result == ERROR:
            out.unanswered += 1
        elif differs(o.expected, o.result) or other_reason(o.expected, o.result, o.rule):
            out.notes.append(_row(NOT_JUDGED, o, f"{_cause(o)} (the target's own rules)"))
            out.labels[o.command] = NOT_JUDGED
    out.discrepancies += ledger_invariants(initial, ledger)
    out.discrepancies += final_invariants(final)
    return out


def _copy(backend: Backend) -> Backend:
    """A copy of the fold (its aggregate states are immutable: the dicts are enough)."""
    return Backend(
        dict(backend.stock), dict(backend.carts), dict(backend.orders), dict(backend.backorders)
    )


def _decide(backend: Backend, o: Outcome) -> list[Event] | DomainError:
    command = command_of(o.step)
    if command is None:
        return []
    try:
        return backend.decide(command)
    except DomainError as refusal:
        return refusal


def _apply(backend: Backend, events: list[Event]) -> None:
    for event in events:
        backend.evolve(event)


class _Fold:
    """The rules check: one pass over the answered writes in the fold's order."""

    def __init__(
        self, initial: Mapping[tuple[str, str], int], ledger: Sequence[Outcome], firsts: set[int]
    ) -> None:
        self.backend = expected_backend(initial)
        self.firsts = firsts
        self.order, self.positioned = in_decision_order(o for o in ledger if o.result != ERROR)
        self.errors = [o for o in ledger if o.result == ERROR]
        self.out = Reconciliation(RULES, backend=self.backend)
        self.applied: set[int] = set()  # writes folded early, by a reordering
        self.tries = 0
        self.roots = 0  # first divergences so far
        self.target_order: dict[Any, int] = {}

    def run(self, final: TargetState) -> Reconciliation:
        out = self.out
        for o in self.errors:
            out.discrepancies.append(_unanswered(o))
            out.labels[o.command] = UNANSWERED
        for index, o in enumerate(self.order):
            self._step(index, o)
        out.backend = self.backend
        out.discrepancies += compare_stock(self.backend, final)
        out.discrepancies += compare_orders(self.backend, final, self.target_order)
        out.discrepancies += final_invariants(final)
        return out

    def _note(self, kind: str, o: Outcome, cause: str | None = None) -> None:
        self.out.notes.append(_row(kind, o, cause))
        self.out.labels[o.command] = kind

    def _step(self, index: int, o: Outcome) -> None:
        if o.command in self.applied:  # folded early: its place in the order was moved
            self._judge_moved(o)
            return
        decided = _decide(self.backend, o)
        if o.result == IMPLICIT:  # the target does it by itself: as the simulation did
            if o.expected == ACCEPTED and not isinstance(decided, DomainError):
                _apply(self.backend, decided)
            return
        allowed = not isinstance(decided, DomainError)
        accepted = o.result == OK
        if accepted and not isinstance(decided, DomainError):
            _apply(self.backend, decided)
            self._learn(o)
        if not differs(o.expected, o.result):
            self._agreed(o, decided)
        else:
            self._differed(index, o, allowed=allowed, accepted=accepted)

    def _agreed(self, o: Outcome, decided: list[Event] | DomainError) -> None:
        """The target decided as the simulation: maybe for another reason, maybe something
        the fold (after earlier differences) can no longer apply."""
        if other_reason(o.expected, o.result, o.rule):
            self.out.discrepancies.append(_row(OTHER_REASON, o))
            self.out.labels[o.command] = OTHER_REASON
        elif o.result == OK and isinstance(decided, DomainError):
            why = (
                f"accepted as in the simulation, but after the earlier differences the "
                f"rules refuse it ({decided.rule})"
            )
            self._note(CONSEQUENCE, o, f"{o.kind} {why}")

    def _differed(self, index: int, o: Outcome, *, allowed: bool, accepted: bool) -> None:
        """The target decided otherwise: a consequence, an ordering note or a root cause."""
        if o.command not in self.firsts:
            self._note(CONSEQUENCE, o, f"{_cause(o)}, after its journey diverged")
        elif allowed == accepted:  # what the target accepted before explains it
            if self.positioned and not self.roots:
                self._note(ORDERING, o, f"{_cause(o)} (the target decided it in another order)")
            else:
                why = "(what the target accepted or was not sent before explains it)"
                self._note(CONSEQUENCE, o, f"{_cause(o)} {why}")
        elif not self.positioned and self._reordering(index, o, accepted):
            self._note(ORDERING, o)
        else:
            self.out.discrepancies.append(_row(FIRST_DIVERGENCE, o))
            self.out.labels[o.command] = FIRST_DIVERGENCE
            self.roots += 1

    def _judge_moved(self, o: Outcome) -> None:
        if differs(o.expected, o.result):
            self._note(ORDERING, o)
        self._learn(o)

    def _learn(self, o: Outcome) -> None:
        if o.result == OK and "order" in o.data and "order" in o.learned:
            self.target_order[o.learned["order"]] = int(o.data["order"])

    def _reordering(self, index: int, o: Outcome, accepted: bool) -> bool:
        """Does deciding ``o`` after the accepted writes in flight with it (one of them, else
        all) give the target's answer? If so the fold takes that order from here on."""
        along = [
            y
            for y in self.order[index + 1 : index + 1 + _WINDOW]
            if y.result == OK
            and y.customer != o.customer
            and y.command not in self.applied
            and y.sent < o.done
            and o.sent < y.done
        ]
        singles = [[y] for y in along[:_SINGLES]] if len(along) > 1 else []
        for tried in [*singles, along] if along else []:
            if self.tries >= REORDER_CHECKS:
                return False
            self.tries += 1
            trial = _copy(self.backend)
            moved = []
            for y in tried:
                events = _decide(trial, y)
                if not isinstance(events, DomainError):
                    _apply(trial, events)
                    moved.append(y.command)
            decided = _decide(trial, o)
            if isinstance(decided, DomainError) != accepted:
                if accepted and not isinstance(decided, DomainError):
                    _apply(trial, decided)
                    self._learn(o)
                self.backend = trial
                self.applied.update(moved)
                return True
        return False


def compare_stock(backend: Backend, final: TargetState) -> list[Discrepancy]:
    """The target's final stock against the fold's, each difference with its cause."""
    if final.stock is None:
        return []
    mine = {
        (str(loc), str(sku)): (level.on_hand, level.reserved_total)
        for (loc, sku), level in backend.stock.items()
    }
    theirs = final.stock
    totals: dict[str, list[int]] = {}
    for key in set(mine) | set(theirs):
        want, got = mine.get(key, (0, 0)), theirs.get(key, (0, 0))
        pair = totals.setdefault(key[1], [0, 0])
        pair[0] += want[0]
        pair[1] += got[0]
    reserves_nothing = all(reserved == 0 for _, reserved in theirs.values())
    in_carts = _reserved_by_carts(backend)
    out = []
    for key in sorted(set(mine) | set(theirs)):
        want, got = mine.get(key, (0, 0)), theirs.get(key, (0, 0))
        if want == got:
            continue
        if want[0] != got[0]:
            same_total = totals[key[1]][0] == totals[key[1]][1]
            cause = (
                "allocated at another location (the sku's total on hand agrees)"
                if same_total
                else "on hand differs from the fold of what the target accepted"
            )
        elif in_carts.get(key) and got[1] == want[1] - in_carts[key]:
            cause = "no reservation for carts (the target holds only the orders' reservations)"
        elif reserves_nothing:
            cause = "no reservation held (the target holds none anywhere)"
        else:
            cause = "reserved differs from the fold of what the target accepted"
        out.append(
            Discrepancy(
                STOCK,
                f"{key[0]}/{key[1]}",
                f"on hand {want[0]}, reserved {want[1]}",
                f"on hand {got[0]}, reserved {got[1]}",
                cause,
            )
        )
    return out


def _reserved_by_carts(backend: Backend) -> dict[tuple[str, str], int]:
    """Units the fold's carts hold reserved, per (location, sku)."""
    held: dict[tuple[str, str], int] = {}
    for cart in backend.carts.values():
        for r in cart.reservations:
            key = (str(r.location), str(r.sku))
            held[key] = held.get(key, 0) + r.qty
    return held


def compare_orders(
    backend: Backend, final: TargetState, target_order: Mapping[Any, int]
) -> list[Discrepancy]:
    """The target's orders against the fold's (by the simulation's order id)."""
    if final.orders is None:
        return []
    out = []
    theirs = {target_order.get(k, k): v for k, v in final.orders.items()}
    ids = set(theirs) | set(backend.orders)  # a target id never mapped back stays as it came
    for order_id in sorted(
        ids, key=lambda k: (isinstance(k, str), k if isinstance(k, int) else 0, str(k))
    ):
        mine = backend.orders.get(order_id)  # type: ignore[call-overload]
        got = theirs.get(order_id)
        where = f"order {order_id}"
        if mine is None or got is None:
            out.append(
                Discrepancy(
                    ORDER,
                    where,
                    "no such order" if mine is None else "the order",
                    "missing" if got is None else "an order",
                    "an order the fold does not know"
                    if mine is None
                    else "an order the target accepted is missing from its state",
                )
            )
            continue
        want = {"paid": mine.paid, "refunded": mine.refunded, "cancelled": mine.cancelled}
        for name, value in want.items():
            seen = got.get(name)
            same = (
                abs(float(seen or 0) - float(value)) < _CENT
                if name != "cancelled"
                else bool(seen) == value
            )
            if not same:
                out.append(
                    Discrepancy(
                        ORDER,
                        f"{where} {name}",
                        str(value),
                        str(seen),
                        f"an order's {name} differs from the fold",
                    )
                )
        legs = got.get("legs")
        if legs is not None:
            mine_legs = {str(leg.location): leg.status.value for leg in mine.legs}
            if mine_legs != legs:
                cause = (
                    "legs allocated at another location"
                    if set(mine_legs) != set(legs)
                    else "a leg's status differs from the fold"
                )
                out.append(Discrepancy(ORDER, f"{where} legs", str(mine_legs), str(legs), cause))
    return out
