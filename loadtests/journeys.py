"""From a command log to journeys: each customer's ordered steps, and a schedule to replay them.

The simulation records every command its customers and its back office issued, in the order it
decided them, with what the domain answered (``commands.parquet``, see
:mod:`simulation.commandlog`). A journey is one customer's commands in that order, as steps:
each one a kind of the vocabulary (:mod:`simulation.domain.vocabulary`) at its simulated time,
with its payload and the simulation's outcome (``ok``, or the rule that refused it). The back
office's commands about a customer's cart or order (ship, deliver, hold, expire) are in that
customer's journey, marked ``actor="back_office"``; those about a location (receipts,
transfers, allocation) make the operations journey (customer :data:`OPERATIONS`). Notes
(arrive, leave, lose a sale) are never sent, and the run's initial stock is the replay's
preparation (:func:`initial_stock`), not a step.

Nothing here infers a command from an event. This module reads Arrow and pandas only: it
never imports SimPy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulation.commandlog import ACCEPTED
from simulation.domain.vocabulary import BY_NAME, READS, WRITES

__all__ = [
    "OPERATIONS",
    "READS",
    "SENT",
    "Journey",
    "Scheduled",
    "Step",
    "initial_stock",
    "journeys",
    "schedule",
    "shard",
]

OPERATIONS = -1
"""The customer id of the journey that holds a location's back-office steps."""

SENT = READS | WRITES
"""The kinds a replay sends: writes and reads (never notes)."""
INITIAL = "initial"
"""The ``reason`` of the receipts that make a run's starting stock."""


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a journey: its kind, its simulated time (minutes), and what it carries.

    ``command`` is the id of the command it replays (``commands.parquet``), so that all steps
    of a replication sort into the order the simulation decided them; ``expected`` is what the
    simulation's domain answered (``ok``, or the rule that refused it).
    """

    kind: str
    t: float
    data: dict[str, Any] = field(default_factory=dict)
    actor: str = "customer"
    command: int = 0
    expected: str = ACCEPTED


@dataclass(frozen=True, slots=True)
class Journey:
    customer: int
    steps: tuple[Step, ...]

    @property
    def start(self) -> float:
        return self.steps[0].t


def _replication(commands: pa.Table, replication: int | None) -> pa.Table:
    reps = commands.column("replication").to_numpy()
    rep = int(reps.min()) if replication is None and len(reps) else replication
    return commands.filter(pa.array(reps == rep)) if len(reps) else commands


def _table(commands: pd.DataFrame | pa.Table) -> pa.Table:
    if isinstance(commands, pa.Table):
        return commands
    return pa.Table.from_pandas(commands, preserve_index=False)


def journeys(
    commands: pd.DataFrame | pa.Table, replication: int | None = None, *, back_office: bool = True
) -> list[Journey]:
    """Every journey's sent steps in decision order, journeys ordered by their first step.

    ``replication`` defaults to the log's first. With ``back_office=False`` only the
    customers' own requests are kept (the operations journey is left out too).
    """
    table = _replication(_table(commands), replication)
    table = table.sort_by("id")
    kinds = table.column("kind").to_pylist()
    reasons = table.column("reason").to_pylist()
    sent = [
        k in SENT and not (k == "receive_stock" and r == INITIAL)
        for k, r in zip(kinds, reasons, strict=True)
    ]
    keep = np.array(sent, dtype=bool)
    table = table.filter(pa.array(keep))
    steps: dict[int, list[Step]] = {}
    for who, step in _steps(table):
        if back_office or step.actor == "customer":
            steps.setdefault(who, []).append(step)
    found = [Journey(c, tuple(s)) for c, s in steps.items()]
    return sorted(found, key=lambda j: (j.start, j.customer))


def _steps(table: pa.Table) -> Iterator[tuple[int, Step]]:
    """(journey, step) of every row, in row order; each kind's payload columns read once."""
    n = table.num_rows
    kinds = table.column("kind").to_pylist()
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    by_kind: dict[str, list[int]] = {}
    for i, kind in enumerate(kinds):
        by_kind.setdefault(kind, []).append(i)
    customers = table.column("customer").to_pylist()
    for kind, at in by_kind.items():
        picked = table.take(pa.array(at))
        for name in BY_NAME[kind].fields:  # a record's customer is the row's (its journey's)
            for i, value in zip(at, picked.column(name).to_pylist(), strict=True):
                if value is not None:
                    rows[i][name] = value
    times = table.column("t").to_pylist()
    ids = table.column("id").to_pylist()
    outcomes = table.column("outcome").to_pylist()
    for i in range(n):
        kind = BY_NAME[kinds[i]]
        who = customers[i]
        yield (
            OPERATIONS if who is None else int(who),
            Step(kind.name, float(times[i]), rows[i], kind.actor, int(ids[i]), str(outcomes[i])),
        )


def initial_stock(
    commands: pd.DataFrame | pa.Table, replication: int | None = None
) -> dict[tuple[str, str], int]:
    """The stock a run started with: (location, sku) -> units received as ``initial``."""
    table = _replication(_table(commands), replication)
    out: dict[tuple[str, str], int] = {}
    rows = zip(
        table.column("kind").to_pylist(),
        table.column("reason").to_pylist(),
        table.column("outcome").to_pylist(),
        table.column("location").to_pylist(),
        table.column("sku").to_pylist(),
        table.column("qty").to_pylist(),
        strict=True,
    )
    for kind, reason, outcome, location, sku, qty in rows:
        if kind == "receive_stock" and reason == INITIAL and outcome == ACCEPTED:
            key = (str(location), str(sku))
            out[key] = out.get(key, 0) + int(qty)
    return out


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A journey with the wall-clock offset (seconds from the replay's start) of each step."""

    journey: Journey
    offsets: tuple[float, ...]

    @property
    def start(self) -> float:
        return self.offsets[0]


def schedule(
    found: list[Journey], speedup: float, *, origin: float | None = None
) -> list[Scheduled]:
    """Compress simulated minutes into wall seconds: ``speedup`` 60 plays one hour in a minute."""
    if not speedup > 0:
        raise ValueError(f"speedup must be > 0, got {speedup}")
    zero = min((j.start for j in found), default=0.0) if origin is None else origin
    return [Scheduled(j, tuple((s.t - zero) * 60.0 / speedup for s in j.steps)) for j in found]


def shard(items: list[Scheduled], index: int, count: int) -> Iterator[Scheduled]:
    """The journeys one of ``count`` workers replays: every customer in exactly one shard."""
    if not 0 <= index < count:
        raise ValueError(f"shard index must be in [0, {count}), got {index}")
    return (s for s in items if s.journey.customer % count == index)
