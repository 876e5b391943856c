"""The event log: append-only, gapless ``seq``, written to Parquet in columnar batches.

The log is one table, one row per event (see :data:`SCHEMA`). Its column names and types are
the public contract that projections, notebooks, DuckDB queries and the load-test replay rely
on; the file carries :data:`SCHEMA_VERSION` in its metadata, and a change to the columns is a
version bump. Within a replication ``seq`` starts at 1 and rises by exactly one per event.

In memory, :class:`EventLog` keeps the events as columns (:class:`~simulation.columns.Columns`),
so the table is built with numpy and pyarrow; :func:`to_table` is the plain per-event version,
kept as the oracle the tests hold the columns to. A log given a sink (:func:`stream_to`)
hands each full batch to it and never holds the whole run.

Files are written to a temporary name beside the target and renamed only when complete, so a
crash never leaves a half-written log under the final name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.columns import SCHEMA, VERSION_KEY, Columns
from simulation.domain.backend import Backend, fold
from simulation.domain.events import COLUMNS, EVENT_TYPES, FIELD_SPECS, SCHEMA_VERSION, Event
from simulation.errors import InputError, LogFormatError, OmnicanalError

__all__ = [
    "BATCH_ROWS",
    "SCHEMA",
    "VERSION_KEY",
    "EventLog",
    "LogStreamedError",
    "LogWriter",
    "Sink",
    "cell",
    "check_seq",
    "event_from_row",
    "iter_events",
    "read_log",
    "read_table",
    "rebuild",
    "stream_to",
    "table_to_frame",
    "to_table",
]

BATCH_ROWS = 65_536
READABLE_VERSIONS = ("1", str(SCHEMA_VERSION))
"""Log schema versions this version reads: 1 had no ``command`` column (read as nulls)."""

_FIELDS: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()
}


# ---------------------------------------------------------------- events -> columns


def to_table(
    events: Sequence[Event],
    *,
    first_seq: int = 1,
    replication: int = 0,
    causes: Sequence[int | None] | None = None,
) -> pa.Table:
    """Events as a table of the log schema, numbered from ``first_seq``; ``causes`` are the
    ids of the commands that caused them (all null by default)."""
    columns: dict[str, list[Any]] = {name: [None] * len(events) for name in COLUMNS}
    types: list[str] = []
    for i, e in enumerate(events):
        types.append(e.TYPE)
        for name in _FIELDS[type(e)]:
            columns[name][i] = getattr(e, name)
    arrays = {
        "seq": pa.array(range(first_seq, first_seq + len(events)), pa.int64()),
        "type": pa.array(types, pa.string()).dictionary_encode(),
        **{name: _column(name, values) for name, values in columns.items()},
        "command": pa.array(
            list(causes) if causes is not None else [None] * len(events), pa.int64()
        ),
        "replication": pa.array([replication] * len(events), pa.int32()),
    }
    return pa.Table.from_arrays([arrays[f.name] for f in SCHEMA], schema=SCHEMA)


def _column(name: str, values: list[Any]) -> pa.Array:
    kind = SCHEMA.field(name).type
    if pa.types.is_dictionary(kind):
        plain = [None if v is None else str(v) for v in values]
        return pa.array(plain, pa.string()).dictionary_encode()
    return pa.array(values, kind)


# ---------------------------------------------------------------- the in-memory log


class Sink(Protocol):
    """Where a streamed log hands its full batches (a :class:`LogWriter` is one)."""

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Take one batch of the log schema; its ``seq`` is already numbered."""


class LogStreamedError(OmnicanalError, RuntimeError):
    """A streamed log was asked for events it has already handed to its sink."""

    def __init__(self, what: str, flushed: int) -> None:
        self.what = what
        self.flushed = flushed
        super().__init__(
            f"EventLog.{what}: the log streamed {flushed} events to its sink and no longer "
            "holds them; read the file back (read_log) once it is written"
        )


