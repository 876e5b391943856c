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

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    table = _plain(table).sort_by("id")
    kind, reason = table.column("kind"), table.column("reason")
    initial = pc.and_kleene(pc.equal(kind, "receive_stock"), pc.equal(reason, INITIAL))
    table = table.filter(
        pc.and_(pc.is_in(kind, pa.array(sorted(SENT))), pc.invert(pc.fill_null(initial, False)))
    )
    steps: dict[int, list[Step]] = {}
    for who, step in _steps(table):
        if back_office or step.actor == "customer":
            steps.setdefault(who, []).append(step)
    found = [Journey(c, tuple(s)) for c, s in steps.items()]
    return sorted(found, key=lambda j: (j.start, j.customer))


def _steps(table: pa.Table) -> Iterator[tuple[int, Step]]:
    """(journey, step) of every row, in row order; each kind's payload columns read at once."""
    table = _plain(table)
    kinds = table.column("kind").to_pylist()
    rows: list[dict[str, Any]] = [{} for _ in kinds]
    by_kind: dict[str, list[int]] = {}
    for i, kind in enumerate(kinds):
        by_kind.setdefault(kind, []).append(i)
    for kind, at in by_kind.items():  # a record's customer is the row's (its journey's)
        picked = table.take(pa.array(at)).select(list(BY_NAME[kind].fields)).to_pylist()
        for i, row in zip(at, picked, strict=True):
            rows[i] = {k: v for k, v in row.items() if v is not None}
    columns = zip(
        kinds,
        table.column("customer").to_pylist(),
        table.column("t").to_pylist(),
        table.column("id").to_pylist(),
        table.column("outcome").to_pylist(),
        rows,
        strict=True,
    )
    actors = {k.name: k.actor for k in BY_NAME.values()}
    for kind, who, t, cid, outcome, data in columns:
        yield (OPERATIONS if who is None else who), Step(kind, t, data, actors[kind], cid, outcome)


def _plain(table: pa.Table) -> pa.Table:
    """The table with its dictionary columns as plain strings (quicker to read into Python)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_dictionary(f.type):
            table = table.set_column(i, f.name, pc.cast(table.column(i), pa.string()))
    return table


def initial_stock(
    commands: pd.DataFrame | pa.Table, replication: int | None = None
) -> dict[tuple[str, str], int]:
    """The stock a run started with: (location, sku) -> units received as ``initial``."""
    table = _plain(_replication(_table(commands), replication))
    initial = pc.and_kleene(
        pc.and_kleene(
            pc.equal(table.column("kind"), "receive_stock"),
            pc.equal(table.column("reason"), INITIAL),
        ),
        pc.equal(table.column("outcome"), ACCEPTED),
    )
    received = (
        table.filter(pc.fill_null(initial, False))
        .group_by(["location", "sku"])
        .aggregate([("qty", "sum")])
    )
    return {
        (str(loc), str(sku)): int(qty)
        for loc, sku, qty in zip(
            received.column("location").to_pylist(),
            received.column("sku").to_pylist(),
            received.column("qty_sum").to_pylist(),
            strict=True,
        )
    }


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
