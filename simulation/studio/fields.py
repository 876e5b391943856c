"""The page's forms, generated from the scenario's pydantic models so they cannot drift.

Every field becomes a :class:`Field` with its dotted path (list items by index:
``network.locations.2.x``), its doc text (the docstring under the field in the model), its
unit, default and bounds; every table becomes a :class:`Group` of them. Values that a form
cannot show well (a long list of tables, a table of tables of numbers keyed by ids) are named
in a note that sends the reader to the file.
"""

from __future__ import annotations

import enum
import re
import types
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulation.scenario import Scenario

Kind = Literal["number", "integer", "boolean", "choice", "text", "numbers", "texts"]
MOST_ITEMS = 24
"""Lists of tables longer than this are left to the file."""

_BOUNDS = {at.Gt: (">", "gt"), at.Ge: ("≥", "ge"), at.Lt: ("<", "lt"), at.Le: ("≤", "le")}
_UNITS = (
    (r"_days$|_days_", "days"), (r"_minutes$", "min"), (r"_hours$", "h"),
    (r"^per_hour$", "per hour"), (r"cost$|^price(_median)?$", "money"), (r"^(x|y)$", "km"),
    (r"^(opens|closes)$", "hour of day"), (r"capacity$", "units per day"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    """One input of the form."""

    path: str
    label: str
    doc: str
    kind: Kind
    value: Any
    default: Any
    unit: str = ""
    bounds: str = ""
    choices: tuple[str, ...] = ()
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Group:
    """A table of the scenario: its fields, the tables inside it, and what is left out."""

    path: str
    title: str
    doc: str
    fields: list[Field] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def walk(self) -> list[Field]:
        """Every field of this group and of the groups inside it."""
        return [*self.fields, *(f for g in self.groups for f in g.walk())]


def form(scenario: Scenario) -> Group:
    """The whole scenario's form, its values the scenario's."""
    return _group(type(scenario), scenario, "", "Scenario", "")


def _group(model: type[BaseModel], value: BaseModel, path: str, title: str, doc: str) -> Group:
    group = Group(path, title, doc)
    for name, info in type(value).model_fields.items():
        if name == "extends":
            continue
        _add(group, name, info, getattr(value, name), _join(path, name))
    return group


def _add(group: Group, name: str, info: FieldInfo, value: Any, path: str) -> None:
    doc = " ".join((info.description or "").split())
    annotation, optional = _unwrap(info.annotation)
    models = _model_of(annotation)
    if isinstance(value, BaseModel):
        group.groups.append(_group(type(value), value, path, _label(name), doc))
    elif models is not None and value is None:
        group.notes.append(f"{path}: not set ({doc})")
    elif get_origin(annotation) is list and _model_of(get_args(annotation)[0]):
        _add_items(group, name, doc, value, path)
    elif get_origin(annotation) is dict:
        _add_table(group, name, doc, inner=get_args(annotation)[1], value=value, path=path)
    else:
        scalar = _field(name, path, doc, annotation=annotation, info=info, value=value)
        if scalar is None:
            group.notes.append(f"{path}: edit it in the file")
        else:
            group.fields.append(scalar if not optional else _optional(scalar))


def _add_items(group: Group, name: str, doc: str, items: list[BaseModel], path: str) -> None:
    if len(items) > MOST_ITEMS:
        group.notes.append(f"{path}: {len(items)} tables, edit them in the file")
        return
    inner = Group(path, _label(name), doc)
    for i, item in enumerate(items):
        title = str(getattr(item, "name", None) or getattr(item, "id", None) or i)
        inner.groups.append(_group(type(item), item, f"{path}.{i}", title, ""))
    group.groups.append(inner)


def _add_table(
    group: Group, name: str, doc: str, *, inner: Any, value: dict[Any, Any], path: str
) -> None:
    """A table keyed by names (channel weights, transition rows): one input per key given."""
    inner, _ = _unwrap(inner)
    if get_origin(inner) is dict:
        rows = Group(path, _label(name), doc)
        for key, row in value.items():
            _add_table(
                rows, str(key), doc, inner=get_args(inner)[1], value=row, path=f"{path}.{_key(key)}"
            )
        if not value:
            rows.notes.append(f"{path}: none given (edit it in the file)")
        group.groups.append(rows)
        return
    table = Group(path, _label(name), doc)
    for key, cell in value.items():
        made = _field(
            _key(key), f"{path}.{_key(key)}", doc, annotation=inner, info=None, value=cell
        )
        if made is not None:
            table.fields.append(made)
    if not value:
        table.notes.append(f"{path}: none given (edit it in the file)")
    group.groups.append(table)


def _field(
    name: str, path: str, doc: str, *, annotation: Any, info: FieldInfo | None, value: Any
) -> Field | None:
    base, metadata = _annotated(annotation)
    bounds = _bounds([*metadata, *(info.metadata if info is not None else [])])
    default = _default(info)
    unit = _unit(name, bounds)
    common = {"path": path, "label": _label(name), "doc": doc, "default": default}
    kind: Kind
    choices: tuple[str, ...] = ()
    if get_origin(base) is Literal:
        kind, choices = "choice", tuple(str(a) for a in get_args(base))
    elif isinstance(base, type) and issubclass(base, enum.Enum):
        kind, choices = "choice", tuple(str(m.value) for m in base)
        value = value.value if isinstance(value, enum.Enum) else value
    elif base is bool:
        kind = "boolean"
    elif base is int:
        kind = "integer"
    elif base is float:
        kind = "number"
    elif base is str:
        kind = "text"
    elif get_origin(base) is list:
        item, _ = _annotated(get_args(base)[0])
        kind = "numbers" if item in (int, float) else "texts"
        value = [v.value if isinstance(v, enum.Enum) else v for v in value]
    else:
        return None
    if kind == "text":
        bounds = bounds.replace("at least 1 values", "not empty")
    return Field(**common, kind=kind, value=value, unit=unit, bounds=bounds, choices=choices)


def _optional(made: Field) -> Field:
    return Field(
        path=made.path, label=made.label, doc=made.doc, kind=made.kind, value=made.value,
        default=made.default, unit=made.unit, bounds=made.bounds, choices=made.choices,
        optional=True,
    )  # fmt: skip


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether it had it."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _annotated(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, ...]`` -> (T, its metadata), nested ones flattened."""
    metadata: list[Any] = []
    while hasattr(annotation, "__metadata__"):
        metadata += list(annotation.__metadata__)
        annotation = annotation.__origin__
    return annotation, metadata


def _model_of(annotation: Any) -> type[BaseModel] | None:
    base, _ = _annotated(annotation)
    return base if isinstance(base, type) and issubclass(base, BaseModel) else None


def _bounds(metadata: list[Any]) -> str:
    parts = []
    for item in metadata:
        for kind, (sign, attr) in _BOUNDS.items():
            if isinstance(item, kind):
                parts.append(f"{sign} {getattr(item, attr)}")
        if isinstance(item, at.MinLen):
            parts.append(f"at least {item.min_length} values")
        if isinstance(item, at.MaxLen):
            parts.append(f"at most {item.max_length} values")
        if isinstance(item, FieldInfo):
            parts.append(_bounds(item.metadata))
    return ", ".join(p for p in parts if p)


def _default(info: FieldInfo | None) -> Any:
    if info is None:
        return None
    if info.default_factory is not None:
        made = info.default_factory()  # type: ignore[call-arg]
        return made if not isinstance(made, BaseModel) else None
    return None if info.default is PydanticUndefined else info.default


def _unit(name: str, bounds: str) -> str:
    if bounds == "≥ 0.0, ≤ 1.0":
        return "share (0 to 1)"
    return next((unit for pattern, unit in _UNITS if re.search(pattern, name)), "")


def _label(name: str) -> str:
    return name.replace("_", " ")


def _key(key: Any) -> str:
    return str(key.value if isinstance(key, enum.Enum) else key)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
