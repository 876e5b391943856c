"""Pure deciders for the omnichannel backend: no SimPy, no I/O, no clock, no randomness.

Each aggregate has ``decide(command, state) -> list[Event]`` and ``evolve(state, event) ->
state``: stock per (location, sku) in :mod:`.stock`, carts in :mod:`.carts`, orders and their
fulfilment legs in :mod:`.orders`, click & collect holds in :mod:`.holds`, returns in
:mod:`.returns`. :class:`Backend` routes commands and events to them; :func:`fold` folds a log.
"""

from __future__ import annotations

from simulation.domain.backend import Backend, fold
from simulation.domain.errors import DomainError, MalformedCommand
from simulation.domain.events import EVENT_TYPES, SCHEMA_VERSION, Event

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "Backend",
    "DomainError",
    "Event",
    "MalformedCommand",
    "fold",
]
