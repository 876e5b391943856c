"""The reference API: the domain deciders behind HTTP, so load tests run out of the box.

Every write turns a JSON body into a domain command, decides it on the latest state of the
event store, appends its events and answers with them (:mod:`writes`); refusals are RFC 9457
problem details that carry the rule, the ids and the quantities (:mod:`problems`); writes and
admin reads need ``Authorization: Bearer <token>`` and accept an ``Idempotency-Key`` bound to
the request (:mod:`dependencies`); the state, its consistency across server processes and the
epochs a reset starts are :mod:`state`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI

from loadtests.reference_api import admin, reads, writes
from loadtests.reference_api.bodies import Receipt
from loadtests.reference_api.clock import Clock
from loadtests.reference_api.problems import RESPONSES, add_problem_handlers
from loadtests.reference_api.screen import Screen
from loadtests.reference_api.state import ServerState
from loadtests.reference_api.store import EventStore, MemoryStore
from simulation.domain.backend import Backend

__all__ = ["Receipt", "create_app"]


def create_app(
    token: str | None = None,
    *,
    initial: Sequence[Receipt] = (),
    store: EventStore | None = None,
    catalogue: Sequence[Mapping[str, Any]] = (),
    locations: Sequence[Mapping[str, Any]] = (),
    backend: Callable[[], Backend] = Backend,
    clock: Clock | None = None,
) -> FastAPI:
    """The API over ``store`` (in memory by default), serving the scenario whose initial
    stock, catalogue and locations are given (ids outside them are refused when given).

    An empty store receives ``initial`` as its first epoch, in one transaction; a store that
    holds epochs is folded from its current one (a restart); a store without epochs, from an
    older version, is refused (:class:`LegacyStore`).
    """
    state = ServerState(
        store or MemoryStore(), token=token, screen=Screen(catalogue, locations),
        new_backend=backend, clock=clock,
    )  # fmt: skip
    state.open(initial)
    app = FastAPI(title="omnicanal reference API", version="0.2.0", responses=RESPONSES)
    app.state.omnicanal = state
    add_problem_handlers(app)
    for routes in (reads.router, writes.router, admin.router):
        app.include_router(routes)
    return app
