"""Policies by name: the built-in ones, and a user's own as ``package.module:Class``.

A scenario file names a policy (``kind = "sS"``); :func:`resolve` finds its class in the
registry of that policy family, or imports ``package.module:Class`` when the name has a colon.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from simulation.errors import InputError

_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")

REGISTRY: dict[str, dict[str, type[Any]]] = {}
"""Policy classes per family ("fulfilment", "allocation", "replenishment") and name."""


def register(family: str, name: str) -> Any:
    """Class decorator: register ``cls`` as policy ``name`` of ``family``."""

    def add(cls: type[Any]) -> type[Any]:
        REGISTRY.setdefault(family, {})[name] = cls
        return cls

    return add


def is_import_path(name: str) -> bool:
    """True for ``package.module:Class`` names."""
    return bool(_DOTTED.match(name))


def resolve(family: str, name: str, *, field: str = "kind") -> type[Any]:
    """The policy class ``name`` of ``family``, or an :class:`InputError` naming ``field``."""
    known = REGISTRY.get(family, {})
    if name in known:
        return known[name]
    if ":" not in name:
        raise InputError(field, f"one of {sorted(known)} or 'package.module:Class'", name)
    if not is_import_path(name):
        raise InputError(field, "'package.module:Class'", name)
    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise InputError(field, f"an importable module ({e})", name) from e
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise InputError(field, f"a class {class_name} in {module_name}", name)
    return cls
