"""Where a field is written: the line index of a TOML text, under pydantic's field paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulation.scenario.lines import index, line_of, parts

TEXT = """\
# a comment with [brackets] and key = value
title = "x"  # [not.a.table]
text = '''
fake = 1
[fake.table]
'''
"quoted key" = 1
a.b.c = { d = 1, e = { f = 2 }, 'g h' = 3 }
numbers = [
    1, 2,  # a comment inside
    3,
]
tables = [{ id = "A" }, { id = "B" }]

[[items]]
name = "first"

[[items]]
name = "second"
[items.sub]
deep = true

[[items.more]]
n = 1
[[items.more]]
n = 2

[other]
"odd.key" = "a # not a comment"
"""

EXPECTED = {
    ("title",): 2,
    ("text",): 3,
    ("quoted key",): 7,
    ("a", "b", "c", "d"): 8,
    ("a", "b", "c", "e", "f"): 8,
    ("a", "b", "c", "g h"): 8,
    ("numbers", 2): 11,
    ("tables", 1, "id"): 13,
    ("items",): 15,
    ("items", 0, "name"): 16,
    ("items", 1): 18,
    ("items", 1, "name"): 19,
    ("items", 1, "sub", "deep"): 21,
    ("items", 1, "more", 1, "n"): 26,
    ("other", "odd.key"): 29,
}


def test_the_text_is_valid_toml() -> None:
    assert tomllib.loads(TEXT)["items"][1]["more"][1]["n"] == 2


@pytest.mark.parametrize(("path", "line"), EXPECTED.items(), ids=str)
def test_every_kind_of_key_is_found_on_its_line(path: tuple[str | int, ...], line: int) -> None:
    assert index(TEXT)[path] == line


def test_strings_and_comments_make_no_keys() -> None:
    found = index(TEXT)
    assert ("fake",) not in found
    assert ("fake", "table") not in found
    assert ("not", "a", "table") not in found


def test_a_path_not_written_is_placed_at_its_deepest_written_part() -> None:
    found = index(TEXT)
    assert line_of(found, ("items", 1, "missing")) == (18, 2)
    assert line_of(found, ("items", 1, "sub", "gone")) == (20, 3)
    assert line_of(found, ("nowhere", "at all")) is None


def test_field_paths_are_split_as_pydantic_names_them() -> None:
    assert parts("network.locations[1].closes") == ("network", "locations", 1, "closes")
    assert parts("segments[*].share") == ("segments", "*", "share")
    assert parts("horizon_days") == ("horizon_days",)


def test_every_key_of_the_shipped_scenarios_is_found() -> None:
    for path in sorted((Path(__file__).resolve().parents[2] / "scenarios").rglob("*.toml")):
        text = path.read_text()
        found = index(text)
        for key in _keys(tomllib.loads(text)):
            assert not key or key in found, (path.name, key)


def _keys(data: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, dict):
        return [k for key, value in data.items() for k in _keys(value, (*prefix, key))] + [prefix]
    if isinstance(data, list):
        return [k for i, value in enumerate(data) for k in _keys(value, (*prefix, i))] + [prefix]
    return [prefix]
