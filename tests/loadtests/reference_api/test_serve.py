"""``omnicanal serve`` as a user runs it: the token from a file, and a durable store that the
replay resets, twice in a row, with nothing to reconcile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.reference_api.serve import read_token
from loadtests.reference_api.store import EPOCH, SQLiteStore
from simulation import run as simulate
from simulation.errors import InputError
from tests.loadtests.reference_api.serving import ROOT, SCENARIOS, serving

TOKEN = "s3cret-serve-token"


def test_the_token_comes_from_the_option_then_the_file_variable_then_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    option, env_file = tmp_path / "option", tmp_path / "env-file"
    option.write_text("from-option\n")
    env_file.write_text("from-env-file\n")
    monkeypatch.setenv("OMNICANAL_API_TOKEN", "from-env")
    assert read_token(None) == "from-env"
    monkeypatch.setenv("OMNICANAL_API_TOKEN_FILE", str(env_file))
    assert read_token(None) == "from-env-file"
    assert read_token(option) == "from-option"
    env_file.write_text("  \n")
    with pytest.raises(InputError, match=r"OMNICANAL_API_TOKEN_FILE.*is empty"):
        read_token(None)
    monkeypatch.setenv("OMNICANAL_API_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(InputError, match=r"OMNICANAL_API_TOKEN_FILE.*readable"):
        read_token(None)
    monkeypatch.delenv("OMNICANAL_API_TOKEN_FILE")
    monkeypatch.delenv("OMNICANAL_API_TOKEN")
    with pytest.raises(InputError, match="OMNICANAL_API_TOKEN"):
        read_token(None)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario, results folder): a day of the baseline at 12 arrivals an hour, with stock
    for everyone, so that no two customers compete for the last unit and the replay's order
    of arrival cannot change a decision."""
    folder = tmp_path_factory.mktemp("serve-replay")
    scenario = folder / "small.toml"
    scenario.write_text(
        f'extends = "{SCENARIOS / "baseline.toml"}"\nhorizon_days = 1\nwarmup_days = 0\n'
        "[arrivals]\nper_hour = 12\n[catalogue.generate]\ncount = 20\n"
        "[catalogue.stock]\nwarehouse = 2000\nstore = 200\n"
    )
    made = simulate(scenario, out=folder)
    assert made.folder is not None
    return scenario, made.folder


def _replay(results: Path, base: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"OMNICANAL_API_TOKEN": TOKEN}
    command = [
        sys.executable, "-m", "simulation.cli", "replay", str(results), "--target", base,
        "--speedup", "20000", "--out", str(out),
    ]  # fmt: skip
    return subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )


def test_serve_on_a_durable_store_then_replay_twice_in_a_row(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    scenario, results = small
    db = tmp_path / "api.db"
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    env = {"OMNICANAL_API_TOKEN": "", "OMNICANAL_API_TOKEN_FILE": str(token_file)}
    with serving(f"sqlite:///{db}", env=env, scenario=scenario) as base:
        for attempt in range(2):
            done = _replay(results, base, tmp_path / f"replay-{attempt}")
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stdout.splitlines()[-1] == "discrepancies: 0"
    with SQLiteStore(db) as store:
        stored = list(store.follow())
        assert store.epoch().number == 3  # the first start, then one reset per replay
    markers = [e.position for e in stored if e.type == EPOCH]
    assert len(markers) == 3
    first_run = [e.type for e in stored[markers[1] : markers[2] - 1]]
    second_run = [e.type for e in stored[markers[2] :]]
    assert "OrderPlaced" in first_run  # the first replay's history is still there
    assert sorted(first_run) == sorted(second_run)  # and the second did the same