class EventLog:
    """An append-only log of one replication: events are added, never changed or removed.

    Events are kept as typed columns, not as objects: :meth:`append` costs a few buffer
    appends, :meth:`to_table` is numpy and pyarrow work, and :meth:`__iter__` rebuilds the
    events (the slow path, cached, for tests and replay). ``seq`` runs 1, 2, 3... gaplessly.

    With a ``sink`` (see :func:`stream_to`), every ``flush_rows`` events are handed to it as
    one record batch and dropped; :meth:`flush` hands the rest. ``len``, :attr:`last_seq` and
    ``seq`` go on counting across batches, but :meth:`__iter__`, :meth:`to_table`,
    :meth:`to_frame` and :meth:`write` raise :class:`LogStreamedError` once a batch has gone:
    the events are in the sink's file, which is complete only when its writer closes.
    """

    __slots__ = ("_columns", "_decoded", "_flush_at", "_flushed", "_sink", "replication")

    def __init__(
        self,
        events: Iterable[Event] = (),
        *,
        replication: int = 0,
        sink: Sink | None = None,
        flush_rows: int = BATCH_ROWS,
    ) -> None:
        if isinstance(flush_rows, bool) or not isinstance(flush_rows, int) or flush_rows < 1:
            raise InputError("flush_rows", "a positive number of rows", flush_rows)
        self.replication = replication
        self._columns = Columns()
        self._sink = sink
        self._flush_at = flush_rows if sink is not None else -1
        self._flushed = 0
        self._decoded: list[Event] = []
        self.extend(events)

    def append(self, event: Event, cause: int | None = None) -> int:
        """Add one event, caused by the command of id ``cause`` (None: unknown); returns its
        ``seq``. A bad event raises naming its field and leaves the log as it was."""
        rows = self._columns.append(event, cause)
        seq = self._flushed + rows
        if rows == self._flush_at:
            self.flush()
        return seq

    def extend(self, events: Iterable[Event], cause: int | None = None) -> None:
        """Add events in order, all caused by the command of id ``cause`` (as by
        :meth:`append`)."""
        for event in events:  # append's body, inline: every event of a run passes here
            if self._columns.append(event, cause) == self._flush_at:
                self.flush()

    def flush(self) -> None:
        """Hand the events not yet handed to the sink as one record batch.

        Does nothing when there are none, or when the log has no sink (it keeps everything).
        """
        if self._sink is not None and len(self._columns):
            self._sink.write_batch(self._batch())
            self._flushed += len(self._columns)
            self._columns, self._decoded = Columns(), []

    def __len__(self) -> int:
        return self._flushed + len(self._columns)

    def __iter__(self) -> Iterator[Event]:
        self._whole("__iter__")
        done = len(self._decoded)
        if done < len(self._columns):
            tail = self._columns.to_batch(replication=self.replication).slice(done)
            self._decoded.extend(iter_events(pa.Table.from_batches([tail])))
        return iter(self._decoded)

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest event (0 while empty)."""
        return len(self)

    @property
    def flushed(self) -> int:
        """How many events went to the sink (0 without one)."""
        return self._flushed

    def to_table(self) -> pa.Table:
        """The whole log as a table of :data:`SCHEMA` (equal to :func:`to_table` of its events)."""
        self._whole("to_table")
        return pa.Table.from_batches([self._batch()])

    def to_frame(self) -> pd.DataFrame:
        self._whole("to_frame")
        return table_to_frame(self.to_table())

    def write(self, path: Path) -> Path:
        """Write the whole log to ``path`` (atomically); returns ``path``."""
        self._whole("write")
        with LogWriter(path) as writer:
            writer.write(self)
        return path

    def columns(self) -> Columns:
        """The log's column buffers, for a writer (raises :class:`LogStreamedError` once
        streamed: they would hold only the tail)."""
        self._whole("columns")
        return self._columns

    def _batch(self) -> pa.RecordBatch:
        return self._columns.to_batch(first_seq=self._flushed + 1, replication=self.replication)

    def _whole(self, what: str) -> None:
        if self._flushed:
            raise LogStreamedError(what, self._flushed)


@contextmanager
def stream_to(
    path: Path, *, replication: int = 0, flush_rows: int = BATCH_ROWS
) -> Iterator[EventLog]:
    """A log that streams to a Parquet file at ``path`` in batches of ``flush_rows``.

    >>> with stream_to(Path("events.parquet")) as log:    # doctest: +SKIP
    ...     log.append(event)

    On leaving the block the last batch is written and the file appears at ``path``; if the
    block raises, nothing is left under ``path``. Memory holds at most one batch.
    """
    with LogWriter(path, batch_rows=flush_rows) as writer:
        log = EventLog(replication=replication, sink=writer, flush_rows=flush_rows)
        yield log
        log.flush()


# ---------------------------------------------------------------- Parquet files


class LogWriter:
    """Streams events to a Parquet log in batches; the file appears at ``path`` on success.

    Use as a context manager. ``seq`` continues across :meth:`write` calls of the same
    replication. If the block raises, the temporary file is removed and ``path`` is untouched.
    Row groups hold at most ``batch_rows`` rows.
    """

    def __init__(
        self, path: Path, *, batch_rows: int = BATCH_ROWS, schema: pa.Schema = SCHEMA
    ) -> None:
        self.path = Path(path)
        self.batch_rows = batch_rows
        self.schema = schema
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._writer: pq.ParquetWriter | None = None
        self._next_seq: dict[int, int] = {}
        self.rows = 0

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._tmp, self.schema, compression="zstd")
        return self

    def write(self, events: EventLog | Sequence[Event], *, replication: int | None = None) -> None:
        """Append a log, or ``events`` of ``replication`` (default 0), numbered after what this
        writer already wrote of that replication. A log is written from its columns as they
        are (its own replication unless ``replication`` is given)."""
        if isinstance(events, EventLog):
            rep = events.replication if replication is None else replication
            self._write_columns(events.columns(), rep)
            return
        rep = 0 if replication is None else replication
        for start in range(0, len(events), self.batch_rows):
            columns = Columns()
            for event in events[start : start + self.batch_rows]:
                columns.append(event, None)
            self._write_columns(columns, rep)

    def _write_columns(self, columns: Columns, replication: int) -> None:
        first = self._next_seq.get(replication, 1)
        self._put(columns.to_batch(first_seq=first, replication=replication))
        self._next_seq[replication] = first + len(columns)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append a batch of the writer's schema as it is (a streamed log's :class:`Sink`)."""
        if not batch.schema.equals(self.schema, check_metadata=False):
            raise LogFormatError("schema", "the log schema", batch.schema.names, where="batch")
        self._put(batch)

    def write_table(self, table: pa.Table) -> None:
        """Append a table already in the writer's schema (one replication's log, from a
        worker)."""
        self._put(table.cast(self.schema))

    def _put(self, data: pa.Table | pa.RecordBatch) -> None:
        if self._writer is None:
            raise RuntimeError("LogWriter used outside its `with` block")
        self._writer.write(data, row_group_size=self.batch_rows)
        self.rows += data.num_rows

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        writer, self._writer = self._writer, None
        try:
            if writer is not None:
                writer.close()
            if kind is None:
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)


