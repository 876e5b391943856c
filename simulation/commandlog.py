"""The command log: every request the simulated customers and the back office made, in order.

The engine decides commands; this log records them, one row each, in the order they were
decided, whether the domain accepted them or refused them: its writes (a
:class:`~simulation.domain.commands.Command`), and the reads and notes it observed (browsing,
a stock check, an arrival, a departure, a lost sale, recorded from the event noted for them).
Each event of the event log carries, in its ``command`` column, the ``id`` of the row that
caused it. The load-test replay reads this file, never the events, to know what to send.

Columns (``commands.parquet``; the names are a public contract, as the event log's):

- ``id``: gapless from 1 within a replication, in decision order; ``t``: simulated minutes.
- ``kind``: the vocabulary's name (:mod:`simulation.domain.vocabulary`): ``add_to_cart``, ...
- ``customer``: whose journey it belongs to (null for a location's back-office command:
  replenishment, transfers, allocation); ``step``: its position in that journey (1, 2, ...).
- ``outcome``: ``ok``, or the rule that refused it (``stock.insufficient``, ...).
- the payload: one column per field name of the vocabulary's records (``cart``, ``sku``,
  ``qty``, ``unit_price``, ``reserve_at``, ``legs``, ...), null where a kind has no such field.
- ``replication``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from simulation.columns import LAYOUTS, VERSION_KEY, Columns, Layout
from simulation.domain.commands import Leg
from simulation.domain.events import SCHEMA_VERSION, Event
from simulation.domain.vocabulary import BY_NAME, BY_RECORD, TIME_FIELDS
from simulation.errors import LogFormatError
from simulation.eventlog import (
    BATCH_ROWS,
    EventLog,
    LogWriter,
    Sink,
    check_columns,
    check_seq,
    read_schema_version,
    table_to_frame,
)

__all__ = [
    "ACCEPTED",
    "COMMANDS",
    "COMMAND_SCHEMA",
    "CommandLog",
    "observations",
    "read_command_table",
    "read_commands",
    "stream_logs",
]

ACCEPTED = "ok"
"""The outcome of a command the domain accepted (a refusal's is the rule that refused it)."""

_DICT = pa.dictionary(pa.int32(), pa.string())
LEGS = pa.list_(
    pa.struct(
        [
            pa.field("location", pa.string()),
            pa.field("mode", pa.string()),
            pa.field(
                "lines",
                pa.list_(pa.struct([pa.field("sku", pa.string()), pa.field("qty", pa.int64())])),
            ),
        ]
    )
)
"""A checkout's legs: [{location, mode, lines: [{sku, qty}]}]."""

_PAYLOAD: tuple[tuple[str, pa.DataType], ...] = (
    ("channel", _DICT),
    ("location", _DICT),
    ("sku", _DICT),
    ("cart", pa.int64()),
    ("order", pa.int64()),
    ("qty", pa.int64()),
    ("amount", pa.float64()),
    ("unit_price", pa.float64()),
    ("reserve_at", _DICT),
    ("ttl", pa.float64()),
    ("reason", _DICT),
    ("mode", _DICT),
    ("return_mode", _DICT),
    ("restock", pa.bool_()),
    ("to", _DICT),
    ("level", pa.int64()),
    ("hold_minutes", pa.float64()),
    ("segment", _DICT),
    ("legs", LEGS),
)

COMMAND_SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("t", pa.float64(), nullable=False),
        pa.field("kind", _DICT, nullable=False),
        pa.field("customer", pa.int64()),
        pa.field("step", pa.int64(), nullable=False),
        pa.field("outcome", _DICT, nullable=False),
        *(pa.field(name, kind) for name, kind in _PAYLOAD),
        pa.field("replication", pa.int32(), nullable=False),
    ],
    metadata={VERSION_KEY: str(SCHEMA_VERSION).encode()},
)
"""The command log's columns, in order, with the schema version in the metadata."""


