"""Malformed scenario files, generated from the baseline: each one loads or is one InputError
naming the file, never another exception.

The strategy edits ``scenarios/baseline.toml`` as a careless or hostile user would: a value
replaced by one of another type or size (booleans, huge or negative integers, inf, nan, strings,
arrays, tables), a key renamed or duplicated, lines deleted, the file truncated, bytes injected.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.engine.compile import plan_of
from simulation.errors import InputError
from simulation.scenario import load_scenario

BASE = (Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml").read_text()
LINES = BASE.splitlines(keepends=True)
PAIRS = [i for i, line in enumerate(LINES) if "=" in line and not line.startswith("#")]


def _float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


SCALARS = st.one_of(
    st.booleans().map(lambda b: "true" if b else "false"),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.floats().map(_float),
    st.sampled_from(["0", "-1", "1e12", "1e308", "0.0", "1", "2.5", "1e-300"]),
    st.text(max_size=12).map(json.dumps),
    st.sampled_from(['"warehouse"', '"web"', '"S01"', '"SKU0001"', '"baseline.toml"', '""']),
    st.just("1979-05-27T07:32:00Z"),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(st.sampled_from(["a", "web", "s", "S", "id"]), inner, max_size=3).map(
            lambda d: "{ " + ", ".join(f"{k} = {v}" for k, v in d.items()) + " }"
        ),
    ),
    max_leaves=6,
)
KEYS = st.one_of(
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    st.sampled_from(["id", "kind", "extends", "share", "horizon_days", "per_hour", "S"]),
)


@st.composite
def _edit(draw: st.DrawFn, lines: list[str]) -> list[str]:
    kind = draw(st.sampled_from(["value", "key", "delete", "duplicate", "table"]))
    i = draw(st.sampled_from(PAIRS)) if kind in {"value", "key"} else None
    if kind == "value" and i is not None:
        key = LINES[i].split("=", 1)[0]
        return [*lines[:i], f"{key}= {draw(VALUES)}\n", *lines[i + 1 :]]
    if kind == "key" and i is not None:
        rest = LINES[i].split("=", 1)[1]
        return [*lines[:i], f"{draw(KEYS)} ={rest}", *lines[i + 1 :]]
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        return lines[:at] + lines[at + draw(st.integers(1, 30)) :]
    if kind == "duplicate":
        return [*lines[: at + 1], lines[at], *lines[at + 1 :]]
    header = draw(st.sampled_from(["[network]", "[[segments]]", "[catalogue.initial.S01]", "[x]"]))
    return [*lines[:at], f"{header}\n", *lines[at:]]


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(_edit(lines))
    raw = "".join(lines).encode()
    if draw(st.integers(1, 5)) == 5:  # one file in five; most edits keep the bytes whole
        raw = raw[: draw(st.integers(0, len(raw)))]
    if draw(st.integers(1, 5)) == 5:  # one file in five; most edits keep the bytes whole
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return raw


def _error_of(path: Path) -> InputError | None:
    """What ``omnicanal validate`` does: load, compile; the error it would print, if any."""
    try:
        plan_of(load_scenario(path))
    except InputError as e:
        return e
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed())
def test_a_malformed_file_loads_or_is_one_error_naming_it(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "broken.toml"
        path.write_bytes(raw)
        error = _error_of(path)  # any other exception fails the test
    if error is not None:
        message = str(error)
        assert message.startswith(f"{path}:"), message
        assert "\n" not in message, message
        assert error.field, message