def read_schema_version(path: Path, what: str, versions: Sequence[str]) -> tuple[pa.Schema, str]:
    """The schema of the Parquet file at ``path`` and its omnicanal schema version, one of
    ``versions``; otherwise a :class:`LogFormatError` saying which ``what`` was expected."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise LogFormatError("file", f"a Parquet {what}", str(path), where=str(path)) from e
    version = (schema.metadata or {}).get(VERSION_KEY)
    given = version.decode() if version is not None else None
    if given is None or given not in versions:
        raise LogFormatError(
            f"metadata {VERSION_KEY.decode()}", f"schema version {' or '.join(versions)}",
            given, where=str(path),
        )  # fmt: skip
    return schema, given


def check_columns(path: Path, schema: pa.Schema, wanted: Iterable[pa.Field]) -> None:
    """Raise naming the first of the ``wanted`` columns the file's ``schema`` lacks."""
    for f in wanted:
        if f.name not in schema.names:
            raise LogFormatError(f"column {f.name}", f"a {f.type} column", None, where=str(path))


def read_table(path: Path) -> pa.Table:
    """The log at ``path`` as an Arrow table, after checking its schema version and columns."""
    schema, given = read_schema_version(path, "event log", READABLE_VERSIONS)
    old = given == "1"  # before commands were recorded: no event knows its command
    check_columns(path, schema, (f for f in SCHEMA if not (old and f.name == "command")))
    table = pq.read_table(path)
    if "command" not in table.column_names:
        table = table.append_column(SCHEMA.field("command"), pa.nulls(len(table), pa.int64()))
    return table.select(SCHEMA.names).cast(SCHEMA)


