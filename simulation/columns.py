"""The log's columns: the Parquet schema, and the typed buffers records are appended into.

:class:`Columns` keeps one segment of a log the way Arrow wants it: one typed buffer per
column, filled field by field as records arrive, so that building the table is numpy and
pyarrow work only (no Python per record). A payload column's buffer holds a value only for
the records whose type has that field; which rows those are follows from the row's type, so
the nulls of absent fields cost nothing to record. Dictionary columns (``type``, ``channel``,
``location``, ``sku``, ``mode``, ``reason``, ``segment``) store int32 codes into a dictionary
that grows in order of first appearance, the order ``pyarrow.Array.dictionary_encode`` gives,
so the tables are equal to those of :func:`simulation.eventlog.to_table`, the oracle.

What a row is made of is a :class:`Layout`: the event log's (:data:`EVENTS`: an event's
fields, and beside it the id of the command that caused it) or the command log's
(:mod:`simulation.commandlog`: a command's fields, its customer and its outcome).
"""

from __future__ import annotations

import dataclasses
import typing
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

from simulation.domain.events import COLUMNS, EVENT_TYPES, SCHEMA_VERSION
from simulation.domain.records import define
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


_TYPECODES = {pa.int64(): "q", pa.float64(): "d", _DICT: "i", pa.bool_(): "b"}
_NUMPY = {"q": np.int64, "d": np.float64, "i": np.int32, "b": np.int8}
_EXPECTED = {"q": "an integer (int64)", "d": "a number (float64)", "b": "true or false"}

Put = Callable[..., int]
CodedPut = tuple[int, Put]
"""Per record class: its type code, and the function that puts its fields, the values given
beside it and its code into the buffers and returns the segment's row count."""


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
    kinds: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        kinds = {
            n: _TYPECODES.get(self.schema.field(n).type, "o") for n in (*self.payload, *self.extras)
        }
        object.__setattr__(self, "kinds", kinds)


def _event_name(cls: type) -> str | None:
    name: str | None = getattr(cls, "TYPE", None)
    return name if name is not None and EVENT_TYPES.get(name) is cls else None


@cache
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


class _Words(dict[Any, int]):
    """One dictionary column: value -> int32 code, new values numbered as they first appear.

    ``None`` maps to -1, the null code. Values are written as ``str(value)`` (a
    :class:`~simulation.types.Channel` as its value), as the oracle does.
    """

    __slots__ = ("_codes", "strings")

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []
        self._codes: dict[str, int] = {}

    def __missing__(self, value: Any) -> int:
        if value is None:
            return -1
        word = str(value)
        code = self._codes.setdefault(word, len(self.strings))
        if code == len(self.strings):
            self.strings.append(word)
        self[value] = code
        return code

    def keep(self, used: int) -> None:
        """Forget the words numbered ``used`` and above (an append that was undone)."""
        for value in [v for v, c in self.items() if c >= used]:
            del self[value]
        for word in self.strings[used:]:
            del self._codes[word]
        del self.strings[used:]


def _may_be_none(cls: type) -> set[str]:
    hints = typing.get_type_hints(cls)
    return {name for name, hint in hints.items() if type(None) in typing.get_args(hint)}


