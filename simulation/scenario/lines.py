"""Where a field is written in a TOML text: the line of a field path, for error messages.

:mod:`tomllib` gives values without positions, so :func:`index` reads a text that has already
parsed once more and records the line of every table header, every key (dotted keys and the
keys of inline tables included) and every element of an array, under the path pydantic names
it by: ``("network", "locations", 3, "id")`` is the ``id`` key of the fourth
``[[network.locations]]``. :func:`line_of` gives the line of the deepest part of a path that
is written, so a missing key is placed at its table's header.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FieldPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SPACE = " \t"
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def parts(path: str) -> FieldPath:
    """``"network.locations[1].closes"`` -> ``("network", "locations", 1, "closes")``."""
    return tuple(int(m[1]) if m[1] else m[2] for m in _PART.finditer(path))


def index(text: str) -> dict[FieldPath, int]:
    """The line (from 1) where each path of ``text`` (valid TOML) is first written."""
    scanner = _Scanner(text)
    scanner.document()
    return scanner.found


def line_of(found: dict[FieldPath, int], path: Sequence[str | int]) -> tuple[int, int] | None:
    """``(line, how many parts of path matched)`` of the deepest written prefix of ``path``."""
    for n in range(len(path), 0, -1):
        line = found.get(tuple(path[:n]))
        if line is not None:
            return line, n
    return None


class _Scanner:
    """A reader of valid TOML that keeps positions and nothing else."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.found: dict[FieldPath, int] = {}
        self.arrays: dict[FieldPath, int] = {}  # array of tables -> index of its last element

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _skip(self, *, newlines: bool) -> None:
        """Spaces; with ``newlines``, also line ends and comments."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in _SPACE or (newlines and char in "\r\n"):
                self._advance()
            elif newlines and char == "#":
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def _note(self, path: FieldPath) -> None:
        self.found.setdefault(path, self.line)

    def document(self) -> None:
        table: FieldPath = ()
        while True:
            self._skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self._peek() == "[":
                table = self._header()
            else:
                self._pair(table)
            end = self.text.find("\n", self.pos)  # the rest of the line is a comment
            self._advance((len(self.text) if end < 0 else end) - self.pos)

    def _header(self) -> FieldPath:
        many = self._peek(2) == "[["
        self._advance(2 if many else 1)
        key = self._key()
        resolved: FieldPath = ()
        for i, part in enumerate(key):
            resolved += (part,)
            if many and i == len(key) - 1:
                at = self.arrays.get(resolved, -1) + 1
                self.arrays[resolved] = at
                self._note(resolved)
                resolved += (at,)
            elif resolved in self.arrays:
                resolved += (self.arrays[resolved],)
            self._note(resolved)
        return resolved

    def _pair(self, table: FieldPath) -> None:
        """``key = value``, in a table or an inline table: each part of a dotted key noted."""
        key = self._key()
        for n in range(1, len(key) + 1):
            self._note(table + key[:n])
        self._skip(newlines=False)
        self._advance()  # "="
        self._value(table + key)

    def _key(self) -> tuple[str, ...]:
        key: tuple[str, ...] = ()
        while self.pos < len(self.text):
            self._skip(newlines=False)
            if self._peek() in {'"', "'"}:
                key += (self._string(),)
            else:
                bare = _BARE.match(self.text, self.pos)
                if bare is None:
                    break
                key += (bare.group(),)
                self._advance(bare.end() - self.pos)
            self._skip(newlines=False)
            if self._peek() != ".":
                break
            self._advance()
        return key

    def _value(self, path: FieldPath) -> None:
        self._skip(newlines=False)
        char = self._peek()
        if char == "{":
            self._inline_table(path)
        elif char == "[":
            self._array(path)
        elif char in {'"', "'"}:
            self._string()
        else:
            scalar = re.compile(r"[^,\]}\n#]*").match(self.text, self.pos)
            self._advance(scalar.end() - self.pos if scalar else 1)

    def _inline_table(self, path: FieldPath) -> None:
        self._advance()
        while self.pos < len(self.text):
            self._skip(newlines=False)
            if self._peek() in {"}", ""}:
                break
            self._pair(path)
            self._skip(newlines=False)
            if self._peek() == ",":
                self._advance()
        self._advance()

    def _array(self, path: FieldPath) -> None:
        self._advance()
        i = 0
        while self.pos < len(self.text):
            self._skip(newlines=True)
            if self._peek() in {"]", ""}:
                break
            self._note((*path, i))
            self._value((*path, i))
            i += 1
            self._skip(newlines=True)
            if self._peek() == ",":
                self._advance()
        self._advance()

    def _string(self) -> str:
        """A string's text (escapes in basic strings kept as written); the position after it."""
        quote = self._peek()
        fence = quote * 3 if self._peek(3) == quote * 3 else quote
        self._advance(len(fence))
        start = self.pos
        while self.pos < len(self.text) and self._peek(len(fence)) != fence:
            self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
        text = self.text[start : self.pos]
        self._advance(len(fence))
        while fence != quote and self._peek() == quote:  # """a"""" ends with a quote inside
            text += quote
            self._advance()
        return text
