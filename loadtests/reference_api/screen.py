"""What the API knows of the scenario it serves: what it lists, and the ids it accepts.

A command that names a sku or a location the scenario does not have is refused before any
rule is looked at (404, the id in the problem), and so is a transfer from a location to
itself (422). A screen made without a catalogue or without locations accepts any id of
that kind (an API built in a test, without a scenario).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from simulation.domain.commands import TransferStock
from simulation.domain.errors import MalformedCommand, UnknownAggregate

IdKind = Literal["sku", "location"]
_KIND_OF: dict[str, IdKind] = {
    "sku": "sku",
    "location": "location",
    "to": "location",
    "reserve_at": "location",
}
"""The command fields (at any depth: an order's legs and lines) that name a sku or a location."""


class UnknownId(UnknownAggregate):
    """A sku or location that the scenario the API serves does not have."""

    rule = "scenario.unknown_id"


class Screen:
    """The scenario's listings (as ``GET /catalogue`` and ``GET /locations`` answer them) and
    the ids they make known."""

    def __init__(
        self,
        catalogue: Sequence[Mapping[str, Any]] = (),
        locations: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.catalogue = [dict(s) for s in catalogue]
        self.locations = [dict(s) for s in locations]
        self._known: dict[IdKind, frozenset[str] | None] = {
            "sku": frozenset(str(s["sku"]) for s in catalogue) if catalogue else None,
            "location": frozenset(str(s["id"]) for s in locations) if locations else None,
        }

    def check_id(self, kind: IdKind, value: str, field: str) -> None:
        """Raise :class:`UnknownId` if ``value`` is not a ``kind`` of the scenario."""
        known = self._known[kind]
        if known is not None and value not in known:
            raise UnknownId(
                f"{field}: {value!r} is not a {kind} of the scenario this API serves",
                **{kind: value, "field": field},
            )

    def check(self, command: object) -> None:
        """Refuse a command that names an unknown id, or moves stock to where it is."""
        for field, kind, value in _ids(command):
            self.check_id(kind, value, field)
        if isinstance(command, TransferStock) and command.to == command.location:
            expected = f"a location other than the origin {command.location!r}"
            raise MalformedCommand("TransferStock.to", expected, command.to)


def _ids(record: object, prefix: str = "") -> Iterator[tuple[str, IdKind, str]]:
    """(field path, kind, id) of every sku and location a command names, legs included."""
    for f in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        kind = _KIND_OF.get(f.name)
        if kind is not None and value is not None:
            yield f"{prefix}{f.name}", kind, value
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    yield from _ids(item, f"{prefix}{f.name}[{i}].")
