"""The log's columns: the Parquet schema, and the typed buffers events are appended into.

:class:`Columns` keeps one segment of a log the way Arrow wants it: one typed buffer per
column, filled field by field as events arrive, so that building the table is numpy and
pyarrow work only (no Python per event). A payload column's buffer holds a value only for the
events whose type has that field; which rows those are follows from the row's type, so the
nulls of absent fields cost nothing to record. Dictionary columns (``type``, ``channel``,
``location``, ``sku``, ``mode``, ``reason``, ``segment``) store int32 codes into a dictionary
that grows in order of first appearance, the order ``pyarrow.Array.dictionary_encode`` gives,
so the tables are equal to those of :func:`simulation.eventlog.to_table`, the oracle.
"""

from __future__ import annotations

import dataclasses
import typing
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from simulation.domain.events import COLUMNS, EVENT_TYPES, SCHEMA_VERSION, Event
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
        pa.field("replication", pa.int32(), nullable=False),
    ],
    metadata={VERSION_KEY: str(SCHEMA_VERSION).encode()},
)
"""The log's columns, in order, with the schema version in the metadata."""

_TYPECODES = {pa.int64(): "q", pa.float64(): "d", _DICT: "i"}
_NUMPY = {"q": np.int64, "d": np.float64, "i": np.int32}
_EXPECTED = {"q": "an integer (int64)", "d": "a number (float64)"}
_KIND = {name: _TYPECODES[SCHEMA.field(name).type] for name in COLUMNS}

Put = Callable[[Event], int]
Plan = tuple[int, Put]
"""Per event class: its type code, and the function that puts its fields and code into the
buffers and returns the segment's row count."""


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


def _may_be_none(cls: type[Event]) -> set[str]:
    hints = typing.get_type_hints(cls)
    return {name for name, hint in hints.items() if type(None) in typing.get_args(hint)}


