"""A scenario being edited on the page: a base file and the fields changed on top of it.

Every change is checked as ``omnicanal run BASE --set path=value`` checks it (the same models,
the same :class:`~simulation.errors.InputError`), and a draft is saved as a small TOML file
that ``extends`` its base and holds only what changed, which ``omnicanal run`` reads as it is.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from simulation.errors import InputError, OmnicanalError
from simulation.scenario import Scenario, load_scenario
from simulation.scenario.library import scenario_file
from simulation.studio import tomlfile

_OWN = ("name", "description", "extends")
"""Fields a saved file sets for itself rather than inherits."""


def dotted(field_path: str) -> str:
    """An error's field path as the page names its fields: ``segments[0].share`` ->
    ``segments.0.share``."""
    return re.sub(r"\[(\d+|\*)\]", r".\1", field_path)


def message(error: InputError) -> str:
    """The CLI's words for a bad value, without the file name the page does not have."""
    return f"{error.field}: expected {error.expected}, got {error.given!r}"


@dataclass
class Draft:
    """The base scenario (a file or a shipped name) and the changes made on the page."""

    base: str
    changes: dict[str, Any] = field(default_factory=dict)
    _base: Scenario | None = field(default=None, repr=False)

    @property
    def base_file(self) -> Path:
        return scenario_file(self.base).resolve()

    def base_scenario(self) -> Scenario:
        if self._base is None:
            self._base = load_scenario(self.base)
        return self._base

    def scenario(self) -> Scenario:
        """The base with every change, validated; raises :class:`InputError` naming a field."""
        base = self.base_scenario()
        return base.with_overrides(self.changes, source="the page") if self.changes else base

    def set(self, path: str, value: Any) -> InputError | None:
        """Change one field (or undo it: the base's value); the draft's error, if any."""
        if _value_at(self.base_scenario().model_dump(mode="json"), path) == value:
            self.changes.pop(path, None)
        else:
            self.changes[path] = value
        return self.error()

    def error(self) -> InputError | None:
        try:
            self.scenario()
        except InputError as e:
            return e
        return None

    def changed(self) -> dict[str, Any]:
        """What differs from the base, as a file extending it must write it: tables merge key
        by key, arrays are replaced whole, a policy of another kind replaces its table."""
        new = self.scenario().model_dump(mode="json")
        old = self.base_scenario().model_dump(mode="json")
        changed = _difference(
            {k: v for k, v in old.items() if k not in _OWN},
            {k: v for k, v in new.items() if k not in _OWN},
        )
        return _without_defaults(changed, Scenario)

    def toml(self, target: Path, *, description: str = "") -> str:
        """The text of a file at ``target`` that extends the base with this draft's changes."""
        head: dict[str, Any] = {"extends": _reference(self.base_file, target.resolve().parent)}
        if "name" in self.changes:
            head["name"] = self.changes["name"]
        if description or "description" in self.changes:
            head["description"] = description or self.changes["description"]
        made = (
            "# Saved by omnicanal studio: only what differs from the scenario it extends.\n"
            "# An array of tables ([[network.locations]], [[segments]]) replaces the inherited\n"
            "# one, so it is written whole; fields at their defaults are left out.\n"
        )
        return made + tomlfile.dumps(head | self.changed())

    def save(self, target: Path, *, description: str = "") -> Path:
        """Write the file, then read it back: it must load as this very draft."""
        if not target.name.endswith(".toml"):
            raise InputError("file", "a file name ending in .toml", str(target))
        text = self.toml(target, description=description)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        saved = load_scenario(target).model_dump(mode="json")
        wanted = self.scenario().model_dump(mode="json")
        if {k: v for k, v in saved.items() if k not in _OWN} != {
            k: v for k, v in wanted.items() if k not in _OWN
        }:
            raise OmnicanalError(f"{target}: the saved file does not read back as the draft")
        return target


def _difference(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if value == before:
            continue
        if isinstance(value, dict) and isinstance(before, dict):
            same_kind = value.get("kind") == before.get("kind")
            out[key] = _difference(before, value) if same_kind else value
        else:
            out[key] = value
    return out


def _without_defaults(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """``data`` with the items of its arrays of tables (written whole: an array replaces the
    inherited one) stripped of the fields that equal their model's default."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        info = model.model_fields.get(key)
        inner = _model_in(info.annotation) if info is not None else None
        if inner is not None and isinstance(value, dict):
            out[key] = _without_defaults(value, inner)
        elif inner is not None and isinstance(value, list):
            out[key] = [_item(v, inner) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def _item(item: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    kept = {}
    for key, value in item.items():
        info = model.model_fields.get(key)
        if info is not None and not info.is_required() and _dumped(info) == value:
            continue
        kept[key] = value
    return kept


def _dumped(info: FieldInfo) -> Any:
    default = info.get_default(call_default_factory=True)
    return TypeAdapter(Any).dump_python(default, mode="json")


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation holds (``Network``, ``list[Segment]``, ``Generate | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = [m for arg in get_args(annotation) if (m := _model_in(arg)) is not None]
    return found[0] if found else None


def _reference(file: Path, folder: Path) -> str:
    """``file`` as ``extends`` names it from ``folder``: relative when they share more than
    the root, absolute otherwise."""
    if os.path.commonpath([file, folder]) == file.anchor:
        return file.as_posix()
    return Path(os.path.relpath(file, folder)).as_posix()


def _value_at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data
