"""``omnicanal replay --check-mapping``: a mapping file checked against a run, offline.

Nothing is sent. The file's own problems come first (each with its TOML line); then the
prepare requests and the stock check are rendered with the run's initial stock, and every
journey of the run is walked in order, rendering each mapped step's requests with the
step's data, the file's lookup tables, and stand-ins for what only the target can give
(captured variables once an earlier step of the journey captures them, lookups read from the
target, the token). What would fail at run time is reported: a step kind of the run the file
does not list, a step field that some steps lack (``${x?}`` leaves it out), a lookup key the
table lacks, a journey variable that no earlier step of the journey captures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.adapters.calls import Call, OffTarget
from loadtests.adapters.compiled import CompiledMapping
from loadtests.adapters.compiler import read_mapping
from loadtests.adapters.template import Missing
from loadtests.adapters.toml_lines import Key, dotted
from loadtests.journeys import Journey
from simulation.errors import InputError


class _Sample(float):
    """What a value only the target can give stands for: a number that formats as one."""

    __slots__ = ()

    def __new__(cls) -> _Sample:
        return super().__new__(cls, 1.0)


class _AnyKey(Mapping[Any, Any]):
    """A table only the target can fill (a lookup read before the run, a captured table)."""

    def __getitem__(self, key: Any) -> Any:
        return _Sample()

    def get(self, key: Any, default: Any = None) -> Any:
        return _Sample()

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class KindLine:
    kind: str
    status: str
    steps: int


@dataclass
class CheckReport:
    """Per step kind of the run its status, and every error as ``FILE:LINE: key: message``."""

    mapping: Path
    journeys: int = 0
    steps: int = 0
    kinds: list[KindLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What else the file does: lookups, prepare, the final state it reads."""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        """The header (what the file prepares and reads, in brackets), one line per step kind,
        ``errors: N`` and the errors: each step kind's line is between the first line and
        the ``errors`` line."""
        notes = f" ({'; '.join(self.notes)})" if self.notes else ""
        out = [f"mapping {self.mapping}{notes} against {self.journeys:,} journeys, "
               f"{self.steps:,} steps:"]  # fmt: skip
        out += [f"  {k.kind}: {k.status} ({k.steps:,} steps)" for k in self.kinds]
        out += [f"errors: {len(self.errors)}", *self.errors] if self.errors else ["errors: 0"]
        return out


def check_mapping(
    path: Path,
    journeys: Iterable[Journey],
    initial: Mapping[tuple[str, str], int] | None = None,
) -> CheckReport:
    """Check the mapping at ``path`` against ``journeys`` and the run's ``initial`` stock
    (which its prepare requests and stock check are rendered with; see the module's
    documentation)."""
    report = CheckReport(path)
    found = list(journeys)
    report.journeys, report.steps = len(found), sum(len(j.steps) for j in found)
    try:
        mapping = read_mapping(path)
    except InputError as error:
        report.errors.append(str(error))
        return report
    for problem in mapping.problems:
        report.errors.append(str(problem.error(mapping.where(problem.key))))
    if mapping.problems:
        return report
    counts = Counter(s.kind for j in found for s in j.steps)
    unlisted = mapping.file.unlisted
    for kind in sorted(counts):
        plan = mapping.steps.get(kind)
        if plan is None:
            status = f"not in the mapping (unlisted = {unlisted})" if unlisted else "not mapped"
            if not unlisted:
                report.errors.append(
                    f"{mapping.where(('steps',))}: steps.{kind}: expected the run's "
                    f"{counts[kind]:,} {kind} steps mapped, or declared (status = "
                    '"implicit" or "unsupported"), or a default (unlisted = ...), got nothing'
                )
        elif plan.status == "mapped":
            n = len(plan.calls)
            status = f"mapped ({n} request{'s' if n != 1 else ''})"
        else:
            status = plan.status + (f" ({plan.reason})" if plan.reason else "")
        report.kinds.append(KindLine(kind, status, counts[kind]))
    report.notes = _notes(mapping)
    _Walk(mapping, report).run(found, initial or {})
    return report


def _notes(mapping: CompiledMapping) -> list[str]:
    lookups = [
        f"{name} (read before the run)" if name in mapping.lookup_reads
        else f"{name} ({len(table):,} entries from a file)"
        for name, table in mapping.lookups.items()
    ]  # fmt: skip
    prepare = mapping.file.prepare
    sent = f"{len(mapping.prepare)} request(s)" if mapping.prepare else "no requests"
    if mapping.check is not None:
        checked = "the stock checked one (location, sku) at a time"
    elif prepare is None or not prepare.requests or prepare.verify:
        checked = "the stock checked through [state.stock]"
    else:
        checked = "the stock as they set it (not read back: prepare.verify reads it)"
    read = [n for n, plan in (("stock", mapping.stock), ("orders", mapping.orders)) if plan]
    return [
        f"lookups: {', '.join(lookups) if lookups else 'none'}",
        f"prepare: {sent}, {checked}",
        f"final state: {' and '.join(read) if read else 'not read (nothing to reconcile)'}",
    ]


