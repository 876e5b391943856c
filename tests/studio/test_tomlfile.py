"""The TOML writer: what it writes reads back as the same data."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.studio.tomlfile import dumps

text = st.characters(exclude_categories=("Cs",))  # TOML holds no lone surrogate
keys = st.text(text, min_size=1, max_size=8)
scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(text, max_size=12),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=5)


@given(documents)
def test_what_it_writes_reads_back_the_same(data: dict[str, Any]) -> None:
    assert tomllib.loads(dumps(data)) == data


def test_tables_and_arrays_of_tables_read_like_a_scenario_file() -> None:
    text = dumps({
        "extends": "baseline.toml", "horizon_days": 7,
        "arrivals": {"per_hour": 12.5, "channels": {"web": 1.0}},
        "segments": [{"name": "a", "share": 1.0, "modes": {"home_delivery": 1.0}}],
    })  # fmt: skip
    assert text.splitlines()[:6] == [
        'extends = "baseline.toml"', "horizon_days = 7", "", "[arrivals]", "per_hour = 12.5", "",
    ]  # fmt: skip
    assert "[[segments]]" in text
    assert "[segments.modes]" in text


def test_a_value_toml_cannot_hold_is_refused_naming_its_path() -> None:
    with pytest.raises(ValueError, match=r"arrivals\.per_hour: expected a value TOML can hold"):
        dumps({"arrivals": {"per_hour": float("inf")}})
