"""Reading scenario files: TOML, ``extends``, validation, and errors that say where.

A scenario may ``extends = "other.toml"`` and override only what differs: tables merge key by
key, arrays are replaced, and a policy table with another ``kind`` replaces the inherited one.
Every mistake becomes one :class:`~simulation.errors.InputError` naming the file, the line
where it can be found, the dotted field path, what was expected and what was given.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import InputError
from simulation.scenario.library import scenario_file
from simulation.scenario.model import Scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``), validate: a :class:`Scenario`, or an :class:`InputError`.

    ``path`` is a scenario file, or the name of a shipped scenario (``"baseline"``).
    """
    file = scenario_file(path)
    data, text = _read_merged(file, ())
    data.setdefault("name", file.stem)
    return scenario_from_dict(data, source=str(file), text=text)


def scenario_from_dict(data: dict[str, Any], *, source: str = "<dict>", text: str = "") -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _input_error(e, source, text) from None
    scenario._source, scenario._text = source, text
    return scenario


def _read_merged(file: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], str]:
    resolved = file.resolve()
    if resolved in seen:
        chain = " -> ".join(p.name for p in (*seen, resolved))
        raise InputError("extends", "no cycle of extends", chain, where=str(file))
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError("file", "a readable scenario file", str(file), where=str(file)) from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        where = f"{file}:{line.group(1)}" if line else str(file)
        raise InputError("toml", "valid TOML", str(e), where=where) from None
    parent = data.get("extends")
    if parent is None:
        return data, text
    if not isinstance(parent, str):
        raise InputError("extends", "a path to another scenario file", parent, where=str(file))
    base_file = file.parent / parent
    if not base_file.exists():
        raise InputError(
            "extends",
            "an existing scenario file",
            str(base_file),
            where=f"{file}:{_line_of(text, ['extends'])}",
        )
    base, _ = _read_merged(base_file, (*seen, resolved))
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, data), text


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        inherited = merged.get(key)
        # A policy of another kind takes other parameters: its table replaces the inherited one.
        if isinstance(value, dict) and isinstance(inherited, dict):
            kind = value.get("kind", inherited.get("kind"))
            merged[key] = value if kind != inherited.get("kind") else _merge(inherited, value)
        else:
            merged[key] = value
    return merged


def set_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    node: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise InputError(path, "a field path of the scenario", part, where=source)
    node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value


class _Shown(str):
    """A value already written as the message shows it (no second layer of quotes)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _input_error(error: ValidationError, source: str, text: str) -> InputError:
    first = error.errors()[0]
    first["loc"] = tuple(p for p in first["loc"] if p != "[key]")
    loc = [str(p) for p in first["loc"]]
    message = first["msg"].removeprefix("Value error, ")
    path = _dotted(first["loc"])
    inner = re.match(r"^([\w.\[\]*]+): expected (.*?)(?:, got (.*))?$", message)
    if inner:
        path = (
            f"{path}.{inner.group(1)}"
            if path and not inner.group(1).startswith(path)
            else inner.group(1)
        )
        given = _Shown(inner.group(3)) if inner.group(3) is not None else first.get("input")
        parts = path.replace("[", ".").replace("]", "").split(".")
        return InputError(path, inner.group(2), given, where=_where(source, text, parts))
    line = _line_of(text, loc) if text else None
    where = f"{source}:{line}" if line else source
    given = first.get("input")
    if first["type"] == "missing":
        return InputError(path, "a value (this field is required)", None, where=where)
    if first["type"] == "extra_forbidden":
        return InputError(path, "a known field (is it misspelt?)", given, where=where)
    expected = message.removeprefix("Input should be ")
    return InputError(path, expected[0].lower() + expected[1:], given, where=where)


def where_of(source: str, text: str, path: str) -> str:
    """``file:line`` of a dotted field path (just ``file`` when the line cannot be found)."""
    return _where(source, text, path.replace("[", ".").replace("]", "").split("."))


def _where(source: str, text: str, parts: list[str]) -> str:
    line = _line_of(text, parts) if text else None
    return f"{source}:{line}" if line else source


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(text: str, loc: list[str]) -> int | None:
    """Best effort: the line where the deepest key of ``loc`` is written, inside its table.

    ``loc`` is a pydantic location (``["network", "locations", "2", "pick_capacity"]``): the
    numbers pick the n-th ``[[network.locations]]``. Keys written inline
    (``channels = { web = 0.4 }``) are found by the nearest enclosing key.
    """
    keys = [p for p in loc if not p.isdigit()]
    index = next((int(p) for p in loc if p.isdigit()), None)
    seen: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    matches: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        header = re.match(r"^\[\[?\s*([\w.\-]+)\s*\]\]?$", line)
        if header:
            table = tuple(header.group(1).split("."))
            if line.startswith("[["):
                seen[table] = seen.get(table, -1) + 1
            continue
        inside = list(table) == keys[: len(table)]
        if table in seen and index is not None and seen[table] != index:
            inside = False
        key = re.match(r"^([\w\-]+)\s*=", line)
        if inside and key and key.group(1) in keys[len(table) :]:
            matches.setdefault(key.group(1), number)
    for name in reversed(keys):
        if name in matches:
            return matches[name]
    return None
