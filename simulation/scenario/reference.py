"""The scenario file reference, generated from the pydantic models so that it cannot drift.

    python -m simulation.scenario.reference > docs/scenario-reference.md

Every table of a scenario file gets a section: each field with its type and constraints, its
default (or "required"), and its description (the docstring under the field in
:mod:`simulation.scenario.model` or :mod:`simulation.scenario.catalogue`). A test regenerates
the page and compares it with the one in ``docs/``.
"""

from __future__ import annotations

import enum
import json
import types
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulation.scenario.model import Scenario

_HEAD = """# Scenario file reference

Generated from the models in `simulation/scenario/` by
`python -m simulation.scenario.reference > docs/scenario-reference.md`; do not edit by hand.
A scenario file is TOML; `omnicanal validate FILE` checks one, names the file, line and
field of any mistake, and estimates the run's size (customers, events, memory, time); a run
this machine cannot hold or finish within a week is refused. `scenarios/baseline.toml` is a
complete, commented example. Tables ending in `[]` are arrays of tables
(`[[network.locations]]`).

Types are strict: an integer is written without a decimal point (`3`, not `3.0`), a number is
never `true` or `false` nor a boolean a number, and numbers are finite (no `inf` or `nan`).
Every id a table names (a location's region, the distance table's regions and locations, the
initial stock's locations and skus) must be defined, and regions, locations, segments and skus
are named once each.
"""

_BOUNDS = {at.Gt: (">", "gt"), at.Ge: (">=", "ge"), at.Lt: ("<", "lt"), at.Le: ("<=", "le")}


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models(arg)]


def _constraints(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        for kind, (sign, name) in _BOUNDS.items():
            if isinstance(item, kind):
                parts.append(f"{sign} {getattr(item, name)}")
        if isinstance(item, at.MinLen):
            parts.append(f"at least {item.min_length}")
        if isinstance(item, at.MaxLen):
            parts.append(f"at most {item.max_length}")
        if isinstance(item, FieldInfo):
            parts.append(_constraints(item.metadata))
    return ", ".join(p for p in parts if p)


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        shown = [_type(a) for a in get_args(annotation) if a is not type(None)]
        optional = type(None) in get_args(annotation)
        return " or ".join(shown) + (", optional" if optional else "")
    if origin is list:
        return f"list of {_type(get_args(annotation)[0])}"
    if origin is dict:
        key, value = get_args(annotation)
        return f"table of {_type(key)} to {_type(value)}"
    if origin is not None and get_args(annotation):  # Annotated
        inner, *metadata = get_args(annotation)
        bounds = _constraints(metadata)
        return _type(inner) + (f" ({bounds})" if bounds else "")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table (below)"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " | ".join(json.dumps(m.value) for m in annotation)
    names = {int: "integer", float: "number", str: "string", bool: "true or false"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "required"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "its table's defaults"
    if isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    return "`" + json.dumps(value, default=str) + "`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def sections(model: type[BaseModel] = Scenario, path: str = "") -> list[str]:
    """Markdown sections for ``model`` (at ``path`` in the file) and every table inside it."""
    title = f"`[{path}]`" if path else "Top level"
    doc = _cell(model.__doc__ or "") if model.__doc__ and model.__doc__ != BaseModel.__doc__ else ""
    rows = ["| field | type | default | description |", "|---|---|---|---|"]
    inner: list[str] = []
    for name, field in model.model_fields.items():
        typed = _type(field.annotation)
        bounds = _constraints(field.metadata)
        typed += f" ({bounds})" if bounds else ""
        rows.append(
            f"| `{name}` | {_cell(typed)} | {_default(field)} | {_cell(field.description or '')} |"
        )
        for sub in _models(field.annotation):
            many = get_origin(field.annotation) is list
            inner += sections(sub, f"{path}.{name}".strip(".") + ("[]" if many else ""))
    head = f"## {title}\n\n" + (f"{doc}\n\n" if doc else "")
    return [head + "\n".join(rows) + "\n", *inner]


def render() -> str:
    """The whole reference page."""
    return _HEAD + "\n" + "\n".join(sections())


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    print(render(), end="")
