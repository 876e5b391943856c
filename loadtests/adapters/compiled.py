"""A mapping file compiled: the plans the adapter runs (each step's requests, the profiles,
the lookups, the prepare requests, the reads), and the problems found in the file, each
with its key, and so its TOML line. :mod:`loadtests.adapters.compiler` makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

from loadtests.adapters.calls import Call
from loadtests.adapters.mapping_file import MappingFile
from loadtests.adapters.paths import Path
from loadtests.adapters.toml_lines import Key, dotted, line_of
from simulation.errors import InputError


@dataclass(frozen=True, slots=True)
class Problem:
    key: Key
    expected: str
    given: object

    def error(self, where: str) -> InputError:
        return InputError(dotted(self.key), self.expected, self.given, where=where)


@dataclass(frozen=True, slots=True)
class StepPlan:
    """One step kind: its status and, when mapped, its requests in order."""

    kind: str
    status: str
    reason: str
    calls: tuple[Call, ...]


@dataclass(frozen=True, slots=True)
class ProfilePlan:
    name: str
    scope: str
    login: Call | None


@dataclass(frozen=True, slots=True)
class FieldPlan:
    path: Path
    via: str | None = None
    equals: Any = None


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """A paginated read whose answers' rows are flattened (a lookup, the final state)."""

    call: Call
    pages: Any
    rows: Path | None
    fields: Mapping[str, FieldPlan]
    next: Path | None = None
    last: Path | None = None
    total: Path | None = None
    legs: ReadPlan | None = None


@dataclass
class CompiledMapping:
    file: MappingFile
    source: FilePath
    text: str
    steps: dict[str, StepPlan] = field(default_factory=dict)
    profiles: dict[str, ProfilePlan] = field(default_factory=dict)
    lookups: dict[str, dict[Any, Any]] = field(default_factory=dict)
    """Tables read from files, and (empty until the prepare phase) those read from the target."""
    lookup_reads: dict[str, ReadPlan] = field(default_factory=dict)
    prepare: tuple[Call, ...] = ()
    check: ReadPlan | None = None
    stock: ReadPlan | None = None
    orders: ReadPlan | None = None
    journey_vars: frozenset[str] = frozenset()
    run_vars: frozenset[str] = frozenset()
    problems: list[Problem] = field(default_factory=list)
    lines: dict[Key, int] = field(default_factory=dict)

    def where(self, key: Key) -> str:
        line = line_of(self.lines, key)
        return f"{self.source}:{line}" if line else str(self.source)

    def first_error(self) -> InputError | None:
        if not self.problems:
            return None
        first = self.problems[0]
        return first.error(self.where(first.key))
