"""The log's columns: the Parquet schema, and the segments records are appended to.

:class:`Columns` keeps one segment of a log: the records themselves (events, or commands),
and beside each the values its layout adds (an event's command id). Appending is two list
appends; the columns are made when a batch is built, a record class at a time, by C-level
attribute getters, numpy and pyarrow (an early version filled a typed buffer per field on
every append, and each typed append cost more than keeping the record). Dictionary columns
(``type``, ``channel``, ``location``, ``sku``, ``mode``, ``reason``, ``segment``) get their
dictionary in order of first appearance, from ``pyarrow.Array.dictionary_encode``, so the
tables are equal to those of :func:`simulation.eventlog.to_table`, the oracle.

What a row is made of is a :class:`Layout`: the event log's (:data:`EVENTS`: an event's
fields, and beside it the id of the command that caused it) or the command log's
(:mod:`simulation.commandlog`: a command's fields, its customer and its outcome).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np
import pyarrow as pa

from simulation.domain.events import COLUMNS, EVENT_TYPES, SCHEMA_VERSION
from simulation.errors import LogFormatError

VERSION_KEY = b"omnicanal.schema_version"
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
        pa.field("command", pa.int64()),
        pa.field("replication", pa.int32(), nullable=False),
    ],
    metadata={VERSION_KEY: str(SCHEMA_VERSION).encode()},
)
"""The log's columns, in order, with the schema version in the metadata. ``command`` is the
id of the command whose decision produced the event (its causation: a row of
``commands.parquet``)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """What a row of one log is made of.

    ``payload`` columns are filled from a record's fields (``fields_of`` pairs each field with
    its column; a field with no column is not kept); ``extras`` are given to
    :meth:`Columns.append` beside the record, for every row. ``key`` numbers the rows and
    ``type_column`` names each row's record type (``name_of`` a class, None for one not
    registered, which is not a ``noun``; ``class_of`` the reverse). ``derived`` columns are
    made by the log that owns the columns; ``convert`` turns an object column's values into
    what Arrow builds its type from.
    """

    name: str
    noun: str
    schema: pa.Schema
    key: str
    type_column: str
    payload: tuple[str, ...]
    extras: tuple[str, ...]
    name_of: Callable[[type], str | None]
    class_of: Callable[[str], type]
    fields_of: Callable[[type], tuple[tuple[str, str], ...]]
    derived: tuple[str, ...] = ()
    convert: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)


def _event_name(cls: type) -> str | None:
    name: str | None = getattr(cls, "TYPE", None)
    return name if name is not None and EVENT_TYPES.get(name) is cls else None


@cache
def _event_fields(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.name) for f in dataclasses.fields(cls))


EVENTS = Layout(
    name="events",
    noun="event class",
    schema=SCHEMA,
    key="seq",
    type_column="type",
    payload=COLUMNS,
    extras=("command",),
    name_of=_event_name,
    class_of=EVENT_TYPES.__getitem__,
    fields_of=_event_fields,
)
"""The event log's rows: an event's fields, and the id of the command that caused it."""
LAYOUTS: dict[str, Layout] = {"events": EVENTS}
"""Every layout by name (a pickled segment names its own)."""


Extras = tuple[list[Any], ...]