class _Walk:
    """Every journey's steps rendered in order; each kind of failure reported once per key."""

    def __init__(self, mapping: CompiledMapping, report: CheckReport) -> None:
        self.mapping, self.report = mapping, report
        self.base: dict[str, Any] = {"token": "token", "env": _AnyKey()}
        self.base |= {name: _Sample() for name in mapping.run_vars}
        for name, table in mapping.lookups.items():
            self.base[name] = _AnyKey() if name in mapping.lookup_reads else table
        self.seen: dict[tuple[Key, str], list[Any]] = {}
        self.unknown: dict[tuple[Key, str], Counter[str]] = {}
        """Per key and lookup: the values the table lacks, and how many steps use each."""
        self.captured_by = {c.var: p.kind for p in mapping.steps.values() for call in p.calls
                            for c in call.captures}  # fmt: skip

    def run(self, journeys: list[Journey], initial: Mapping[tuple[str, str], int]) -> None:
        self._prepare(initial)
        for journey in journeys:
            journey_vars: dict[str, Any] = {}
            for index, step in enumerate(journey.steps):
                plan = self.mapping.steps.get(step.kind)
                if plan is None or plan.status != "mapped":
                    continue
                values = {**self.base, **journey_vars, **step.data, "t": step.t,
                          "kind": step.kind}  # fmt: skip
                values.setdefault("customer", journey.customer)
                for call in plan.calls:
                    self._login(call, values, journey_vars)
                    self._render(call, values, f"customer {journey.customer}, step {index + 1}")
                    for capture in call.captures:
                        sample = _AnyKey() if capture.key is not None else _Sample()
                        journey_vars[capture.var] = values[capture.var] = sample
        for (key, lookup), lacking in self.unknown.items():
            shown = ", ".join(repr(v) for v in sorted(lacking)[:8])
            more = f" and {len(lacking) - 8} more" if len(lacking) > 8 else ""
            self.report.errors.append(
                f"{self.mapping.where(key)}: {dotted(key)}: lookup {lookup} has no entry for "
                f"{len(lacking)} value(s) the run uses: {shown}{more} "
                f"({sum(lacking.values()):,} uses)"
            )
        for (key, message), (first, count) in self.seen.items():
            also = f"; {count - 1:,} more alike" if count > 1 else ""
            self.report.errors.append(
                f"{self.mapping.where(key)}: {dotted(key)}: {message} ({first}{also})"
            )

    def _prepare(self, initial: Mapping[tuple[str, str], int]) -> None:
        """The prepare requests and the stock check, with the run's initial stock."""
        rows = [
            {"location": loc, "sku": sku, "qty": q} for (loc, sku), q in sorted(initial.items())
        ]
        values = {**self.base, "initial": rows}
        for call in self.mapping.prepare:
            for row in rows if call.each == "initial" else [{}]:
                where = f"initial stock {row['location']}/{row['sku']}" if row else "prepare"
                self._render(call, {**values, **row}, where)
        if self.mapping.check is not None:
            for row in rows:
                where = f"initial stock {row['location']}/{row['sku']}"
                self._render(self.mapping.check.call, {**values, **row}, where)

    def _login(self, call: Call, values: dict[str, Any], journey_vars: dict[str, Any]) -> None:
        profile = self.mapping.profiles.get(call.profile or "")
        if profile is None or profile.scope != "journey" or profile.login is None:
            return
        for capture in profile.login.captures:
            journey_vars[capture.var] = values[capture.var] = _Sample()

    def _render(self, call: Call, values: Mapping[str, Any], where: str) -> None:
        parts: list[tuple[Key, Any]] = [((*call.key, "path"), call.path.render_path)]
        for name in ("params", "body", "variables"):
            compiled = getattr(call, name)
            if compiled is not None:
                parts.append(((*call.key, name), compiled.render))
        parts += [(where, t.render) for _, t, where in call.headers if "token" not in t.names]
        for key, render in parts:
            try:
                render(values)
            except Missing as missing:
                if missing.name in self.mapping.lookups and missing.key is not None:
                    lacking = self.unknown.setdefault((key, missing.name), Counter())
                    lacking[str(missing.key)] += 1
                else:
                    self._note(key, self._why(missing), where)
            except OffTarget:
                pass  # a URL only the target can give: checked at run time
            except (TypeError, ValueError) as error:
                self._note(key, f"cannot render: {error}", where)

    def _why(self, missing: Missing) -> str:
        name = missing.name
        if name in self.mapping.journey_vars:
            by = self.captured_by.get(name)
            status = self.mapping.steps[by].status if by in self.mapping.steps else "mapped"
            how = f" (steps.{by} captures it)" if by else " (a journey login captures it)"
            return f"${{{missing.shown}}} is captured by no earlier step of the journey{how}" + (
                f"; {by} is {status}" if by and status != "mapped" else ""
            )
        if name in self.mapping.lookups:
            return f"lookup {missing.shown}: the table has no such key"
        return (
            f"no value for ${{{missing.shown}}} in some steps "
            f"(write ${{{name}?}} to leave its key out)"
        )

    def _note(self, key: Key, message: str, where: str) -> None:
        seen = self.seen.get((key, message))
        if seen is None:
            self.seen[key, message] = [where, 1]
        else:
            seen[1] += 1