def read_log(path: Path) -> pd.DataFrame:
    """The log at ``path`` as a DataFrame, checked (see :func:`check_seq`)."""
    frame = table_to_frame(read_table(path))
    check_seq(frame, where=str(path))
    return frame


def table_to_frame(table: pa.Table) -> pd.DataFrame:
    """The one conversion from Arrow to pandas: nullable integers, categorical ids."""
    mapping = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}
    frame: pd.DataFrame = table.to_pandas(types_mapper=mapping.get)
    return frame


def check_seq(frame: pd.DataFrame, *, where: str = "log") -> None:
    """Raise :class:`LogFormatError` unless ``seq`` runs 1, 2, 3... within each replication."""
    seq = frame["seq"].to_numpy(dtype="int64")
    rep = frame["replication"].to_numpy(dtype="int64")
    # The n-th row of a replication must carry seq n, whatever the replications' interleaving.
    expected = pd.Series(1, index=frame.index).groupby(rep).cumsum().to_numpy()
    bad = seq != expected
    if bad.any():
        row = int(bad.argmax())
        raise LogFormatError(
            "seq", f"{int(expected[row])} (gapless from 1 per replication)", int(seq[row]),
            where=f"{where}: row {row}",
        )  # fmt: skip


# ---------------------------------------------------------------- rows -> events


def iter_events(log: pd.DataFrame | pa.Table, *, where: str = "log") -> Iterator[Event]:
    """The events of a log, in row order, each checked against its type's fields."""
    table = log if isinstance(log, pa.Table) else pa.Table.from_pandas(log, preserve_index=False)
    rows = table.select(["seq", "type", *COLUMNS]).to_pylist()
    for i, row in enumerate(rows):
        yield event_from_row(row, where=f"{where}: row {i} (seq {row.get('seq')})")


def event_from_row(row: dict[str, Any], *, where: str = "row") -> Event:
    """One event from one log row, or a :class:`LogFormatError` naming the bad field."""
    name = row.get("type")
    cls = EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise LogFormatError("type", f"one of {len(EVENT_TYPES)} event types", name, where=where)
    values: dict[str, Any] = {}
    for spec in FIELD_SPECS[name]:  # type: ignore[index]
        value = cell(row.get(spec.name))
        if value is None:
            if spec.required:
                raise LogFormatError(spec.name, f"{spec.expected} for {name}", None, where=where)
            continue
        try:
            values[spec.name] = spec.convert(value)
        except (TypeError, ValueError) as e:
            raise LogFormatError(spec.name, spec.expected, value, where=where) from e
    return cls(**values)


def cell(value: Any) -> Any:
    """A log cell as a plain Python value: None for any null (None, NaN, pd.NA), numpy
    scalars as Python ones."""
    if value is None or (not isinstance(value, str | bytes) and bool(pd.isna(value))):
        return None
    return value.item() if hasattr(value, "item") else value


def rebuild(log: pd.DataFrame | pa.Table | Iterable[Event]) -> Backend:
    """Fold a log (a frame, a table or events) of one replication into the backend state."""
    if isinstance(log, pd.DataFrame | pa.Table):
        reps = set(
            log["replication"].to_pylist() if isinstance(log, pa.Table) else log["replication"]
        )
        if len(reps) > 1:
            raise LogFormatError(
                "replication", "one replication (select it first)", sorted(reps), where="rebuild"
            )
        return fold(iter_events(log))
    return fold(log)
