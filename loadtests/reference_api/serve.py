"""The reference API as an application factory, for ``uvicorn --workers N``.

Every worker process builds its own backend by folding the shared store (SQLite file or
PostgreSQL), so the settings come from the environment, which all workers inherit:
``OMNICANAL_API_TOKEN``, ``OMNICANAL_DB`` and ``OMNICANAL_SCENARIO``. Workers write to one
store and keep each other honest through its version check: a worker that is behind answers
409, catches up, and the client's retry succeeds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.store import EventStore, MemoryStore, SQLiteStore
from simulation.errors import InputError


def open_store(db: str) -> EventStore:
    """The store a ``--db`` value names: a SQLite path, sqlite:///PATH, postgresql://..., memory."""
    if db == "memory":
        return MemoryStore()
    if db.startswith(("postgresql://", "postgres://")):
        from loadtests.reference_api.store.postgres import PostgresStore

        userinfo = db.split("://", 1)[1].split("@", 1)[0] if "@" in db else ""
        if ":" in userinfo:
            # A password on the command line ends up in shell histories and process lists;
            # the message never repeats the DSN.
            raise InputError(
                "--db", "a DSN without a password (set PGPASSWORD)", "postgresql://..."
            )
        return PostgresStore(db)
    path = Path(db.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(path)


def scenario_listings(
    scenario: Path,
) -> tuple[list[Receipt], list[dict[str, Any]], list[dict[str, Any]]]:
    """Initial stock, catalogue and locations of a scenario file."""
    from simulation.engine.compile import plan_of
    from simulation.scenario import load_scenario

    plan = plan_of(load_scenario(scenario))
    initial = [
        Receipt(location=loc, sku=sku, qty=qty)
        for (loc, sku), qty in sorted(plan.initial.items())
        if qty > 0
    ]
    catalogue = [
        {"sku": sku, "price": float(p)} for sku, p in zip(plan.skus, plan.prices, strict=True)
    ]
    locations = [
        {"id": s.id, "kind": s.site.kind, "region": s.site.region, "x": s.site.x, "y": s.site.y}
        for s in plan.sites
    ]
    return initial, catalogue, locations


def app_from_env() -> FastAPI:
    """The API as ``omnicanal serve`` configured it, in a worker process."""
    initial, catalogue, locations = scenario_listings(Path(os.environ["OMNICANAL_SCENARIO"]))
    return create_app(
        token=os.environ["OMNICANAL_API_TOKEN"],
        initial=initial,
        store=open_store(os.environ["OMNICANAL_DB"]),
        catalogue=catalogue,
        locations=locations,
    )
