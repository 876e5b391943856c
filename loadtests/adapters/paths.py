"""Paths into a JSON answer: where a capture, a classification rule or a state row reads.

``data.cart.id``; ``items.0.qty`` or ``items[0].qty``; ``items[-1]``; ``["hydra:member"]`` (a
key with dots or brackets); ``lines[sku=${sku}].url`` (the first item of a list whose field
equals the value, compared as text; the value is a template); ``products[*].variants[*]``
(every item, for rows); and, in a row's fields, ``^.sku`` / ``^^.id`` (a field of the item
the previous ``[*]`` selected, or the one before). Parsed once at load.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from loadtests.adapters.template import Template, TemplateError, Values, compile_template

NOTHING: Any = type("Nothing", (), {"__repr__": lambda self: "NOTHING"})()
"""What a path finds when nothing is there (a missing key, a null, no matching item)."""


@dataclass(frozen=True, slots=True)
class Select:
    """``[field=value]``: the first item whose ``field`` (a path) renders as ``value``."""

    field: Path
    value: Template


Segment = str | int | Select | None
"""A key, an index, a selection, or None for ``[*]`` (every item)."""


@dataclass(frozen=True, slots=True)
class Path:
    source: str
    segments: tuple[Segment, ...]
    up: int = 0
    """How many ``^`` it starts with: it reads the row's parent (1), grandparent (2)."""

    @property
    def names(self) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for s in self.segments:
            if isinstance(s, Select):
                found |= s.value.names | s.field.names
        return found

    @property
    def wildcards(self) -> int:
        return sum(1 for s in self.segments if s is None)

    def get(self, body: Any, values: Values | None = None) -> Any:
        """The value at this path, or NOTHING (a wildcard takes the first item)."""
        for found, _ in self.rows(body, values or {}):
            return found
        return NOTHING

    def rows(self, body: Any, values: Values) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        """Every value the path reaches, each with the items its wildcards selected."""
        yield from _walk(body, self.segments, values, ())


def _walk(
    node: Any, segments: tuple[Segment, ...], values: Values, chosen: tuple[Any, ...]
) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    for i, segment in enumerate(segments):
        if segment is None:
            if isinstance(node, list):
                for item in node:
                    yield from _walk(item, segments[i + 1 :], values, (*chosen, item))
            return
        node = _step(node, segment, values)
        if node is NOTHING:
            return
    if node is not None:
        yield node, chosen


def _step(node: Any, segment: Segment, values: Values) -> Any:
    if isinstance(segment, str):
        if isinstance(node, Mapping):
            got = node.get(segment)
            return NOTHING if got is None else got
        if isinstance(node, list) and _is_index(segment):
            segment = int(segment)
        else:
            return NOTHING
    if isinstance(segment, int):
        if isinstance(node, list) and -len(node) <= segment < len(node):
            got = node[segment]
            return NOTHING if got is None else got
        return NOTHING
    if isinstance(segment, Select) and isinstance(node, list):
        wanted = str(segment.value.render(values))
        for item in node:
            got = segment.field.get(item, values)
            if got is not NOTHING and _text(got) == wanted:
                return item
    return NOTHING


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_index(text: str) -> bool:
    return text.lstrip("-").isdigit()


def parse_path(source: str) -> Path:
    """Parse a path; raises :class:`TemplateError` naming what is wrong."""
    text, up = source.strip(), 0
    while text.startswith("^"):
        up += 1
        text = text[1:]
    text = text.removeprefix(".")
    segments: list[Segment] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == ".":
            i += 1
            if i >= len(text) or text[i] in ".":
                raise TemplateError(f"path {source!r}: an empty part at {i}")
        elif c == "[":
            end = _bracket_end(text, i, source)
            segments.append(_bracket(text[i + 1 : end], source))
            i = end + 1
        else:
            j = i
            while j < len(text) and text[j] not in ".[":
                j += 1
            part = text[i:j]
            segments.append(None if part == "*" else int(part) if _is_index(part) else part)
            i = j
    if not segments and not up:
        raise TemplateError(f"path {source!r}: empty")
    return Path(source, tuple(segments), up)


def _bracket_end(text: str, start: int, source: str) -> int:
    depth, quote_char = 0, ""
    for j in range(start + 1, len(text)):
        c = text[j]
        if quote_char:
            quote_char = "" if c == quote_char else quote_char
        elif c in "'\"":
            quote_char = c
        elif c in "[{":
            depth += 1
        elif c in "}" or (c == "]" and depth > 0):
            depth -= 1
        elif c == "]":
            return j
    raise TemplateError(f"path {source!r}: '[' at {start} is never closed")


def _bracket(inner: str, source: str) -> Segment:
    inner = inner.strip()
    if inner == "*":
        return None
    if _is_index(inner):
        return int(inner)
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        return inner[1:-1]
    field, sep, value = inner.partition("=")
    if not sep or not field.strip():
        raise TemplateError(f'path {source!r}: [{inner}] is not [n], [*], ["key"] or [field=value]')
    return Select(parse_path(field.strip()), compile_template(value.strip()))
