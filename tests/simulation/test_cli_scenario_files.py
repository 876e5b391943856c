"""``omnicanal validate`` and ``run`` on broken scenario files (issue #27's "must show"): exit 2,
one line with file:line and the field, no traceback, no results folder."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.scenario import load_scenario
from simulation.scenario.estimate import check_size

runner = CliRunner()
BASE = (Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml").read_text()


def _edit(old: str, new: str) -> bytes:
    assert old in BASE, old
    return BASE.replace(old, new, 1).encode()


def _line(text: bytes, needle: str, occurrence: int = 0) -> int:
    found = [i for i, line in enumerate(text.decode().splitlines(), 1) if needle in line]
    return found[occurrence]


@dataclass(frozen=True)
class Broken:
    name: str
    content: bytes | None  # None: a directory of that name
    field: str
    line: int | None  # None where the file has no line to name
    given: str = ""
    file: str = "broken.toml"  # the file the message names (extends: another one)


STEP = _edit("research = { research = 0.2,", "reserch = { research = 0.2,")
NO_ID = _edit('id = "S03"\n', "")
SS = _edit("params.store = { s = 2, S = 6 }", "params.store = { s = 6, S = 2 }")
DISTANCES = (
    BASE.encode()
    + b"\n[network.distances.north]\n"
    + b"".join(f"{loc} = 1\n".encode() for loc in ["WH1", *(f"S0{i}" for i in range(1, 9)), "S99"])
)
BROKEN = [
    Broken("not UTF-8", BASE.encode() + 'description = "caf\xe9"\n'.encode("latin-1"),
           "file", BASE.count("\n") + 1, "byte 0xe9"),
    Broken("binary", bytes(range(256)) * 4, "file", 1, "binary data"),
    Broken("a directory", None, "file", None, "a directory"),
    Broken("empty", b"", "file", 1, "an empty file"),
    Broken("rate 1e12", _edit("per_hour = 90 ", "per_hour = 1e12 "), "arrivals.per_hour", 151,
           "about 6.2e+14 customers"),
    Broken("horizon 1e9", _edit("horizon_days = 28 ", "horizon_days = 1e9 "), "horizon_days", 12),
    Broken("inf", _edit("per_hour = 90 ", "per_hour = inf "), "arrivals.per_hour", 151, "inf"),
    Broken("nan", _edit("x = 3\n", "x = nan\n"), "network.locations[1].x", 45, "nan"),
    Broken("pickers = true", _edit("pickers = 12", "pickers = true"),
           "network.locations[0].pickers", 37, "True"),
    Broken("a number for a boolean", _edit("ship_from_store = true  #", "ship_from_store = 1  #"),
           "network.locations[1].ship_from_store", 50, "1"),
    Broken("distance to an unknown location", DISTANCES, "network.distances.north.S99",
           _line(DISTANCES, "S99 = 1"), "'S99'"),
    Broken("missing id", NO_ID, "network.locations[3].id",
           _line(NO_ID, "[[network.locations]]", 3), "None"),
    Broken("inverted (s,S)", SS, "policies.replenishment.params.store.S",
           _line(SS, "params.store"), "2"),
    Broken("unknown journey step", STEP, "segments[2].transitions.reserch",
           _line(STEP, "reserch"), "'reserch'"),
    Broken("extends cycle", b'extends = "other.toml"\n', "extends", 1,
           "'broken.toml -> other.toml -> broken.toml'", "other.toml"),
]  # fmt: skip


def _write(folder: Path, broken: Broken) -> Path:
    path = folder / "broken.toml"
    if broken.content is None:
        path.mkdir()
    else:
        path.write_bytes(broken.content)
    (folder / "other.toml").write_text('extends = "broken.toml"\n')
    return path


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("broken", BROKEN, ids=[b.name for b in BROKEN])
def test_a_broken_file_is_one_line_and_exit_2(tmp_path: Path, broken: Broken, command: str) -> None:
    path = _write(tmp_path, broken)
    results = tmp_path / "results"
    args = [command, str(path)] + (["--out", str(results)] if command == "run" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    named = str(tmp_path / broken.file) + (f":{broken.line}" if broken.line else "")
    assert lines[0].startswith(f"error: {named}: {broken.field}: expected "), lines[0]
    if broken.given:
        assert f"got {broken.given}" in lines[0], lines[0]
    if broken.name == "unknown journey step":
        assert lines[0].endswith("got 'reserch'"), lines[0]  # the value, not the segment
    assert not results.exists()


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    result = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "results")])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {path}: file: expected an existing scenario file, got '{path}'\n"
    )
    assert not (tmp_path / "results").exists()


def test_the_installed_command_prints_no_traceback_for_a_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(BASE.encode() + 'description = "caf\xe9"\n'.encode("latin-1"))
    command = Path(sys.executable).parent / "omnicanal"
    done = subprocess.run(
        [str(command), "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: {path}:{BASE.count(chr(10)) + 1}: file: expected UTF-8 text, "
        "got byte 0xe9 (save the file as UTF-8)\n"
    )


def test_validate_prints_the_estimate_of_a_valid_file() -> None:
    path = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.endswith("valid scenario 'baseline': 9 locations, 200 skus, 3 segments, 28 days")
    # per_hour 90 over 28 days of the weekly profile: 55,440 customers expected; the rest is
    # the estimate's (tests/simulation/test_scenario_estimate.py holds it to a run)
    assert second == f"one replication: {check_size(load_scenario(path)).summary()}"
    assert second.startswith("one replication: about 55,400 customers, ")
    assert " MB of memory and " in second
    assert second.endswith(" s on this machine")
