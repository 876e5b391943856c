"""``omnicanal run`` on a small scenario: determinism, KPIs from the log alone, the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation import projections
from simulation.cli import app
from simulation.engine.compile import plan_of
from simulation.eventlog import read_log
from simulation.experiments.warmup import steady_state
from simulation.results import EVENTS, KPIS, MANIFEST
from simulation.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
runner = CliRunner()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenario")
    (folder / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())
    (folder / "small.toml").write_text(
        'extends = "baseline.toml"\nhorizon_days = 2\nwarmup_days = 0.5\n'
        "[arrivals]\nper_hour = 12\n[catalogue.generate]\ncount = 20\n"
    )
    return folder / "small.toml"


def _run(small: Path, out: Path, *args: str) -> Path:
    result = runner.invoke(app, ["run", str(small), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in out.iterdir() if p.name.startswith("small-")]
    return run


def test_same_seed_same_bytes_and_another_seed_differs(small: Path, tmp_path: Path) -> None:
    a = _run(small, tmp_path / "a", "--seed", "3", "--workers", "1")
    b = _run(small, tmp_path / "b", "--seed", "3", "--workers", "1")
    c = _run(small, tmp_path / "c", "--seed", "4", "--workers", "1")
    assert (a / EVENTS).read_bytes() == (b / EVENTS).read_bytes()
    assert (a / EVENTS).read_bytes() != (c / EVENTS).read_bytes()


def test_replications_kpis_and_manifest(small: Path, tmp_path: Path) -> None:
    run = _run(small, tmp_path, "--seed", "5", "--replications", "2", "--workers", "2")
    log = read_log(run / EVENTS)
    assert sorted(log["replication"].unique()) == [0, 1]
    written = pd.read_csv(run / KPIS)
    plan = plan_of(load_scenario(small))
    again = projections.kpis(log, horizon=plan.horizon, warmup=plan.warmup, costs=plan.costs())
    assert {"revenue", "gross_margin", "fulfilment_cost_per_order"} <= set(written.columns)
    pd.testing.assert_frame_equal(written, again, check_dtype=False)
    manifest = json.loads((run / MANIFEST).read_text())
    assert manifest["seed"] == 5
    assert manifest["replications"] == 2
    assert manifest["warmup_days"] == 0.5
    assert not (run / "batch_means.csv").exists()  # replications answer it instead
    assert manifest["scenario_file"]["arrivals"]["per_hour"] == 12
    assert {"events.parquet", "kpis.csv", "report.html", "figures/welch.png"} <= set(
        manifest["files"]
    )
    assert 0 <= manifest["warmup_suggestion_days"] < 2


def test_warmup_events_are_logged_but_not_counted(small: Path, tmp_path: Path) -> None:
    run = _run(small, tmp_path, "--seed", "5", "--workers", "1")
    log = read_log(run / EVENTS)
    # One long run also gets steady-state estimates by batch means, after the warm-up.
    assert list(pd.read_csv(run / "batch_means.csv").columns) == [
        "series", "mean", "ci_low", "ci_high", "batches", "observations",
    ]  # fmt: skip
    steady = steady_state(log, horizon=2 * 1440.0, warmup=720.0, batches=6).set_index("series")
    placed = log[(log["type"] == "OrderPlaced") & (log["t"] >= 720)]
    hourly = placed.groupby(placed["t"] // 60).size().reindex(range(12, 48), fill_value=0)
    assert steady.loc["orders_per_hour", "observations"] == 36
    assert steady.loc["orders_per_hour", "mean"] == pytest.approx(hourly.mean())
    early = log[log["t"] < 720]
    assert (early["type"] == "CustomerArrived").sum() > 0
    kpis = projections.kpis(log, warmup=720.0).iloc[0]
    assert kpis["visits"] == ((log["type"] == "CustomerArrived") & (log["t"] >= 720)).sum()


def test_a_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (SCENARIOS / "baseline.toml").read_text().replace("per_hour = 90", "per_hour = -1")
    )
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "arrivals.per_hour: expected greater than 0, got -1" in result.output
    assert not (tmp_path / "out").exists()


def test_a_users_policy_is_loaded_from_package_module_class(small: Path, tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    own.write_text(
        f'extends = "{small}"\nhorizon_days = 5\n[policies.replenishment]\n'
        'kind = "tests.simulation.test_policies:Every3"\nparams = { store = {}, warehouse = {} }\n'
    )
    plan = plan_of(load_scenario(own))
    assert {type(p).__name__ for p in plan.replenishment.values()} == {"Every3"}
    run = _run_named(own, tmp_path / "out")
    log = read_log(run / EVENTS)
    received = log[(log["type"] == "StockReceived") & (log["reason"] == "replenishment")]
    assert len(received) > 0
    assert set(received["qty"]) == {3}


def _run_named(file: Path, out: Path) -> Path:
    result = runner.invoke(app, ["run", str(file), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    (run,) = list(out.iterdir())
    return run