def _kind_name(cls: type) -> str | None:
    kind = BY_RECORD.get(cls)
    return kind.name if kind is not None and kind.role == "write" else None


@cache
def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    """A command's fields and their columns: ``at`` is ``t``; the customer is the row's
    owner, given beside the command."""
    names = (f.name for f in dataclasses.fields(cls))
    return tuple((n, "t" if n in TIME_FIELDS else n) for n in names if n != "customer")


def _legs(legs: tuple[Leg, ...]) -> list[dict[str, Any]]:
    return [
        {
            "location": leg.location,
            "mode": leg.mode.value,
            "lines": [{"sku": line.sku, "qty": line.qty} for line in leg.lines],
        }
        for leg in legs
    ]


_DERIVED = ("id", "step", "outcome")
COMMANDS = Layout(
    name="commands",
    noun="command class",
    schema=COMMAND_SCHEMA,
    key="id",
    type_column="kind",
    payload=("t", *(name for name, _ in _PAYLOAD)),
    extras=("customer",),
    name_of=_kind_name,
    class_of=lambda name: BY_NAME[name].record,
    fields_of=_fields,
    derived=_DERIVED,
    convert={"legs": _legs},
)
"""The rows of the commands the domain decides (writes); reads and notes come from events."""
LAYOUTS[COMMANDS.name] = COMMANDS

OBSERVED: dict[str, str] = {
    typing.cast(type[Event], cls).TYPE: kind.name
    for cls, kind in BY_RECORD.items()
    if kind.role != "write"
}
"""The event type of each read and note, and its kind: the event is the record."""