class Columns:
    """One segment of a log as per-column typed buffers (see the module docstring).

    :meth:`append` is atomic: an event with a value its column cannot hold raises
    :class:`~simulation.errors.LogFormatError` naming ``Type.field`` and leaves the buffers as
    they were.
    """

    __slots__ = ("_nulls", "_plans", "_type_fields", "_type_names", "_types", "_values", "_words")

    def __init__(self) -> None:
        self._types = array("i")
        self._type_names: list[str] = []
        self._type_fields: list[frozenset[str]] = []
        self._values = {name: array(_KIND[name]) for name in COLUMNS}
        self._nulls = {n: array("q") for n in COLUMNS if _KIND[n] != "i"}
        """Per numeric column: the positions in its buffer that hold a None (as 0)."""
        self._words = {n: _Words() for n in COLUMNS if _KIND[n] == "i"}
        self._plans: dict[type[Event], Plan] = {}

    def __len__(self) -> int:
        return len(self._types)

    @property
    def nbytes(self) -> int:
        """Bytes in the typed buffers (the dictionaries' words not counted)."""
        buffers = [self._types, *self._values.values(), *self._nulls.values()]
        return sum(b.itemsize * len(b) for b in buffers)

    def append(self, event: Event) -> int:
        """Put ``event``'s fields into the buffers; returns the segment's row count."""
        plan = self._plans.get(event.__class__)
        if plan is None:
            plan = self._learn(event.__class__)
        try:
            return plan[1](event)
        except (TypeError, ValueError, OverflowError) as e:
            self._undo()
            raise self._bad_field(event) from e

    # ------------------------------------------------------------ plans

    def _learn(self, cls: type[Event]) -> Plan:
        """The plan of an event class, made on its first event in this segment."""
        if EVENT_TYPES.get(getattr(cls, "TYPE", None)) is not cls:  # type: ignore[arg-type]
            raise LogFormatError("type", "a registered event class", cls)
        plan = self._plan(cls, len(self._type_names))
        self._type_names.append(cls.TYPE)
        self._type_fields.append(frozenset(f.name for f in dataclasses.fields(cls)))
        return plan

    def _plan(self, cls: type[Event], code: int) -> Plan:
        names = tuple(f.name for f in dataclasses.fields(cls))
        plan: Plan = (code, self._putter(code, names, _may_be_none(cls)))
        self._plans[cls] = plan
        return plan

    def _putter(self, code: int, names: tuple[str, ...], nullable: set[str]) -> Put:
        """One function that puts all of an event class's fields into their buffers, then its
        type ``code`` (last: a field that fails leaves the row uncounted), and returns the
        segment's row count.

        It is written out as source, one line per field, the way ``dataclasses`` writes an
        ``__init__``: a loop over per-field closures costs several times more per event, and
        every event of a run passes here. Field names are the log's column names.
        """
        scope: dict[str, Any] = {}
        lines = ["def put(e):"]
        for i, name in enumerate(names):
            values = self._values[name]
            scope[f"add{i}"] = values.append
            if name in self._words:
                scope[f"words{i}"] = self._words[name]
                lines.append(f"    add{i}(words{i}[e.{name}])")
            elif name in nullable:
                scope[f"null{i}"], scope[f"rows{i}"] = self._nulls[name].append, values
                lines += [
                    f"    if e.{name} is None:",
                    f"        null{i}(len(rows{i}))",
                    f"        add{i}(0)",
                    "    else:",
                    f"        add{i}(e.{name})",
                ]
            else:
                lines.append(f"    add{i}(e.{name})")
        scope["add_type"], scope["types"] = self._types.append, self._types
        lines += [f"    add_type({code})", "    return len(types)"]
        put: Put = define("put", "\n".join(lines), scope)
        return put

    # ------------------------------------------------------------ pickling

    def __getstate__(self) -> dict[str, Any]:
        """The buffers and dictionaries; the plans (bound to the buffers) are made again."""
        return {
            "types": self._types,
            "type_names": self._type_names,
            "values": self._values,
            "nulls": self._nulls,
            "words": self._words,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._types, self._type_names = state["types"], state["type_names"]
        self._values, self._nulls, self._words = state["values"], state["nulls"], state["words"]
        self._plans, self._type_fields = {}, []
        for code, name in enumerate(self._type_names):
            cls = EVENT_TYPES[name]
            self._plan(cls, code)
            self._type_fields.append(frozenset(f.name for f in dataclasses.fields(cls)))

    # ------------------------------------------------------------ a bad event

    def _bad_field(self, event: Event) -> LogFormatError:
        nullable = _may_be_none(type(event))
        for f in dataclasses.fields(event):
            kind, value = _KIND[f.name], getattr(event, f.name)
            if kind == "i" or (value is None and f.name in nullable):
                continue
            try:
                array(kind, [value])
            except (TypeError, ValueError, OverflowError):
                return LogFormatError(f"{event.TYPE}.{f.name}", _EXPECTED[kind], value)
        return LogFormatError("event", "an event whose fields fit the log columns", event)

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
            else:
                self._words[name].keep(max(values, default=-1) + 1)
        used = int(types.max()) + 1 if len(types) else 0
        for cls in [c for c, plan in self._plans.items() if plan[0] >= used]:
            del self._plans[cls]
        del self._type_names[used:], self._type_fields[used:]

    # ------------------------------------------------------------ buffers -> Arrow

    def to_batch(self, *, first_seq: int = 1, replication: int = 0) -> pa.RecordBatch:
        """The segment as a record batch of :data:`SCHEMA`, numbered from ``first_seq``.

        Every array's memory comes from pyarrow's pool (:func:`_empty`), which keeps freed
        pages for the next batch: numpy's fresh allocations of this size are new pages from
        the system, and their page faults cost a fifth of building a batch.
        """
        n = len(self._types)
        types, types_data = _empty(n, np.int32)
        types[:] = np.frombuffer(self._types, np.int32) if n else 0  # a copy: appends go on
        seq, seq_data = _empty(n, np.int64)
        seq[:] = np.arange(first_seq, first_seq + n, dtype=np.int64)
        replications, replications_data = _empty(n, np.int32)
        replications.fill(replication)
        arrays = {
            "seq": _array(pa.int64(), n, seq_data, None),
            "type": pa.DictionaryArray.from_arrays(
                _array(pa.int32(), n, types_data, None), pa.array(self._type_names, pa.string())
            ),
            "replication": _array(pa.int32(), n, replications_data, None),
        }
        present = np.empty(n, bool)  # present[row]: the row's type has the column
        for name in COLUMNS:
            has = np.array([name in fields for fields in self._type_fields], dtype=bool)
            np.take(has, types, out=present)
            arrays[name] = self._column(name, present)
        return pa.RecordBatch.from_arrays([arrays[f.name] for f in SCHEMA], schema=SCHEMA)

    def _column(self, name: str, present: np.ndarray) -> pa.Array:
        """One payload column: its buffer spread over the rows whose type has the field."""
        kind, n = _KIND[name], len(present)
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
        if not nulls:
            return _array(SCHEMA.field(name).type, n, data, None if rows is None else present)
        valid = present.copy()
        at = np.frombuffer(nulls, np.int64)
        valid[(np.flatnonzero(present) if rows is None else rows)[at]] = False
        return _array(SCHEMA.field(name).type, n, data, valid)


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