class Columns:
    """One segment of a log as per-column typed buffers (see the module docstring).

    :meth:`append` is atomic: a record with a value its column cannot hold raises
    :class:`~simulation.errors.LogFormatError` naming ``Type.field`` and leaves the buffers as
    they were.
    """

    __slots__ = (
        "_layout",
        "_nulls",
        "_plans",
        "_type_fields",
        "_type_names",
        "_types",
        "_values",
        "_words",
    )

    def __init__(self, layout: Layout = EVENTS) -> None:
        self._layout = layout
        kinds = layout.kinds
        self._types = array("i")
        self._type_names: list[str] = []
        self._type_fields: list[frozenset[str]] = []
        self._values: dict[str, Any] = {
            n: [] if k == "o" else array(k) for n, k in kinds.items() if k != "i"
        } | {n: array("i") for n, k in kinds.items() if k == "i"}
        self._nulls = {n: array("q") for n, k in kinds.items() if k not in "io"}
        """Per numeric column: the positions in its buffer that hold a None (as 0)."""
        self._words = {n: _Words() for n, k in kinds.items() if k == "i"}
        self._plans: dict[type, CodedPut] = {}

    def __len__(self) -> int:
        return len(self._types)

    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def nbytes(self) -> int:
        """Bytes in the typed buffers (the dictionaries' words and object columns not counted)."""
        buffers = [self._types, *self._values.values(), *self._nulls.values()]
        return sum(b.itemsize * len(b) for b in buffers if isinstance(b, array))

    def append(self, record: Any, *extras: Any) -> int:
        """Put ``record``'s fields and the layout's ``extras`` (each given, None for a null;
        the event log's: the id of the command that caused the event) into the buffers;
        returns the segment's row count."""
        plan = self._plans.get(record.__class__)
        if plan is None:
            plan = self._learn(record.__class__)
        try:
            return plan[1](record, *extras)
        except (TypeError, ValueError, OverflowError) as e:
            if len(extras) != len(self._layout.extras):
                raise TypeError(
                    f"Columns.append: {len(self._layout.extras)} values expected beside the "
                    f"record ({', '.join(self._layout.extras)}), got {len(extras)}"
                ) from None
            self._undo()
            raise self._bad_field(record, extras) from e

    # ------------------------------------------------------------ plans

    def _learn(self, cls: type) -> CodedPut:
        """The plan of a record class, made on its first record in this segment."""
        name = self._layout.name_of(cls)
        if name is None:
            raise LogFormatError(self._layout.type_column, f"a registered {self._layout.noun}", cls)
        plan = self._plan(cls, len(self._type_names))
        self._type_names.append(name)
        self._type_fields.append(self._present(cls))
        return plan

    def _present(self, cls: type) -> frozenset[str]:
        return frozenset(c for _, c in self._layout.fields_of(cls)) | set(self._layout.extras)

    def _plan(self, cls: type, code: int) -> CodedPut:
        plan: CodedPut = (code, self._putter(code, self._layout.fields_of(cls), _may_be_none(cls)))
        self._plans[cls] = plan
        return plan

    def _putter(self, code: int, pairs: tuple[tuple[str, str], ...], nullable: set[str]) -> Put:
        """One function that puts all of a record class's fields and the extras into their
        buffers, then its type ``code`` (last: a field that fails leaves the row uncounted),
        and returns the segment's row count.

        It is written out as source, one line per field, the way ``dataclasses`` writes an
        ``__init__``: a loop over per-field closures costs several times more per record, and
        every event of a run passes here.
        """
        scope: dict[str, Any] = {}
        extras = self._layout.extras
        lines = [f"def put(e{''.join(f', x{i}' for i in range(len(extras)))}):"]
        values = [(f"e.{f}", column, f in nullable) for f, column in pairs]
        values += [(f"x{i}", column, True) for i, column in enumerate(extras)]
        for i, (value, column, may_be_none) in enumerate(values):
            scope[f"add{i}"] = self._values[column].append
            if column in self._words:
                scope[f"words{i}"] = self._words[column]
                lines.append(f"    add{i}(words{i}[{value}])")
            elif may_be_none and column in self._nulls:
                scope[f"null{i}"], scope[f"rows{i}"] = (
                    self._nulls[column].append,
                    self._values[column],
                )
                lines += [
                    f"    if {value} is None:",
                    f"        null{i}(len(rows{i}))",
                    f"        add{i}(0)",
                    "    else:",
                    f"        add{i}({value})",
                ]
            else:
                lines.append(f"    add{i}({value})")
        scope["add_type"], scope["types"] = self._types.append, self._types
        lines += [f"    add_type({code})", "    return len(types)"]
        put: Put = define("put", "\n".join(lines), scope)
        return put

    # ------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        """The buffers and dictionaries; the plans (bound to the buffers) are made again."""
        return {
            "layout": self._layout.name,
            "types": self._types,
            "type_names": self._type_names,
            "values": self._values,
            "nulls": self._nulls,
            "words": self._words,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._layout = LAYOUTS[state["layout"]]
        self._types, self._type_names = state["types"], state["type_names"]
        self._values, self._nulls, self._words = state["values"], state["nulls"], state["words"]
        self._plans, self._type_fields = {}, []
        for code, name in enumerate(self._type_names):
            cls = self._layout.class_of(name)
            self._plan(cls, code)
            self._type_fields.append(self._present(cls))

    # ------------------------------------------------------------ a bad record

    def _bad_field(self, record: Any, extras: tuple[Any, ...]) -> LogFormatError:
        cls = type(record)
        nullable, name = _may_be_none(cls), self._layout.name_of(cls)
        kinds = self._layout.kinds
        values = [(f, c, getattr(record, f), f in nullable) for f, c in self._layout.fields_of(cls)]
        values += [(c, c, x, True) for c, x in zip(self._layout.extras, extras, strict=True)]
        for f, column, value, may_be_none in values:
            kind = kinds[column]
            if kind in "io" or (value is None and may_be_none):
                continue
            try:
                array(kind, [value])
            except (TypeError, ValueError, OverflowError):
                return LogFormatError(f"{name}.{f}", _EXPECTED[kind], value)
        return LogFormatError("record", "a record whose fields fit the log columns", record)

    def _undo(self) -> None:
        """Cut every buffer back to the rows appended so far (the last append failed)."""
        types = np.array(self._types, dtype=np.int32)
        counts = np.bincount(types, minlength=len(self._type_names))
        for name, values in self._values.items():
            rows = sum(int(n) for n, f in zip(counts, self._type_fields, strict=True) if name in f)
            del values[rows:]
            if name in self._nulls:
                nulls = self._nulls[name]  # positions rise, so the undone ones are at the end
                while nulls and nulls[-1] >= rows:
                    nulls.pop()
            elif name in self._words:
                self._words[name].keep(max(values, default=-1) + 1)
        used = int(types.max()) + 1 if len(types) else 0
        for cls in [c for c, plan in self._plans.items() if plan[0] >= used]:
            del self._plans[cls]
        del self._type_names[used:], self._type_fields[used:]

    # ------------------------------------------------------------ buffers -> Arrow

    def to_batch(
        self,
        *,
        first_seq: int = 1,
        replication: int = 0,
        derived: Mapping[str, pa.Array] | None = None,
    ) -> pa.RecordBatch:
        """The segment as a record batch of the layout's schema, numbered from ``first_seq``
        (``derived``: the layout's derived columns, made by the log).

        Every array's memory comes from pyarrow's pool (:func:`_empty`), which keeps freed
        pages for the next batch: numpy's fresh allocations of this size are new pages from
        the system, and their page faults cost a fifth of building a batch.
        """
        layout = self._layout
        n = len(self._types)
        types, types_data = _empty(n, np.int32)
        types[:] = np.frombuffer(self._types, np.int32) if n else 0  # a copy: appends go on
        seq, seq_data = _empty(n, np.int64)
        seq[:] = np.arange(first_seq, first_seq + n, dtype=np.int64)
        replications, replications_data = _empty(n, np.int32)
        replications.fill(replication)
        arrays = {
            layout.key: _array(pa.int64(), n, seq_data, None),
            layout.type_column: pa.DictionaryArray.from_arrays(
                _array(pa.int32(), n, types_data, None), pa.array(self._type_names, pa.string())
            ),
            "replication": _array(pa.int32(), n, replications_data, None),
            **(derived or {}),
        }
        present = np.empty(n, bool)  # present[row]: the row's type has the column
        for name in layout.kinds:
            has = np.array([name in fields for fields in self._type_fields], dtype=bool)
            np.take(has, types, out=present)
            arrays[name] = self._column(name, present)
        return pa.RecordBatch.from_arrays(
            [arrays[f.name] for f in layout.schema], schema=layout.schema
        )

    def _column(self, name: str, present: np.ndarray) -> pa.Array:
        """One payload column: its buffer spread over the rows whose type has the field."""
        kind, n = self._layout.kinds[name], len(present)
        if kind == "o":
            return self._objects(name, present)
        buffer, dtype = self._values[name], _NUMPY[kind]
        values = np.frombuffer(buffer, dtype) if buffer else np.empty(0, dtype)
        full, data = _empty(n, dtype)
        if len(values) == n:
            full[:] = values  # a copy: appends go on
            rows = None
        else:
            rows = np.flatnonzero(present)
            full.fill(0)  # the absent rows' slots: null, but written the same in every run
            full[rows] = values
        if kind == "i":
            empty = values < 0  # a None in a dictionary column
            if not empty.any():
                valid = None if rows is None else present
            else:
                valid = present.copy()
                valid[(np.flatnonzero(present) if rows is None else rows)[empty]] = False
                full[~valid] = 0
            indices = _array(pa.int32(), n, data, valid)
            dictionary = pa.array(self._words[name].strings, pa.string())
            return pa.DictionaryArray.from_arrays(indices, dictionary)
        nulls = self._nulls[name]
        if nulls:
            valid = present.copy()
            at = np.frombuffer(nulls, np.int64)
            valid[(np.flatnonzero(present) if rows is None else rows)[at]] = False
        else:
            valid = None if rows is None else present
        if kind == "b":
            return pa.array(full.astype(bool), mask=None if valid is None else ~valid)
        return _array(self._layout.schema.field(name).type, n, data, valid)

    def _objects(self, name: str, present: np.ndarray) -> pa.Array:
        """An object column (nested values): converted value by value, None where absent."""
        convert = self._layout.convert.get(name, lambda v: v)
        spread: list[Any] = [None] * len(present)
        for row, value in zip(np.flatnonzero(present).tolist(), self._values[name], strict=True):
            spread[row] = None if value is None else convert(value)
        return pa.array(spread, self._layout.schema.field(name).type)


def _empty(n: int, dtype: Any) -> tuple[np.ndarray, pa.Buffer]:
    """``n`` uninitialised values from pyarrow's memory pool: a numpy view to fill, and the
    buffer an Arrow array is made of."""
    data = pa.allocate_buffer(n * np.dtype(dtype).itemsize)
    return np.frombuffer(data, dtype), data


def _array(kind: pa.DataType, n: int, data: pa.Buffer, valid: np.ndarray | None) -> pa.Array:
    """An Arrow array of ``n`` values over ``data`` (not copied), null where ``valid`` is False."""
    if valid is None:
        return pa.Array.from_buffers(kind, n, [None, data])
    # pa.array(values, mask=...) converts value by value; a bitmap from numpy does not.
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(kind, n, [bitmap, data], n - int(np.count_nonzero(valid)))
