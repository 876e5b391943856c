"""The event log: append-only, gapless ``seq``, written to Parquet in columnar batches.

The log is one table, one row per event (see :data:`SCHEMA`). Its column names and types are
the public contract that projections, notebooks, DuckDB queries and the load-test replay rely
on; the file carries :data:`SCHEMA_VERSION` in its metadata, and a change to the columns is a
version bump. Within a replication ``seq`` starts at 1 and rises by exactly one per event.

Files are written to a temporary name beside the target and renamed only when complete, so a
crash never leaves a half-written log under the final name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.domain.backend import Backend
from simulation.domain.backend import replay as fold
from simulation.domain.events import COLUMNS, EVENT_TYPES, FIELD_SPECS, SCHEMA_VERSION, Event
from simulation.errors import LogFormatError

VERSION_KEY = b"omnicanal.schema_version"
BATCH_ROWS = 65_536
_DICT = pa.dictionary(pa.int32(), pa.string())

SCHEMA = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("t", pa.float64(), nullable=False),
        pa.field("type", _DICT, nullable=False),
        pa.field("customer", pa.int64()),
        pa.field("channel", _DICT),
        pa.field("location", _DICT),
        pa.field("sku", _DICT),
        pa.field("cart", pa.int64()),
        pa.field("order", pa.int64()),
        pa.field("qty", pa.int64()),
        pa.field("amount", pa.float64()),
        pa.field("mode", _DICT),
        pa.field("reason", _DICT),
        pa.field("until", pa.float64()),
        pa.field("segment", _DICT),
        pa.field("replication", pa.int32(), nullable=False),
    ],
    metadata={VERSION_KEY: str(SCHEMA_VERSION).encode()},
)
"""The log's columns, in order, with the schema version in the metadata."""

_FIELDS: dict[type[Event], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()
}


# ---------------------------------------------------------------- events -> columns


def to_table(events: Sequence[Event], *, first_seq: int = 1, replication: int = 0) -> pa.Table:
    """Events as a table of the log schema, numbered from ``first_seq``."""
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


class EventLog:
    """An append-only log of one replication: events are added, never changed or removed."""

    __slots__ = ("_events", "replication")

    def __init__(self, events: Iterable[Event] = (), *, replication: int = 0) -> None:
        self._events: list[Event] = list(events)
        self.replication = replication

    def append(self, event: Event) -> int:
        """Add one event; returns its ``seq``."""
        self._events.append(event)
        return len(self._events)

    def extend(self, events: Iterable[Event]) -> None:
        self._events.extend(events)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest event (0 while empty)."""
        return len(self._events)

    def to_table(self) -> pa.Table:
        return to_table(self._events, replication=self.replication)

    def to_frame(self) -> pd.DataFrame:
        return table_to_frame(self.to_table())

    def write(self, path: Path) -> Path:
        """Write the whole log to ``path`` (atomically); returns ``path``."""
        with LogWriter(path) as writer:
            writer.write(self._events, replication=self.replication)
        return path


# ---------------------------------------------------------------- Parquet files


class LogWriter:
    """Streams events to a Parquet log in batches; the file appears at ``path`` on success.

    Use as a context manager. ``seq`` continues across :meth:`write` calls of the same
    replication. If the block raises, the temporary file is removed and ``path`` is untouched.
    """

    def __init__(self, path: Path, *, batch_rows: int = BATCH_ROWS) -> None:
        self.path = Path(path)
        self.batch_rows = batch_rows
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self._writer: pq.ParquetWriter | None = None
        self._next_seq: dict[int, int] = {}
        self.rows = 0

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._tmp, SCHEMA, compression="zstd")
        return self

    def write(self, events: Sequence[Event], *, replication: int = 0) -> None:
        """Append ``events`` of ``replication``, numbered after what it already wrote."""
        if self._writer is None:
            raise RuntimeError("LogWriter.write called outside its `with` block")
        for start in range(0, len(events), self.batch_rows):
            chunk = events[start : start + self.batch_rows]
            first = self._next_seq.get(replication, 1)
            self._writer.write_table(to_table(chunk, first_seq=first, replication=replication))
            self._next_seq[replication] = first + len(chunk)
            self.rows += len(chunk)

    def write_table(self, table: pa.Table) -> None:
        """Append a table already in the log schema (one replication's log, from a worker)."""
        if self._writer is None:
            raise RuntimeError("LogWriter.write_table called outside its `with` block")
        self._writer.write_table(table.cast(SCHEMA))
        self.rows += table.num_rows

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


def read_table(path: Path) -> pa.Table:
    """The log at ``path`` as an Arrow table, after checking its schema version and columns."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise LogFormatError("file", "a Parquet event log", str(path), where=str(path)) from e
    version = (schema.metadata or {}).get(VERSION_KEY)
    given = version.decode() if version is not None else None
    if given != str(SCHEMA_VERSION):
        raise LogFormatError(
            f"metadata {VERSION_KEY.decode()}", f"schema version {SCHEMA_VERSION}", given,
            where=str(path),
        )  # fmt: skip
    for f in SCHEMA:
        if f.name not in schema.names:
            raise LogFormatError(f"column {f.name}", f"a {f.type} column", None, where=str(path))
    return pq.read_table(path).select(SCHEMA.names)


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


def replay(log: pd.DataFrame | pa.Table | Iterable[Event]) -> Backend:
    """Fold a log (a frame, a table or events) of one replication into the backend state."""
    if isinstance(log, pd.DataFrame | pa.Table):
        reps = set(
            log["replication"].to_pylist() if isinstance(log, pa.Table) else log["replication"]
        )
        if len(reps) > 1:
            raise LogFormatError(
                "replication", "one replication (select it first)", sorted(reps), where="replay"
            )
        return fold(iter_events(log))
    return fold(log)
