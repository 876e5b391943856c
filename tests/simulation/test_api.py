"""The Python API: run, compare and sweep as a notebook calls them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulation
from simulation import compare, load_scenario, run, sweep
from simulation.errors import InputError
from simulation.results import EVENTS, read_manifest

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHORT = {
    "horizon_days": 1,
    "warmup_days": 0,
    "arrivals.per_hour": 6,
    "catalogue.generate.count": 10,
}


def test_run_writes_the_folder_the_cli_writes_and_returns_its_kpis(tmp_path: Path) -> None:
    done = run(
        SCENARIOS / "baseline.toml", overrides=SHORT, out=tmp_path, replications=2, workers=1
    )
    assert done.folder is not None
    assert (done.folder / EVENTS).is_file()
    assert read_manifest(done.folder)["replications"] == 2
    assert list(done.kpis["replication"]) == [0, 1]
    assert sorted(done.log["replication"].unique()) == [0, 1]
    unwritten = run(
        SCENARIOS / "baseline.toml", overrides=SHORT, out=None, replications=2, workers=1
    )
    assert unwritten.folder is None
    pd.testing.assert_frame_equal(unwritten.kpis, done.kpis)  # the same numbers either way
    assert len(unwritten.log) == len(done.log)


def test_compare_and_sweep_answer_with_tables() -> None:
    base = load_scenario(SCENARIOS / "baseline.toml")
    siloed = SCENARIOS / "pooled-vs-siloed.toml"
    table = compare(base, siloed, replications=2, overrides=SHORT, workers=1)
    assert set(table["scenario"]) == {"baseline", "pooled-vs-siloed"}
    assert {"kpi", "mean", "ci_low", "ci_high", "diff", "differs"} <= set(table.columns)
    grid = sweep(
        base, {"policies.fulfilment.max_legs": [1, 2]}, replications=2, overrides=SHORT, workers=1
    )
    assert list(grid["policies.fulfilment.max_legs"]) == [1, 1, 2, 2]
    assert "fill_rate" in grid.columns


def test_a_bad_override_names_the_field() -> None:
    with pytest.raises(InputError, match=r"arrivals\.per_hour"):
        run(SCENARIOS / "baseline.toml", overrides={"arrivals.per_hour": -3}, out=None)
    with pytest.raises(InputError, match="two or more scenarios"):
        compare(SCENARIOS / "baseline.toml")


def test_the_public_names_are_there_and_unknown_ones_are_not() -> None:
    assert set(simulation.__all__) >= {"Scenario", "run", "compare", "sweep", "load_scenario"}
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = simulation.nonsense  # type: ignore[attr-defined]