class CommandLog:
    """The commands of one replication, in the order they were decided.

    A write is recorded by :meth:`record` (typed columns, as the event log keeps events); a
    read or a note only takes its id, by :meth:`observe`: its event, which carries that id
    and every field of it, is its record, and its row is made from the event log when a table
    or a batch is built (:meth:`to_table`, :meth:`absorb`). So an observation costs one
    counter, not a second copy of its event.

    Streamed (``sink``), the log hands a batch each time the event log hands one: every id up
    to then is known, the writes here and the observations in the events handed so far (see
    :func:`stream_logs`). Customer ids are whole numbers >= 0 (an engine's are 1, 2, 3...):
    the ``step`` counter keeps one slot per id up to the largest.
    """

    __slots__ = (
        "_columns",
        "_counts",
        "_flushed",
        "_jump_ids",
        "_jump_rows",
        "_last",
        "_next",
        "_refusals",
        "_sink",
        "replication",
    )

    def __init__(self, *, replication: int = 0, sink: Sink | None = None) -> None:
        self.replication = replication
        self._sink = sink
        self._next = 0
        self._flushed = 0
        self._counts = np.zeros(1024, np.int64)
        """Commands so far per journey: slot 0 the back office's, slot c + 1 customer c's."""
        self._segment()

    def _segment(self) -> None:
        self._columns = Columns(COMMANDS)
        self._last = -2  # the id of the segment's last write: the first always jumps
        self._jump_rows: list[int] = []
        self._jump_ids: list[int] = []
        """Write rows whose id is not the one before's + 1 (observations came between)."""
        self._refusals: list[tuple[int, str]] = []

    def record(self, command: Any, customer: int | None, outcome: str = ACCEPTED) -> int:
        """Record a write of ``customer``'s journey (None: a location's) with its
        ``outcome`` (``ok`` or the rule that refused it); returns its id."""
        cid = self._next + 1
        row = self._columns.append(command, customer) - 1  # a bad value raises: no id taken
        self._next = cid
        if cid != self._last + 1:
            self._jump_rows.append(row)
            self._jump_ids.append(cid)
        self._last = cid
        if outcome != ACCEPTED:
            self._refusals.append((row, outcome))
        return cid

    def observe(self) -> int:
        """The id of a read or a note, whose event the event log records with it."""
        self._next += 1
        return self._next

    def __len__(self) -> int:
        return self._next

    def to_table(self, events: pa.Table) -> pa.Table:
        """The whole log as a table of :data:`COMMAND_SCHEMA`, its reads and notes from
        ``events`` (the same run's event log; not once this log has streamed)."""
        if self._flushed:
            raise LogFormatError("CommandLog", "a log that kept its commands", "a streamed log")
        return self._merge(events, keep_counts=True)

    def absorb(self, events: pa.RecordBatch | pa.Table | None) -> None:
        """Hand the sink every command up to now: the writes recorded here, the reads and
        notes from ``events``, the event log's batch just handed on (None: no events since
        the last); streamed logs only."""
        if self._sink is None:
            raise LogFormatError("CommandLog", "a streamed log", "one without a sink")
        if self._next == self._flushed:
            return
        table = pa.Table.from_batches([events]) if isinstance(events, pa.RecordBatch) else events
        merged = self._merge(table, keep_counts=False)
        if merged.num_rows:
            for batch in merged.to_batches():
                self._sink.write_batch(batch)
        self._flushed = self._next
        self._segment()

    def write(self, path: Path, events: pa.Table) -> Path:
        """Write the whole log to ``path`` (atomically); returns ``path``."""
        with LogWriter(path, schema=COMMAND_SCHEMA) as writer:
            writer.write_table(self.to_table(events))
        return path

    # ------------------------------------------------------------ building

    def _merge(self, events: pa.Table | None, *, keep_counts: bool) -> pa.Table:
        """Writes and observations with ids after the last batch, in id order, checked gapless."""
        writes = pa.Table.from_batches([self._writes()])
        observed = observations(events, self.replication) if events is not None else writes[:0]
        first = self._flushed + 1
        if observed.num_rows:
            ids = observed.column("id").to_numpy()
            observed = observed.filter(pa.array(ids >= first))
        both = pa.concat_tables([writes, observed]).unify_dictionaries().combine_chunks()
        both = both.take(pc.sort_indices(both.column("id")))
        ids = both.column("id").to_numpy()
        expected = np.arange(first, first + len(ids))
        if len(ids) != self._next - self._flushed or (ids != expected).any():
            raise LogFormatError(
                "command", f"ids {first}..{self._next}, each once", "a gap or a repeat",
                where="commands: an event log that is not this run's",
            )  # fmt: skip
        steps = self._steps(both.column("customer"), keep_counts=keep_counts)
        at = COMMAND_SCHEMA.get_field_index("step")
        return both.set_column(at, COMMAND_SCHEMA.field("step"), steps).cast(COMMAND_SCHEMA)

    def _writes(self) -> pa.RecordBatch:
        n = len(self._columns)
        rows = np.arange(n)
        jumps = np.asarray(self._jump_rows, np.int64)
        starts = np.asarray(self._jump_ids, np.int64)
        nearest = np.searchsorted(jumps, rows, side="right") - 1
        ids = starts[nearest] + rows - jumps[nearest] if n else np.empty(0, np.int64)
        outcomes = np.full(n, ACCEPTED, object)
        for row, rule in self._refusals:
            outcomes[row] = rule
        derived = {
            "id": pa.array(ids, pa.int64()),
            "step": pa.array(np.zeros(n, np.int64)),
            "outcome": pa.array(outcomes, pa.string()).dictionary_encode(),
        }
        return self._columns.to_batch(replication=self.replication, derived=derived)

    def _steps(self, customers: pa.ChunkedArray, *, keep_counts: bool) -> pa.Array:
        """Each row's position in its journey, counting on from the batches before."""
        owners = customers.fill_null(-1).to_numpy()
        slots = owners.astype(np.int64) + 1  # the back office (null) in slot 0
        if len(slots) and slots.min() < 0:
            bad = int(slots.min()) - 1
            raise LogFormatError("customer", "a customer id >= 0 or None", bad, where="commands")
        counts = self._counts
        top = int(slots.max()) + 1 if len(slots) else 0
        if top > len(counts):
            grown = np.zeros(max(top, 2 * len(counts)), np.int64)
            grown[: len(counts)] = counts
            counts = grown
        order = np.argsort(slots, kind="stable")
        ranked = slots[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]]) if len(ranked) else ranked
        sizes = np.diff(np.r_[starts, len(ranked)])
        steps = np.empty(len(slots), np.int64)
        steps[order] = counts[ranked] + np.arange(len(ranked)) - np.repeat(starts, sizes) + 1
        if not keep_counts:
            counts[ranked[starts]] += sizes
        self._counts = counts
        return pa.array(steps, pa.int64())


