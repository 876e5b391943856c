"""The shipped scenarios: package data found by name, and copied out to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.errors import InputError
from simulation.scenario import load_scenario
from simulation.scenario.library import (
    copy_out,
    scenario_file,
    shipped_files,
    shipped_folder,
    shipped_names,
)

CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"


def test_the_shipped_scenarios_are_the_checkouts_files() -> None:
    """Installed editable (as `make` does), the package data is the checkout's scenarios/."""
    assert shipped_names() == sorted(p.stem for p in CHECKOUT.glob("*.toml"))
    assert "baseline" in shipped_names()
    expected = sorted(
        str(p.relative_to(CHECKOUT)) for p in CHECKOUT.rglob("*.toml")
    )  # every file, validation/ included
    assert list(shipped_files()) == expected
    for relative, source in shipped_files().items():
        assert source.read_bytes() == (CHECKOUT / relative).read_bytes(), relative


def test_a_bare_name_finds_the_shipped_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nowhere near the checkout
    assert scenario_file("baseline") == shipped_folder() / "baseline.toml"
    scenario = load_scenario("black-friday")  # extends = "baseline.toml", beside it
    assert scenario.name == "black-friday"
    assert scenario.horizon_days == load_scenario("baseline").horizon_days


def test_an_existing_path_wins_over_a_shipped_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("baseline").write_text("x = 1\n")
    assert scenario_file("baseline") == Path("baseline")


def test_a_path_is_never_taken_for_a_name(tmp_path: Path) -> None:
    """A missing path stays a path, for the reader to report as a missing file."""
    assert scenario_file("baseline.toml") == Path("baseline.toml")
    assert scenario_file(tmp_path / "baseline") == tmp_path / "baseline"
    with pytest.raises(InputError, match="file: expected an existing scenario file"):
        load_scenario(tmp_path / "baseline")


def test_an_unknown_name_is_refused_with_the_shipped_names() -> None:
    with pytest.raises(InputError) as caught:
        scenario_file("basline")
    assert caught.value.field == "scenario"
    assert caught.value.given == "basline"
    for name in shipped_names():
        assert name in str(caught.value)


def test_copy_out_writes_every_file_and_extends_still_resolve(tmp_path: Path) -> None:
    written = copy_out(shipped_files(), tmp_path / "mine")
    assert sorted(written) == sorted(tmp_path / "mine" / r for r in shipped_files())
    for path in written:
        assert path.read_bytes() == (CHECKOUT / path.relative_to(tmp_path / "mine")).read_bytes()
    assert load_scenario(tmp_path / "mine" / "ship-from-store.toml").name == "ship-from-store"
    pooled = load_scenario(tmp_path / "mine" / "validation" / "pooling-pooled.toml")
    assert pooled.name == "pooling-pooled"
    assert not list((tmp_path / "mine").rglob("*.tmp"))


def test_copy_out_refuses_to_replace_a_file_unless_forced(tmp_path: Path) -> None:
    edited = tmp_path / "baseline.toml"
    edited.write_text("# mine\n")
    files = shipped_files()
    with pytest.raises(InputError, match=r"--force to replace them.*baseline.toml'$"):
        copy_out(files, tmp_path)
    assert list(tmp_path.iterdir()) == [edited]  # nothing written beside it either
    assert edited.read_text() == "# mine\n"
    copy_out(files, tmp_path, force=True)
    assert edited.read_bytes() == (CHECKOUT / "baseline.toml").read_bytes()


def test_copy_out_refuses_a_file_for_a_folder(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(InputError, match="DIR: expected a folder"):
        copy_out(shipped_files(), tmp_path / "taken")
