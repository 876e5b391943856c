"""Writing a scenario's tables as TOML (the standard library reads TOML but never writes it).

Scalars first, then tables (``[a.b]``) and arrays of tables (``[[a.b]]``), so that the file
reads like the shipped ones; :func:`tomllib.loads` of the text gives back the same data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def dumps(data: Mapping[str, Any]) -> str:
    """``data`` as a TOML document; raises ValueError for a value TOML cannot hold."""
    return "\n".join(_table(data, ())).strip() + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


def _table(data: Mapping[str, Any], path: tuple[str, ...]) -> list[str]:
    lines = [f"{_key(k)} = {_value(v, (*path, k))}" for k, v in data.items() if _inline(v)]
    for key, value in data.items():
        inner = (*path, key)
        if _is_table(value):
            # a table holding only tables needs no header of its own
            head = ["", f"[{_dotted(inner)}]"] if any(map(_inline, value.values())) else []
            lines += [*head, *_table(value, inner)]
        elif _is_tables(value):
            for item in value:
                lines += ["", f"[[{_dotted(inner)}]]", *_table(item, inner)]
    return lines


def _inline(value: Any) -> bool:
    return value is not None and not _is_table(value) and not _is_tables(value)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(p) for p in path)


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    """A basic string: quotes, backslashes and control characters escaped."""
    escaped = (
        f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c
        for c in text.replace("\\", "\\\\").replace('"', '\\"')
    )
    return '"' + "".join(escaped) + '"'


def _value(value: Any, path: tuple[str, ...]) -> str:
    match value:
        case bool():
            return "true" if value else "false"
        case int():
            return str(value)
        case float() if math.isfinite(value):
            return repr(value)
        case str():
            return _string(value)
        case list():
            return "[" + ", ".join(_value(v, path) for v in value) + "]"
        case Mapping():
            inner = ", ".join(f"{_key(k)} = {_value(v, path)}" for k, v in value.items())
            return "{" + (f" {inner} " if inner else "") + "}"
    raise ValueError(f"{_dotted(path)}: expected a value TOML can hold, got {value!r}")
