"""Frozen records that are quick to build: the domain's events, commands and aggregate states.

Every fact and state in the domain is an immutable, slotted dataclass. A frozen dataclass
sets each field in ``__init__`` through ``object.__setattr__`` (its own ``__setattr__``
refuses), and :func:`dataclasses.replace` walks the fields' metadata on every call; on the
engine's hot path, building records was the largest single cost left (issue #9). :func:`fast`
gives such a class an ``__init__`` generated for its fields that stores each value through
the slot's own descriptor, which is what ``object.__setattr__`` ends up doing, with the same
signature, defaults and ``__post_init__``; :func:`replace` copies a record with some fields
changed by a function generated per class, which :func:`replacer` hands out for hot code to
call directly. The classes stay frozen: assigning a field after construction still raises
:class:`dataclasses.FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
R = TypeVar("R", bound=type)


class _Factory:
    """The default of a field made by a factory, as ``dataclasses`` shows it in a signature."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
_KEEP: Any = object()  # "this field is not changed": a default no caller passes
_REPLACERS: dict[type, Callable[..., Any]] = {}


def define(name: str, source: str, scope: dict[str, Any]) -> Any:
    """The function ``name`` that ``source`` defines, run with ``scope`` as its globals.

    For code this project writes out from field or column names (``__init__``s, ``replace``s,
    command checks, the log's put functions). The function is taken out of ``scope``: left in
    its own globals it would be a reference cycle, kept (with whatever the scope holds, such as a
    flushed log segment's buffers) until the cyclic collector runs, which is paused during a run.
    """
    exec(source, scope)  # the source is made from field or column names only
    return scope.pop(name)


def fast(cls: R) -> R:
    """Give the frozen, slotted dataclass ``cls`` a quicker ``__init__`` (same signature)."""
    params = dataclasses.fields(cls)
    if not getattr(cls, "__slots__", None) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: fast() is for frozen, slotted dataclasses")
    if any(not f.init for f in params):
        raise TypeError(f"{cls.__name__}: fast() needs every field in __init__")
    env: dict[str, Any] = {}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for f in params:
        setter = f"_set_{f.name}"
        env[setter] = getattr(cls, f.name).__set__  # the slot's member descriptor
        if f.default is not dataclasses.MISSING:
            env[f"_default_{f.name}"] = f.default
            param = f"{f.name}=_default_{f.name}"
            body.append(f"    {setter}(self, {f.name})")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            param = f"{f.name}=_FACTORY"
            body.append(
                f"    {setter}(self, _factory_{f.name}() if {f.name} is _FACTORY else {f.name})"
            )
        else:
            param = f.name
            body.append(f"    {setter}(self, {f.name})")
        (keyword if f.kw_only else positional).append(param)
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    env["_FACTORY"] = _FACTORY
    source = (
        f"def __make({', '.join(env)}):\n"
        f"  def __init__({signature}) -> None:\n"
        + "\n".join("  " + line for line in body or ["    pass"])
        + "\n  return __init__\n"
    )
    init = define("__make", source, {})(**env)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    generated = cls.__dict__["__init__"]
    init.__annotations__ = dict(generated.__annotations__)
    init.__doc__ = generated.__doc__
    type.__setattr__(cls, "__init__", init)
    _REPLACERS[cls] = _replacer(cls, params)
    return cls


@dataclass_transform(frozen_default=True, kw_only_default=True)
def record(cls: R) -> R:
    """A frozen, slotted, keyword-only dataclass with a quick ``__init__`` (see :func:`fast`)."""
    made: type = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)
    return fast(typing.cast(R, made))


def _replacer(cls: type, params: tuple[dataclasses.Field[Any], ...]) -> Callable[..., Any]:
    # Keyword parameters, one per field, defaulting to a marker for "keep": a direct call
    # passes its changes without building a dict, and reads each field once.
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_KEEP": _KEEP}
    keywords: list[str] = []
    lines: list[str] = []
    for f in params:
        env[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        keywords.append(f"{f.name}=_KEEP")
        lines.append(
            f"    _set_{f.name}(__copy, __record.{f.name} if {f.name} is _KEEP else {f.name})"
        )
    if hasattr(cls, "__post_init__"):
        lines.append("    __copy.__post_init__()")
    source = (
        f"def __make({', '.join(env)}):\n"
        f"  def replace(__record, /, *, {', '.join([*keywords, '**__unknown'])}):\n"
        "    if __unknown:\n"
        f"      raise TypeError(f'{cls.__name__} has no fields {{sorted(__unknown)}}')\n"
        "    __copy = _new(_cls)\n" + "\n".join(lines) + "\n    return __copy\n"
        "  return replace\n"
    )
    made: Callable[..., Any] = define("__make", source, {})(**env)
    made.__qualname__ = f"replacer({cls.__qualname__})"
    return made


def replace(obj: T, /, **changes: Any) -> T:
    """``obj`` with the named fields changed, as :func:`dataclasses.replace` (quicker for a
    class made by :func:`fast`; any other dataclass goes to :func:`dataclasses.replace`)."""
    made = _REPLACERS.get(type(obj))
    if made is None:
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    result: T = made(obj, **changes)
    return result


def replacer(cls: type[T]) -> Callable[..., T]:
    """:func:`replace` for the objects of exactly ``cls``, a class made by :func:`fast`.

    ``replacer(C)(obj, x=1)`` is ``replace(obj, x=1)`` without looking up ``obj``'s class and
    without collecting the changes in a dict: for the evolvers on the engine's hot path. The
    copy is of class ``cls`` whatever ``obj``'s class, so give it no instance of a subclass.
    Raises :class:`TypeError` for a class :func:`fast` did not make.
    """
    made = _REPLACERS.get(cls)
    if made is None:
        raise TypeError(f"{cls.__name__}: replacer() is for classes made by fast()")
    return made


Line = TypeVar("Line")


def shared_lines(
    cls: Callable[..., Line], limit: int = 65_536
) -> Callable[[str, int, float], tuple[Line]]:
    """``one(sku, qty, unit_price)``: the one-line tuple ``(cls(sku=sku, qty=qty,
    unit_price=unit_price),)``, the same tuple object each time for the same three values.

    Cart and order lines are immutable and few are distinct (a catalogue's skus, small
    quantities, their prices), but every cart and order a run has ever seen keeps its own: at
    200,000 customers they were 22 MB of the backend's about 60 MB. Sharing them is safe
    because a record never changes. Only an exact ``int`` quantity and ``float`` price are
    shared, so that a line keeps the types it was given (``1 == 1.0`` would otherwise hand back
    the other's); the table is emptied when it reaches ``limit`` entries, so a long-lived
    server's stays bounded.
    """
    table: dict[tuple[str, int, float], tuple[Line]] = {}

    def one(sku: str, qty: int, unit_price: float) -> tuple[Line]:
        if qty.__class__ is not int or unit_price.__class__ is not float:
            return (cls(sku=sku, qty=qty, unit_price=unit_price),)
        found = table.get((sku, qty, unit_price))
        if found is None:
            if len(table) >= limit:
                table.clear()
            found = table[sku, qty, unit_price] = (cls(sku=sku, qty=qty, unit_price=unit_price),)
        return found

    return one
