"""The one error hierarchy of the ``simulation`` package.

Every error a user can cause names the field (a dotted path, a column, or a line), what was
expected and what was given, and keeps those as attributes so callers can act on them.
"""

from __future__ import annotations


class OmnicanalError(Exception):
    """Base of every error omnicanal raises on purpose."""

    exit_code = 1


class InputError(OmnicanalError, ValueError):
    """Bad input: a scenario field, a command field, a log row. Exit code 2 on the CLI."""

    exit_code = 2

    def __init__(self, field: str, expected: str, given: object, *, where: str = "") -> None:
        self.field = field
        self.expected = expected
        self.given = given
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field}: expected {expected}, got {given!r}")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(field={self.field!r}, expected={self.expected!r}, "
            f"given={self.given!r}, where={self.where!r})"
        )


class LogFormatError(InputError):
    """An event log file or row that does not follow the log schema."""


class Shown(str):
    """A given value already written as a message shows it: no second layer of quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)