def observations(events: pa.Table, replication: int = 0) -> pa.Table:
    """The command rows of the reads and notes in ``events`` (an event log of one
    replication): each from its event, with the id the event carries as its cause."""
    types = events.column("type").combine_chunks()
    if not isinstance(types, pa.DictionaryArray):
        types = types.dictionary_encode()
    kinds = [OBSERVED.get(name) for name in types.dictionary.to_pylist()]
    wanted = pa.array([i for i, k in enumerate(kinds) if k is not None], pa.int32())
    picked = events.filter(pc.is_in(types.indices, value_set=wanted))
    n = picked.num_rows
    picked_types = picked.column("type").combine_chunks()
    names = pa.array([k or "" for k in kinds], pa.string())
    kind = pc.take(names, picked_types.indices if n else pa.array([], pa.int32()))
    columns: dict[str, Any] = {
        "id": picked.column("command"),
        "kind": kind.dictionary_encode(),
        "step": pa.array(np.zeros(n, np.int64)),
        "outcome": pa.array([ACCEPTED] * n, pa.string()).dictionary_encode(),
        "replication": pa.array(np.full(n, replication, np.int32)),
    }
    for f in COMMAND_SCHEMA:
        if f.name not in columns:
            has = f.name in picked.column_names
            columns[f.name] = picked.column(f.name) if has else pa.nulls(n, f.type)
    return pa.table({f.name: columns[f.name] for f in COMMAND_SCHEMA}).cast(COMMAND_SCHEMA)


class _Tee:
    """The event log's sink when both logs stream: each batch to its file, then to the
    command log, which can then hand every command up to it."""

    def __init__(self, events: Sink, commands: CommandLog) -> None:
        self._events, self._commands = events, commands

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._events.write_batch(batch)
        self._commands.absorb(batch)


@contextmanager
def stream_logs(
    events: Path, commands: Path, *, replication: int = 0, flush_rows: int = BATCH_ROWS
) -> Iterator[tuple[EventLog, CommandLog]]:
    """An event log and a command log streaming to Parquet files at ``events`` and
    ``commands``, the event log in batches of ``flush_rows``; both files appear when the block
    ends (neither, if it raises). Memory holds at most one batch of each."""
    with (
        LogWriter(events, batch_rows=flush_rows) as event_writer,
        LogWriter(commands, batch_rows=flush_rows, schema=COMMAND_SCHEMA) as command_writer,
    ):
        command_log = CommandLog(replication=replication, sink=command_writer)
        tee = _Tee(event_writer, command_log)
        log = EventLog(replication=replication, sink=tee, flush_rows=flush_rows)
        yield log, command_log
        log.flush()
        command_log.absorb(None)  # writes refused after the last event, if any


def read_command_table(path: Path) -> pa.Table:
    """The command log at ``path`` as an Arrow table, after checking its schema and version."""
    schema, _ = read_schema_version(path, "command log", (str(SCHEMA_VERSION),))
    check_columns(path, schema, COMMAND_SCHEMA)
    return pq.read_table(path).select(COMMAND_SCHEMA.names)


def read_commands(path: Path) -> pd.DataFrame:
    """The command log at ``path`` as a DataFrame, checked: ``id`` runs 1, 2, 3... within
    each replication."""
    frame = table_to_frame(read_command_table(path))
    check_seq(frame.rename(columns={"id": "seq"}), where=str(path))
    return frame
