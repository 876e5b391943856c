"""What a reconciliation found, grouped by cause, and what it could not check.

A :class:`Discrepancy` is one row (a step, a stock record, an order); its ``cause`` is one
sentence shared by every row of one finding, so that 229 rows of one rule difference read as
one :class:`Finding`. :class:`Coverage` says what the verdict rests on: how many steps were
sent, left to the target (implicit), skipped as unsupported, not sent after a divergence or not
run, and whether the final state was read. :func:`verdict` is the summary's last line: it never
says a bare ``discrepancies: 0`` when something was not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from loadtests.adapters.base import ANSWERED, DIVERGED, ERROR, IMPLICIT, SKIPPED, TargetState
from loadtests.recorder import NOT_RUN

FIRST_DIVERGENCE = "first divergence"
"""The target decided a step otherwise than the simulation, and nothing before explains it."""
OTHER_REASON = "other reason"
"""Both refused a step, the target for another rule (or it refused who asked)."""
UNANSWERED = "unanswered write"
INVARIANT = "invariant"
STOCK = "stock"
ORDER = "order"
CONSEQUENCE = "consequence"
"""A difference that follows from an earlier one (counted apart, never a discrepancy)."""
ORDERING = "ordering"
"""A difference that deciding writes in flight together in another order explains (a note)."""
NOT_JUDGED = "rules differ"
"""In ``--check invariants``: a step the target decided otherwise, by its own rules."""
_RANK = {
    k: i
    for i, k in enumerate(
        (
            FIRST_DIVERGENCE,
            OTHER_REASON,
            UNANSWERED,
            INVARIANT,
            STOCK,
            ORDER,
            CONSEQUENCE,
            ORDERING,
            NOT_JUDGED,
        )
    )
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing the target got wrong (or a note): what kind, where, what was expected, what
    it said, and the cause it shares with the other rows of its finding."""

    kind: str
    where: str
    expected: str
    found: str
    cause: str = ""

    def line(self) -> str:
        return f"{self.kind}: {self.where}: expected {self.expected}, found {self.found}"


@dataclass(frozen=True, slots=True)
class Finding:
    """Every row of one kind and cause: one finding, however many rows it has."""

    kind: str
    cause: str
    rows: tuple[Discrepancy, ...]

    @property
    def count(self) -> int:
        return len(self.rows)

    def line(self) -> str:
        first = self.rows[0]
        times = "1 row" if self.count == 1 else f"{self.count:,} rows"
        return (
            f"{self.kind}: {self.cause} ({times}; e.g. {first.where}: expected "
            f"{first.expected}, found {first.found})"
        )

    def to_dict(self, examples: int = 5) -> dict[str, object]:
        return {
            "kind": self.kind,
            "cause": self.cause,
            "count": self.count,
            "examples": [
                {"where": r.where, "expected": r.expected, "found": r.found}
                for r in self.rows[:examples]
            ],
        }


def reason(text: str) -> str:
    """A target's words with their numbers taken out, so that one refusal groups as one."""
    return _NUMBER.sub("N", text.strip())[:120] or "no reason given"


def group(rows: Iterable[Discrepancy]) -> list[Finding]:
    """The rows by (kind, cause): root causes first, then by how many rows each has."""
    found: dict[tuple[str, str], list[Discrepancy]] = {}
    for row in rows:
        found.setdefault((row.kind, row.cause or row.kind), []).append(row)
    ordered = sorted(found.items(), key=lambda kv: (_RANK.get(kv[0][0], 99), -len(kv[1]), kv[0]))
    return [Finding(kind, cause, tuple(r)) for (kind, cause), r in ordered]


@dataclass(frozen=True, slots=True)
class Coverage:
    """What was checked: steps by what became of them, and which parts of the final state
    were read. ``unanswered`` counts writes with no answer (in ``--check invariants`` they are
    not discrepancies but what could not be checked)."""

    sent: int
    implicit: int
    skipped: int
    diverged: int
    not_run: int
    stock_read: bool
    orders_read: bool
    unanswered: int = 0

    @classmethod
    def of(
        cls,
        counts: Mapping[str, Mapping[str, int]],
        final: TargetState,
        *,
        unanswered: int = 0,
    ) -> Coverage:
        def total(results: Sequence[str]) -> int:
            return sum(c.get(r, 0) for c in counts.values() for r in results)

        return cls(
            sent=total((*ANSWERED, ERROR)),
            implicit=total((IMPLICIT,)),
            skipped=total((SKIPPED,)),
            diverged=total((DIVERGED,)),
            not_run=total((NOT_RUN,)),
            stock_read=final.stock is not None,
            orders_read=final.orders is not None,
            unanswered=unanswered,
        )

    @property
    def complete(self) -> bool:
        """Every step the target supports was sent and the whole final state was read. Steps
        not sent after a divergence or not run (the run time) do not make it incomplete: the
        divergence is reported itself, the run time was asked for."""
        return not self.skipped and self.stock_read and self.orders_read and not self.unanswered

    def gaps(self) -> list[str]:
        """What was not checked, in words (empty when nothing was left out)."""
        out = []
        if self.skipped:
            out.append(f"{self.skipped:,} steps skipped (unsupported)")
        if not self.stock_read:
            out.append("the final stock was not read")
        if not self.orders_read:
            out.append("the final orders were not read")
        if self.unanswered:
            out.append(f"{self.unanswered:,} writes unanswered")
        if self.diverged:
            out.append(f"{self.diverged:,} steps not sent after a divergence")
        return out

    def line(self) -> str:
        state = ", ".join(
            f"{name} {'read' if read else 'NOT read'}"
            for name, read in (("stock", self.stock_read), ("orders", self.orders_read))
        )
        return (
            f"coverage: {self.sent:,} steps sent, {self.implicit:,} implicit, "
            f"{self.skipped:,} skipped (unsupported), {self.diverged:,} not sent after a "
            f"divergence, {self.not_run:,} not run; final state: {state}"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "implicit": self.implicit,
            "skipped": self.skipped,
            "diverged": self.diverged,
            "not_run": self.not_run,
            "stock_read": self.stock_read,
            "orders_read": self.orders_read,
            "unanswered": self.unanswered,
            "complete": self.complete,
            "not_checked": self.gaps(),
        }


def verdict(discrepancies: int, coverage: Coverage) -> str:
    """``discrepancies: N``, followed by what was not checked when anything was not."""
    gaps = coverage.gaps()
    said = f"discrepancies: {discrepancies}"
    return f"{said} (not checked: {'; '.join(gaps)})" if gaps else said
