"""``omnicanal compare``: a tidy table of means, paired differences and their intervals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.experiments.compare import COLUMNS, comparison, widest

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("compare")
    (folder / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())
    (folder / "small.toml").write_text(
        'extends = "baseline.toml"\nhorizon_days = 1\n[arrivals]\nper_hour = 15\n'
        "[catalogue.generate]\ncount = 20\n"
    )
    (folder / "siloed.toml").write_text(
        'extends = "small.toml"\n[policies.allocation]\nkind = "ring_fenced"\n'
        'reserve_at = "cart"\nfences = { store = 0.5, app = 0.25, web = 0.25 }\n'
    )
    return folder / "small.toml", folder / "siloed.toml"


def test_comparison_table_is_paired_by_replication() -> None:
    a = pd.DataFrame({"replication": [0, 1, 2], "orders": [10.0, 20.0, 30.0]})
    b = pd.DataFrame({"replication": [0, 1, 2], "orders": [11.0, 21.5, 31.0]})
    table = comparison({"a": a, "b": b}).set_index(["kpi", "scenario"])
    assert list(comparison({"a": a, "b": b}).columns) == COLUMNS
    assert pd.isna(table.loc[("orders", "a"), "diff"])
    row = table.loc[("orders", "b")]
    assert row["diff"] == pytest.approx(3.5 / 3)
    assert row["differs"]  # differences 1, 1.5, 1: tightly above zero
    assert row["ci_low"] < 11 < row["ci_high"]
    assert widest({"a": a}, ["orders"]) == pytest.approx(
        (table.loc[("orders", "a"), "ci_high"] - 20) / 20
    )


def test_compare_writes_the_comparison_and_flags_differences(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    small, siloed = files
    args = ["compare", str(small), str(siloed), "--replications", "3", "--seed", "2"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 0, result.output
    (run,) = list(tmp_path.iterdir())
    table = pd.read_csv(run / "comparison.csv")
    assert list(table.columns) == COLUMNS
    assert set(table["scenario"]) == {"small", "siloed"}
    kpis = pd.read_csv(run / "kpis.csv")
    a = kpis[kpis["scenario"] == "small"].set_index("replication")["orders"]
    b = kpis[kpis["scenario"] == "siloed"].set_index("replication")["orders"]
    row = table[(table["kpi"] == "orders") & (table["scenario"] == "siloed")].iloc[0]
    assert row["diff"] == pytest.approx((b - a).mean())
    assert sorted(p.name for p in (run / "events").iterdir()) == ["siloed.parquet", "small.parquet"]
    assert "report.html" in {p.name for p in run.iterdir()}


def test_half_width_mode_adds_replications_up_to_the_maximum(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    small, siloed = files
    args = ["compare", str(small), str(siloed), "--replications", "2", "--half-width", "0.1%"]
    result = runner.invoke(app, [*args, "--max-replications", "4", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (run,) = list(tmp_path.iterdir())
    assert sorted(pd.read_csv(run / "kpis.csv")["replication"].unique()) == [0, 1, 2, 3]


def test_one_file_is_not_a_comparison(files: tuple[Path, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", str(files[0]), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "FILES: expected two or more scenario files" in result.output


def test_select_names_the_best_scenario(files: tuple[Path, Path]) -> None:
    small, siloed = files
    args = [
        "select",
        str(siloed),
        str(small),
        "--kpi",
        "orders",
        "--delta",
        "5",
        "--n0",
        "3",
        "--seed",
        "2",
    ]
    result = runner.invoke(app, [*args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "best: small," in result.output
    bad = runner.invoke(app, ["select", str(small), str(siloed), "--kpi", "happiness", "--n0", "2"])
    assert bad.exit_code == 2
    assert "--kpi: expected a KPI column" in bad.output
