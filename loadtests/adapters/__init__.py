"""Adapters: the only place that knows a target API's URLs and payloads."""

from __future__ import annotations

import importlib
from pathlib import Path

from loadtests.adapters.base import (
    Adapter,
    Answer,
    Classified,
    Ids,
    JourneyState,
    ReplayRefused,
    Request,
    TargetState,
)
from loadtests.adapters.mapping import MappingAdapter
from loadtests.adapters.reference import ReferenceAdapter
from simulation.errors import InputError

__all__ = [
    "Adapter",
    "Answer",
    "Classified",
    "Ids",
    "JourneyState",
    "MappingAdapter",
    "ReferenceAdapter",
    "ReplayRefused",
    "Request",
    "TargetState",
    "load_adapter",
]


def load_adapter(spec: str | None, token: str | None = None, target: str | None = None) -> Adapter:
    """The adapter ``--adapter`` names: none (the reference API), a TOML mapping file, or a
    Python class as ``package.module:Class`` (constructed with ``token=``); ``target`` is
    the base URL it will talk to (captured URLs must be on its host)."""
    adapter = _adapter(spec, token)
    adapter.target = target
    return adapter


def _adapter(spec: str | None, token: str | None) -> Adapter:
    if spec is None or spec == "reference":
        return ReferenceAdapter(token)
    if spec.endswith(".toml"):
        return MappingAdapter.load(Path(spec), token)
    module_name, _, class_name = spec.partition(":")
    if not class_name:
        raise InputError(
            "--adapter", "'reference', a .toml mapping file or package.module:Class", spec
        )
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise InputError(
            "--adapter", "an importable package.module:Class", f"{spec} ({error})"
        ) from None
    if not (isinstance(found, type) and issubclass(found, Adapter)):
        raise InputError("--adapter", "a subclass of loadtests.adapters.Adapter", spec)
    adapter: Adapter = found(token=token)
    return adapter
