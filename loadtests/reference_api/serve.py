"""``omnicanal serve``: the reference API over a store, started from a scenario.

With ``--workers N`` uvicorn runs N processes from :func:`app_from_env`, each folding the
shared store (SQLite file or PostgreSQL) into its own backend; their settings come from the
environment, which all workers inherit: ``OMNICANAL_API_TOKEN``, ``OMNICANAL_DB`` and
``OMNICANAL_SCENARIO``. The parent process initialises the store (or refuses it) before any
worker starts. A worker catches up with the store before it decides a write and before it
answers a read, and decides a write again when another worker wrote first, so N workers
answer as one server would (the consistency model is in :mod:`state`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from loadtests.reference_api.app import Receipt, create_app
from loadtests.reference_api.store import EventStore, MemoryStore, SQLiteStore
from simulation.errors import InputError

TOKEN_ENV = "OMNICANAL_API_TOKEN"
TOKEN_FILE_ENV = "OMNICANAL_API_TOKEN_FILE"


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


def read_token(token_file: Path | None) -> str:
    """The bearer token from ``token_file``, else the file ``$OMNICANAL_API_TOKEN_FILE``
    names, else ``$OMNICANAL_API_TOKEN``; never from the command line."""
    env_file = os.environ.get(TOKEN_FILE_ENV)
    path = token_file or (Path(env_file) if env_file else None)
    if path is not None:
        where = "--token-file" if token_file else TOKEN_FILE_ENV
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(where, "a readable file holding the token (UTF-8)", str(path)) from e
        if not token:
            raise InputError(where, "a file holding the token", f"{path} is empty")
        return token
    from_env = os.environ.get(TOKEN_ENV)
    if not from_env:
        expected = "a token in the environment or --token-file"
        expected += f" (or a file named by {TOKEN_FILE_ENV})"
        raise InputError(TOKEN_ENV, expected, None)
    return from_env


@dataclass(frozen=True, slots=True)
class Listings:
    """What the API takes from its scenario: initial stock, catalogue and locations."""

    initial: list[Receipt]
    catalogue: list[dict[str, Any]]
    locations: list[dict[str, Any]]


def scenario_listings(scenario: Path) -> Listings:
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
    return Listings(initial, catalogue, locations)


def app_for(token: str, store: EventStore, listings: Listings) -> FastAPI:
    return create_app(
        token=token, initial=listings.initial, store=store, catalogue=listings.catalogue,
        locations=listings.locations,
    )  # fmt: skip


def app_from_env() -> FastAPI:
    """The API as ``omnicanal serve`` configured it, in a worker process."""
    listings = scenario_listings(Path(os.environ["OMNICANAL_SCENARIO"]))
    return app_for(os.environ[TOKEN_ENV], open_store(os.environ["OMNICANAL_DB"]), listings)


def serve(
    scenario: Path,
    *,
    host: str,
    port: int,
    token_file: Path | None,
    db: str,
    workers: int,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve until stopped, once ``announce`` was told what, where and on which store."""
    import uvicorn

    token = read_token(token_file)
    if workers > 1 and db == "memory":
        raise InputError("--workers", "1 with --db memory (workers share a store)", workers)
    listings = scenario_listings(scenario)
    store = open_store(db)
    api = app_for(token, store, listings)  # initialises the store, or refuses it, once
    announce(
        f"serving {scenario} on http://{host}:{port} ({len(listings.initial)} stock lines, "
        f"store {db}, {workers} worker(s)); docs at /docs"
    )
    if workers == 1:
        uvicorn.run(api, host=host, port=port, log_level="warning")
        return
    store.close()  # each worker opens its own
    os.environ |= {"OMNICANAL_DB": db, "OMNICANAL_SCENARIO": str(scenario), TOKEN_ENV: token}
    uvicorn.run(
        "loadtests.reference_api.serve:app_from_env", factory=True, workers=workers,
        host=host, port=port, log_level="warning",
    )  # fmt: skip