class Columns:
    """One segment of a log: its records and the extras given beside them (see the module
    docstring).

    :meth:`add` trusts its record (the engine's, built by the domain): a value its column
    cannot hold is found when the batch is built, and named there. :meth:`append` checks the
    record first, so a bad one raises :class:`~simulation.errors.LogFormatError` naming
    ``Type.field`` and leaves the segment as it was.
    """

    __slots__ = ("_extras", "_layout", "_records")

    def __init__(self, layout: Layout = EVENTS) -> None:
        self._layout = layout
        self._records: list[Any] = []
        self._extras: Extras = tuple([] for _ in layout.extras)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def records(self) -> list[Any]:
        """The segment's records, in order (not a copy: do not change it)."""
        return self._records

    def extra(self, name: str) -> list[Any]:
        """The values of extra column ``name``, one per row (not a copy)."""
        return self._extras[self._layout.extras.index(name)]

    def adder(self) -> Callable[..., int]:
        """The function that adds one record and its extras and returns the row count, as
        :meth:`add` does, without a method call's cost: for the engine's hot loops."""
        records, extras = self._records, self._extras
        add, size = records.append, records.__len__
        match [values.append for values in extras]:
            case [one]:

                def add_one(record: Any, x: Any) -> int:
                    add(record)
                    one(x)
                    return size()

                return add_one
            case [one, two]:

                def add_two(record: Any, x: Any, y: Any) -> int:
                    add(record)
                    one(x)
                    two(y)
                    return size()

                return add_two
        return self.add

    def add(self, record: Any, *extras: Any) -> int:
        """Add ``record`` and the layout's extras (each given, None for a null) unchecked;
        returns the segment's row count."""
        if len(extras) != len(self._extras):
            raise TypeError(
                f"Columns.add: {len(self._extras)} values expected beside the record "
                f"({', '.join(self._layout.extras)}), got {len(extras)}"
            )
        self._records.append(record)
        for values, x in zip(self._extras, extras, strict=True):
            values.append(x)
        return len(self._records)

    def append(self, record: Any, *extras: Any) -> int:
        """Check ``record`` and its extras, then add them; a bad value raises naming the field."""
        if self._layout.name_of(record.__class__) is None:
            raise LogFormatError(
                self._layout.type_column, f"a registered {self._layout.noun}", record.__class__
            )
        trial = Columns(self._layout)
        trial.add(record, *extras)
        trial.to_batch()
        return self.add(record, *extras)

    # ------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        return {"layout": self._layout.name, "records": self._records, "extras": self._extras}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._layout = LAYOUTS[state["layout"]]
        self._records, self._extras = state["records"], state["extras"]

    # ------------------------------------------------------------ records -> Arrow

    def to_batch(
        self,
        *,
        first_seq: int = 1,
        replication: int = 0,
        derived: Mapping[str, pa.Array] | None = None,
    ) -> pa.RecordBatch:
        """The segment as a record batch of the layout's schema, numbered from ``first_seq``
        (``derived``: the layout's derived columns, made by the log)."""
        layout, records = self._layout, self._records
        n = len(records)
        classes = list(map(type, records))
        found = list(dict.fromkeys(classes))  # each class once, in order of first appearance
        names = {cls: self._name(cls) for cls in found}
        arrays: dict[str, pa.Array] = {
            layout.key: pa.array(np.arange(first_seq, first_seq + n, dtype=np.int64)),
            layout.type_column: pa.array(
                list(map(names.__getitem__, classes)), pa.string()
            ).dictionary_encode(),
            "replication": pa.array(np.full(n, replication, np.int32)),
            **(derived or {}),
        }
        for name, values in zip(layout.extras, self._extras, strict=True):
            arrays[name] = self._convert(name, values, None)
        spread: dict[str, np.ndarray] = {}
        codes = {cls: i for i, cls in enumerate(found)}
        by_class = np.fromiter(map(codes.__getitem__, classes), np.int32, n)
        order = np.argsort(by_class, kind="stable")
        bounds = np.searchsorted(by_class[order], np.arange(len(found) + 1))
        for i, cls in enumerate(found):
            rows = order[bounds[i] : bounds[i + 1]]
            self._spread(cls, rows, spread)
        for name in layout.payload:
            arrays[name] = self._convert(name, spread.get(name), n)
        return pa.RecordBatch.from_arrays(
            [arrays[f.name] for f in layout.schema], schema=layout.schema
        )

    def _name(self, cls: type) -> str:
        name = self._layout.name_of(cls)
        if name is None:
            raise LogFormatError(self._layout.type_column, f"a registered {self._layout.noun}", cls)
        return name

    def _spread(self, cls: type, rows: np.ndarray, spread: dict[str, np.ndarray]) -> None:
        """Put the fields of the records of ``cls`` (at ``rows``) into their columns."""
        pairs = self._layout.fields_of(cls)
        if not pairs:
            return
        records = self._records
        at = rows.tolist()
        picked = itemgetter(*at)(records) if len(at) > 1 else (records[at[0]],)
        values = list(map(attrgetter(*(f for f, _ in pairs)), picked))
        columns = zip(*values, strict=True) if len(pairs) > 1 else (values,)
        n = len(records)
        required = _required(cls)
        for (f, name), column in zip(pairs, columns, strict=True):
            self._check(cls, f, name, column, f in required)
            full = spread.get(name)
            if full is None:
                full = spread[name] = np.full(n, None, object)
            if name in self._layout.convert:  # nested values: numpy would read them as rows
                for row, value in zip(at, column, strict=True):
                    full[row] = value
            else:
                full[rows] = column

    def _check(self, cls: type, f: str, name: str, column: Any, required: bool) -> None:
        """Refuse a value of a type its column does not hold (Arrow would take a float for an
        integer and truncate it); one set of types per class and column, not a test per row."""
        kinds = set(map(type, column))
        allowed = _ALLOWED.get(str(self._layout.schema.field(name).type))
        if allowed is None:
            return
        wrong = {k for k in kinds if not _takes(allowed, k) and (required or k is not _NONE)}
        if not wrong:
            return
        bad = next(v for v in column if type(v) in wrong)
        expected = _EXPECTED[str(self._layout.schema.field(name).type)]
        if bad is None:
            expected += " (the field is not optional)"
        raise LogFormatError(f"{self._name(cls)}.{f}", expected, bad)

    def _convert(self, name: str, values: Any, n: int | None) -> pa.Array:
        """Column ``name`` as Arrow from its values (None: every row null)."""
        kind = self._layout.schema.field(name).type
        if values is None:
            return pa.nulls(n or 0, kind)
        convert = self._layout.convert.get(name)
        try:
            if convert is not None:
                return pa.array([None if v is None else convert(v) for v in values], kind)
            if pa.types.is_dictionary(kind):
                return pa.array(values, pa.string()).dictionary_encode()
            return pa.array(values, kind)
        except _ARROW_ERRORS as e:
            raise self._bad_value(name, values) from e

    def _bad_value(self, name: str, values: Any) -> LogFormatError:
        """The first value of column ``name`` that Arrow cannot hold, named by its record's
        type and field."""
        kind = self._layout.schema.field(name).type
        target = pa.string() if pa.types.is_dictionary(kind) else kind
        convert = self._layout.convert.get(name, lambda v: v)
        for row, value in enumerate(values):
            try:
                pa.array([None if value is None else convert(value)], target)
            except _ARROW_ERRORS:
                record = self._records[row]
                pairs = self._layout.fields_of(type(record))
                field_name = next((f for f, c in pairs if c == name), name)
                where = f"{self._name(type(record))}.{field_name}"
                return LogFormatError(where, _EXPECTED.get(str(target), f"a {target}"), value)
        return LogFormatError(name, f"values a {kind} column holds", "one it cannot")


