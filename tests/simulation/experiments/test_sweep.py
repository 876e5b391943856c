"""Sweeps: the grid, typed values, a tidy table with one row per point and replication."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.errors import InputError
from simulation.experiments.sweep import parse_overrides, parse_sets, points, summarise

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_sets_are_parsed_and_typed() -> None:
    grid = parse_sets(
        ["policies.fulfilment.max_legs=1,2", "policies.allocation.kind=pooled", "x=0.5,true"]
    )
    assert grid == {
        "policies.fulfilment.max_legs": [1, 2],
        "policies.allocation.kind": ["pooled"],
        "x": [0.5, True],
    }
    assert points({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"},
    ]  # fmt: skip
    with pytest.raises(InputError, match=r"--set\[0\]: expected path=value1,value2"):
        parse_sets(["max_legs"])


def test_overrides_are_the_same_parse_with_one_value_a_path() -> None:
    assert parse_overrides(["arrivals.per_hour=30", "policies.allocation.kind=pooled"]) == {
        "arrivals.per_hour": 30,
        "policies.allocation.kind": "pooled",
    }
    assert parse_overrides([]) == {}
    with pytest.raises(InputError, match=r"--set arrivals.per_hour: expected one value.*'30,60'"):
        parse_overrides(["arrivals.per_hour=30,60"])
    with pytest.raises(InputError, match=r"--set\[1\]: expected path=value"):
        parse_overrides(["a=1", "=2"])


def test_summary_has_a_mean_and_interval_per_point_and_kpi() -> None:
    table = pd.DataFrame(
        {"a": [1, 1, 2, 2], "replication": [0, 1, 0, 1], "orders": [1.0, 3.0, 5.0, 5.0]}
    )
    summary = summarise(table, ["a"]).set_index(["a", "kpi"])
    assert summary.loc[(1, "orders"), "mean"] == 2.0
    assert summary.loc[(2, "orders"), "ci_low"] == summary.loc[(2, "orders"), "ci_high"] == 5.0


def test_sweep_writes_a_tidy_table(tmp_path: Path) -> None:
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())
    small = tmp_path / "small.toml"
    small.write_text(
        'extends = "baseline.toml"\nhorizon_days = 1\n[arrivals]\nper_hour = 10\n'
        "[catalogue.generate]\ncount = 20\n"
    )
    args = ["sweep", str(small), "--set", "arrivals.per_hour=5,15", "--replications", "2"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    (run,) = list((tmp_path / "out").iterdir())
    table = pd.read_parquet(run / "sweep.parquet")
    assert list(table.columns[:2]) == ["arrivals.per_hour", "replication"]
    assert table.groupby("arrivals.per_hour")["replication"].apply(list).to_dict() == {
        5: [0, 1],
        15: [0, 1],
    }
    means = table.groupby("arrivals.per_hour")["visits"].mean()
    assert means[15] > means[5]
    assert (run / "figures" / "orders-vs-arrivals.per_hour.png").exists()
    assert "data:image/png;base64," in (run / "report.html").read_text()


def test_a_bad_point_is_refused_before_anything_runs(tmp_path: Path) -> None:
    args = ["sweep", str(SCENARIOS / "baseline.toml"), "--set", "arrivals.per_hour=10,-1"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "arrivals.per_hour: expected greater than 0, got -1" in result.output
    assert list(tmp_path.iterdir()) == []
