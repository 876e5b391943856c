"""Where a key is in a TOML file: :mod:`tomllib` gives values, not lines, so the text is scanned.

Table headers (``[steps.pay]``, ``[[steps.pay.requests]]``, counted per array) and ``key =``
lines are indexed by their key path; a key inside an inline table or a multi-line value is
found at the line of the nearest key path above it that is indexed (its table or its key).
"""

from __future__ import annotations

import re

Key = tuple[str | int, ...]
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key_parts(text: str) -> list[str] | None:
    """A dotted TOML key (bare or quoted parts), or None when ``text`` is not one."""
    parts, i = [], 0
    text = text.strip()
    while i < len(text):
        if text[i] in "\"'":
            end = text.find(text[i], i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            m = _BARE.match(text, i)
            if not m:
                return None
            parts.append(m.group())
            i = m.end()
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text):
            if text[i] != ".":
                return None
            i += 1
            while i < len(text) and text[i] == " ":
                i += 1
    return parts or None


def _balance(text: str) -> int:
    """Open brackets left on a line (strings and comments skipped)."""
    depth, quote_char, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if quote_char:
            if c == "\\" and quote_char == '"':
                i += 1
            elif c == quote_char:
                quote_char = ""
        elif c in "\"'":
            quote_char = c
        elif c == "#":
            break
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth


def index_lines(text: str) -> dict[Key, int]:
    """Every table header's and key's path, with its line (1-based)."""
    found: dict[Key, int] = {}
    arrays: dict[Key, int] = {}
    table: Key = ()
    depth, in_string = 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_string:
            in_string = stripped.count('"""') % 2 == 0
            continue
        if depth > 0:
            depth += _balance(line)
            continue
        if stripped.startswith("[[") and stripped.endswith("]]"):
            parts = _key_parts(stripped[2:-2])
            if parts:
                base = tuple(parts)
                arrays[base] = arrays.get(base, -1) + 1
                table = (*base, arrays[base])
                found.setdefault(base, number)
                found[table] = number
            continue
        if stripped.startswith("[") and "]" in stripped:
            parts = _key_parts(stripped[1 : stripped.index("]")])
            if parts:
                table = tuple(parts)
                found.setdefault(table, number)
            continue
        key, sep, value = line.partition("=")
        parts = _key_parts(key) if sep else None
        if parts:
            found.setdefault((*table, *parts), number)
            if value.count('"""') % 2 == 1 or value.count("'''") % 2 == 1:
                in_string = True
            depth = max(0, _balance(value))
    return found


def line_of(index: dict[Key, int], key: Key) -> int | None:
    """The line of ``key``, or of the nearest enclosing key or table that is indexed."""
    for end in range(len(key), 0, -1):
        if key[:end] in index:
            return index[key[:end]]
    return None


def dotted(key: Key) -> str:
    """``steps.pay.requests[1].path`` for ("steps", "pay", "requests", 1, "path")."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + (part if _BARE.fullmatch(part) else f'"{part}"')
    return out