@cache
def _required(cls: type) -> tuple[str, ...]:
    """The fields of a record class that may not be None (not typed ``X | None``)."""
    hints = typing.get_type_hints(cls)
    return tuple(
        f.name for f in dataclasses.fields(cls) if type(None) not in typing.get_args(hints[f.name])
    )


_NONE = type(None)
_BOOLS = (bool, np.bool_)
_WHOLE = (int, np.integer)
_ALLOWED: dict[str, tuple[type, ...]] = {
    "int64": _WHOLE,
    "int32": _WHOLE,
    "double": (float, np.floating, *_WHOLE),
    "bool": _BOOLS,
    "string": (str,),
    "dictionary<values=string, indices=int32, ordered=0>": (str,),
}
"""The Python types (and subtypes, but booleans for numbers) a column of each Arrow type
takes; Arrow itself would truncate a float given for an integer."""


def _takes(allowed: tuple[type, ...], kind: type) -> bool:
    return issubclass(kind, allowed) and (allowed is _BOOLS or not issubclass(kind, _BOOLS))


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError)
_EXPECTED = {
    "int64": "an integer (int64)",
    "int32": "an integer (int32)",
    "double": "a number (float64)",
    "string": "a string",
    "dictionary<values=string, indices=int32, ordered=0>": "a string",
    "bool": "true or false",
}
