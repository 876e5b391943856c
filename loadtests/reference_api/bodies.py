"""The JSON bodies of the API: made from the command fields, strict and bounded.

A write's body model is its command's fields that its route does not carry in the URL,
each with the JSON type its name has in :data:`JSON_TYPES` (enums by their type), the
command's default where it has one. A command with a field name not in the table does not
get an endpoint until the name has its JSON type here.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from loadtests.reference_api.fields import Flag, Id, Level, Minutes, Money, Name, Price, Text, Units
from simulation.domain.vocabulary import Kind
from simulation.types import FulfilmentMode


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineBody(Body):
    sku: Name
    qty: Units


class LegBody(Body):
    location: Name
    mode: FulfilmentMode
    lines: Annotated[list[LineBody], Field(min_length=1, max_length=1000)]


class Receipt(Body):
    """A line of stock: the initial stock, and a reset's."""

    location: Name
    sku: Name
    qty: Units


class Reset(Body):
    stock: Annotated[list[Receipt], Field(max_length=1_000_000)]


JSON_TYPES: Mapping[str, Any] = {
    "customer": Id, "cart": Id, "order": Id,
    "qty": Units, "level": Level,
    "unit_price": Price, "amount": Money,
    "ttl": Minutes, "hold_minutes": Minutes,
    "sku": Name, "location": Name, "to": Name, "reserve_at": Name,
    "reason": Text, "restock": Flag,
    "legs": Annotated[list[LegBody], Field(min_length=1, max_length=1000)],
}  # fmt: skip
"""The JSON type of each command field name that is not an enum."""


def json_type(kind: Kind, name: str) -> Any:
    """The JSON type of the field ``name`` of ``kind``'s record (``X | None`` stays so)."""
    hint = typing.get_type_hints(kind.record)[name]
    members = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = len(members) == 1 and type(None) in typing.get_args(hint)
    base = members[0] if optional else hint
    if isinstance(base, type) and issubclass(base, Enum):
        found: Any = base
    elif name in JSON_TYPES:
        found = JSON_TYPES[name]
    else:
        raise TypeError(f"{kind.name}.{name}: no JSON type for this field; add it to JSON_TYPES")
    return found | None if optional else found


def body_model(kind: Kind, fields: Sequence[str]) -> type[BaseModel] | None:
    """The body of ``kind``'s route: ``fields`` of its command, with the command's defaults."""
    if not fields:
        return None
    defaults = {f.name: f.default for f in dataclasses.fields(kind.record)}  # type: ignore[arg-type]
    spec: dict[str, Any] = {
        name: (
            json_type(kind, name),
            ... if defaults[name] is dataclasses.MISSING else defaults[name],
        )
        for name in fields
    }
    return create_model(f"{kind.record.__name__}Body", __base__=Body, __doc__=kind.doc, **spec)
