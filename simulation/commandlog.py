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
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.columns import LAYOUTS, VERSION_KEY, Columns, Layout
from simulation.domain.commands import Leg
from simulation.domain.events import SCHEMA_VERSION
from simulation.domain.vocabulary import BY_NAME, BY_RECORD, TIME_FIELDS
from simulation.errors import InputError, LogFormatError
from simulation.eventlog import BATCH_ROWS, LogWriter, Sink, check_seq, table_to_frame

__all__ = [
    "ACCEPTED",
    "COMMANDS",
    "COMMAND_SCHEMA",
    "CommandLog",
    "read_command_table",
    "read_commands",
    "stream_commands_to",
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
    return kind.name if kind is not None else None


@cache
def _fields(cls: type) -> tuple[tuple[str, str], ...]:
    """A record's fields and their columns: the time is ``t``; the customer is the row's
    owner, given beside the record."""
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


COMMANDS = Layout(
    name="commands",
    noun="command class, or event class of a read or note",
    schema=COMMAND_SCHEMA,
    key="id",
    type_column="kind",
    payload=("t", *(name for name, _ in _PAYLOAD)),
    extras=("customer", "outcome"),
    name_of=_kind_name,
    class_of=lambda name: BY_NAME[name].record,
    fields_of=_fields,
    derived=("step",),
    convert={"legs": _legs},
)
LAYOUTS[COMMANDS.name] = COMMANDS


class CommandLog:
    """The commands of one replication, kept as columns; with a ``sink`` (see
    :func:`stream_commands_to`), handed to it every ``flush_rows`` commands.

    :meth:`record` appends one and returns its ``id``: the causation the events it produced
    carry. Customer ids are whole numbers >= 0 (an engine's are 1, 2, 3...): the ``step``
    counter keeps one slot per id up to the largest.
    """

    __slots__ = ("_add", "_columns", "_counts", "_flush_at", "_flushed", "_sink", "replication")

    def __init__(
        self, *, replication: int = 0, sink: Sink | None = None, flush_rows: int = BATCH_ROWS
    ) -> None:
        if isinstance(flush_rows, bool) or not isinstance(flush_rows, int) or flush_rows < 1:
            raise InputError("flush_rows", "a positive number of rows", flush_rows)
        self.replication = replication
        self._columns = Columns(COMMANDS)
        self._add = self._columns.adder()
        self._sink = sink
        self._flush_at = flush_rows if sink is not None else -1
        self._flushed = 0
        self._counts = np.zeros(1024, np.int64)
        """Commands so far per journey: slot 0 the back office's, slot c + 1 customer c's."""

    def record(self, record: Any, customer: int | None, outcome: str = ACCEPTED) -> int:
        """Append ``record`` (a command, or the event of a read or a note) of ``customer``'s
        journey, with its ``outcome``; returns its ``id``."""
        rows = self._add(record, customer, outcome)
        if rows == self._flush_at:
            self.flush()
            return self._flushed
        return self._flushed + rows

    def __len__(self) -> int:
        return self._flushed + len(self._columns)

    @property
    def last_id(self) -> int:
        return len(self)

    def flush(self) -> None:
        """Hand the commands not yet handed to the sink as one batch (none without a sink)."""
        if self._sink is not None and len(self._columns):
            self._sink.write_batch(self._batch())
            self._flushed += len(self._columns)
            self._columns = Columns(COMMANDS)
            self._add = self._columns.adder()

    def to_table(self) -> pa.Table:
        """The whole log as a table of :data:`COMMAND_SCHEMA` (not once it has streamed)."""
        if self._flushed:
            raise LogFormatError("CommandLog", "a log that kept its commands", "a streamed log")
        return pa.Table.from_batches([self._batch(keep_counts=True)], schema=COMMAND_SCHEMA)

    def write(self, path: Path) -> Path:
        """Write the whole log to ``path`` (atomically); returns ``path``."""
        with LogWriter(path, schema=COMMAND_SCHEMA) as writer:
            writer.write_table(self.to_table())
        return path

    def _batch(self, *, keep_counts: bool = False) -> pa.RecordBatch:
        steps = self._steps(keep_counts=keep_counts)
        return self._columns.to_batch(
            first_seq=self._flushed + 1, replication=self.replication, derived={"step": steps}
        )

    def _steps(self, *, keep_counts: bool) -> pa.Array:
        """Each row's position in its journey, counting on from the batches before."""
        owners = self._columns.extra("customer")
        slots = np.fromiter((-1 if c is None else c for c in owners), np.int64, len(owners)) + 1
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


@contextmanager
def stream_commands_to(
    path: Path, *, replication: int = 0, flush_rows: int = BATCH_ROWS
) -> Iterator[CommandLog]:
    """A command log that streams to a Parquet file at ``path`` in batches of ``flush_rows``;
    the file appears at ``path`` when the block ends (nothing, if it raises)."""
    with LogWriter(path, batch_rows=flush_rows, schema=COMMAND_SCHEMA) as writer:
        log = CommandLog(replication=replication, sink=writer, flush_rows=flush_rows)
        yield log
        log.flush()


def read_command_table(path: Path) -> pa.Table:
    """The command log at ``path`` as an Arrow table, after checking its schema and version."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise LogFormatError("file", "a Parquet command log", str(path), where=str(path)) from e
    version = (schema.metadata or {}).get(VERSION_KEY)
    given = version.decode() if version is not None else None
    if given != str(SCHEMA_VERSION):
        raise LogFormatError(
            f"metadata {VERSION_KEY.decode()}", f"schema version {SCHEMA_VERSION}", given,
            where=str(path),
        )  # fmt: skip
    for f in COMMAND_SCHEMA:
        if f.name not in schema.names:
            raise LogFormatError(f"column {f.name}", f"a {f.type} column", None, where=str(path))
    return pq.read_table(path).select(COMMAND_SCHEMA.names)


def read_commands(path: Path) -> pd.DataFrame:
    """The command log at ``path`` as a DataFrame, checked: ``id`` runs 1, 2, 3... within
    each replication."""
    frame = table_to_frame(read_command_table(path))
    check_seq(frame.rename(columns={"id": "seq"}), where=str(path))
    return frame
