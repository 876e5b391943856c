"""Reading scenario files: TOML, ``extends``, validation, and errors that say where.

A scenario may ``extends = "other.toml"`` and override only what differs: tables merge key by
key, arrays are replaced, and a policy table with another ``kind`` replaces the inherited one.
Every mistake becomes one :class:`~simulation.errors.InputError` naming the file, the line
where it can be found (in the file itself or in the one it extends), the dotted field path,
what was expected and what was given: a file that cannot be read (missing, a directory, not
UTF-8, binary, empty), bad TOML, a value the models refuse, and a run too big for this machine
(:mod:`.estimate`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.errors import InputError, Shown
from simulation.scenario import lines
from simulation.scenario.estimate import check_size
from simulation.scenario.library import scenario_file
from simulation.scenario.model import Scenario

Source = tuple[str, str]
"""A file's name as messages show it, and its text."""


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``), validate: a :class:`Scenario`, or an :class:`InputError`.

    ``path`` is a scenario file, or the name of a shipped scenario (``"baseline"``).
    """
    file = scenario_file(path)
    data, sources = _read_merged(file, ())
    data.setdefault("name", file.stem)
    return scenario_from_dict(data, source=str(file), text=sources[0][1], parents=sources[1:])


def scenario_from_dict(
    data: dict[str, Any],
    *,
    source: str = "<dict>",
    text: str = "",
    parents: Sequence[Source] = (),
) -> Scenario:
    """Validate ``data`` (read from ``source``, whose ``text`` and extended ``parents`` place
    errors on their lines) and check that its run fits this machine."""
    sources = ((source, text), *parents)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise _input_error(e, sources) from None
    except RecursionError:
        raise InputError(
            "file", "values nested less deeply", Shown("too deep"), where=source
        ) from None
    scenario._sources = sources
    check_size(scenario)
    return scenario


def _read_merged(file: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], list[Source]]:
    text = _read_text(file)
    data = _parse(file, text)
    parent = data.get("extends")
    if parent is None:
        return data, [(str(file), text)]
    where = where_of(((str(file), text),), "extends")
    if not isinstance(parent, str):
        raise InputError("extends", "a path to another scenario file", parent, where=where)
    base_file = file.parent / parent
    chain = (*seen, file.resolve())
    if base_file.resolve() in chain:
        shown = " -> ".join(p.name for p in (*chain, base_file.resolve()))
        raise InputError("extends", "no cycle of extends", shown, where=where)
    if not base_file.is_file():
        raise InputError("extends", "an existing scenario file", str(base_file), where=where)
    base, sources = _read_merged(base_file, chain)
    base.pop("name", None)
    base.pop("description", None)
    return _merge(base, data), [(str(file), text), *sources]


def _read_text(file: Path) -> str:
    """The file's text, or one error saying why it is not a readable UTF-8 text file."""
    name = str(file)
    if file.is_dir():
        raise InputError("file", "a scenario file", Shown("a directory"), where=name)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError("file", "an existing scenario file", name, where=name) from None
    except OSError as e:
        raise InputError(
            "file", "a readable scenario file", Shown(e.strerror), where=name
        ) from None
    if raw[:2] in {b"\xff\xfe", b"\xfe\xff"}:
        given = Shown("UTF-16 text (save the file as UTF-8)")
        raise InputError("file", "UTF-8 text", given, where=f"{name}:1")
    if b"\0" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\0")) + 1
        raise InputError("file", "a text file (TOML)", Shown("binary data"), where=f"{name}:{line}")
    body = raw.removeprefix(b"\xef\xbb\xbf")  # the byte order mark some editors write
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        line = body.count(b"\n", 0, e.start) + 1
        given = Shown(f"byte 0x{body[e.start]:02x} (save the file as UTF-8)")
        raise InputError("file", "UTF-8 text", given, where=f"{name}:{line}") from None


def _parse(file: Path, text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        # "(at end of document)": the last line, where the unclosed value runs out
        number = line.group(1) if line else len(text.splitlines()) or 1
        raise InputError("toml", "valid TOML", str(e), where=f"{file}:{number}") from None
    except RecursionError:
        raise InputError(
            "toml", "TOML nested less deeply", Shown("too deep"), where=str(file)
        ) from None
    if not data:
        expected = "a scenario (horizon_days, [network], [catalogue], [[segments]], [arrivals])"
        raise InputError("file", expected, Shown("an empty file"), where=f"{file}:1")
    return data


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


def _input_error(error: ValidationError, sources: Sequence[Source]) -> InputError:
    first = error.errors()[0]
    loc = tuple(p for p in first["loc"] if p != "[key]")
    message = first["msg"].removeprefix("Value error, ")
    path = _dotted(loc)
    inner = re.match(r"^([\w.\[\]*]+): expected (.*?)(?:, got (.*))?$", message)
    if inner:
        path = (
            f"{path}.{inner.group(1)}"
            if path and not inner.group(1).startswith(path)
            else inner.group(1)
        )
        given = Shown(inner.group(3)) if inner.group(3) is not None else first.get("input")
        return InputError(path, inner.group(2), given, where=where_of(sources, path))
    where = where_of(sources, path)
    given = first.get("input")
    if first["type"] == "missing":
        return InputError(path, "a value (this field is required)", None, where=where)
    if first["type"] == "extra_forbidden":
        return InputError(path, "a known field (is it misspelt?)", given, where=where)
    expected = message.removeprefix("Input should be ")
    return InputError(path, expected[0].lower() + expected[1:], given, where=where)


def where_of(sources: Sequence[Source], path: str) -> str:
    """``file:line`` of a dotted field path: the file (of a scenario and those it extends)
    where most of the path is written; the first file alone when no part of it is."""
    best: tuple[int, str] | None = None
    wanted = lines.parts(path)
    for name, text in sources:
        found = lines.line_of(lines.index(text), wanted) if text else None
        if found is not None and (best is None or found[1] > best[0]):
            best = (found[1], f"{name}:{found[0]}")
    return best[1] if best else sources[0][0]


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
