"""A draft: changes checked as the CLI checks them, saved as a small file `omnicanal run`
reads as it is; the form generated from the models."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from simulation.errors import InputError
from simulation.results import read_manifest
from simulation.scenario import load_scenario
from simulation.scenario.library import scenario_file
from simulation.studio.draft import Draft, dotted, message
from simulation.studio.fields import form

TINY = {"horizon_days": 1, "arrivals.per_hour": 6.0, "catalogue.generate.count": 10}


def omnicanal(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args], cwd=cwd, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_bad_value_gets_the_error_the_cli_gives_for_it(tmp_path: Path) -> None:
    draft = Draft("baseline")
    error = draft.set("arrivals.per_hour", -1)
    assert isinstance(error, InputError)
    assert message(error) == "arrivals.per_hour: expected greater than 0, got -1"
    cli = omnicanal("run", "baseline", "--set", "arrivals.per_hour=-1", cwd=tmp_path)
    assert cli.returncode == 2
    assert message(error) in " ".join(cli.stderr.split())
    base = load_scenario(scenario_file("baseline")).arrivals.per_hour
    assert draft.set("arrivals.per_hour", base) is None  # back to the base: no change left
    assert draft.changes == {}


def test_an_error_names_the_field_as_the_form_does() -> None:
    draft = Draft("baseline")
    error = draft.set("network.locations.1.closes", 5.0)
    assert error is not None
    assert dotted(error.field) == "network.locations.1.closes"
    assert dotted("segments[2].share") == "segments.2.share"


def test_a_saved_draft_extends_its_base_holds_only_the_changes_and_runs(tmp_path: Path) -> None:
    draft = Draft("baseline")
    for path, value in TINY.items():
        assert draft.set(path, value) is None
    assert draft.set("policies.allocation.reserve_at", "order") is None
    saved = draft.save(tmp_path / "mine" / "tiny.toml", description="tiny, reserve at order")
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    base = Path(data.pop("extends"))
    assert (saved.parent / base).resolve() == draft.base_file
    assert data == {
        "description": "tiny, reserve at order", "horizon_days": 1.0,
        "arrivals": {"per_hour": 6.0}, "catalogue": {"generate": {"count": 10}},
        "policies": {"allocation": {"reserve_at": "order"}},
    }  # fmt: skip
    done = omnicanal("run", str(saved), "--out", str(tmp_path / "results"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (folder,) = (tmp_path / "results").iterdir()
    manifest = read_manifest(folder)
    assert manifest["scenario"] == "tiny"
    assert manifest["horizon_days"] == 1.0
    assert manifest["scenario_file"]["policies"]["allocation"]["reserve_at"] == "order"


def test_an_invalid_draft_is_not_saved(tmp_path: Path) -> None:
    draft = Draft("baseline")
    draft.set("warmup_days", 30.0)
    with pytest.raises(InputError, match="warmup_days: expected less than horizon_days"):
        draft.save(tmp_path / "bad.toml")
    assert not (tmp_path / "bad.toml").exists()


def test_the_form_has_an_input_for_every_scalar_of_the_scenario() -> None:
    draft = Draft("baseline")
    scenario = draft.scenario()
    fields = {f.path: f for f in form(scenario).walk()}
    assert fields["arrivals.per_hour"].unit == "per hour"
    assert fields["arrivals.per_hour"].bounds == "> 0.0"
    assert fields["arrivals.per_hour"].doc.startswith("Customers per hour")
    assert fields["policies.allocation.reserve_at"].choices == ("cart", "order")
    assert fields["network.locations.3.pick_capacity"].kind == "integer"
    assert fields["segments.0.share"].unit == "share (0 to 1)"
    assert fields["warmup_days"].default == 0.0
    for path, made in fields.items():
        assert draft.set(path, made.value) is None, path  # every path is settable
    assert draft.changes == {}


def test_sweep_values_are_two_or_more_numbers_or_an_error_naming_the_field() -> None:
    from simulation.studio.sweep import parse_values

    assert parse_values("arrivals.per_hour", "4, 8.5") == [4, 8.5]
    with pytest.raises(InputError, match=r"arrivals\.per_hour values: expected numbers"):
        parse_values("arrivals.per_hour", "4, eight")
    with pytest.raises(InputError, match="expected two or more numbers"):
        parse_values("arrivals.per_hour", "4")


def test_an_array_is_saved_whole_but_without_the_fields_at_their_defaults(tmp_path: Path) -> None:
    draft = Draft("baseline")
    assert draft.set("network.locations.1.pick_capacity", 250) is None
    saved = draft.save(tmp_path / "bigger-s01.toml")
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    locations = data["network"]["locations"]
    assert len(locations) == len(draft.base_scenario().network.locations)
    assert locations[1]["pick_capacity"] == 250
    assert "pickers" not in locations[1]  # 2, the model's default
    assert locations[0]["pickers"] == 12  # the base's own value
    assert set(data) == {"extends", "network"}
