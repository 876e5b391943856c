"""The ``omnicanal`` command: what it writes, what it prints, how it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from simulation import projections
from simulation.cli import app
from simulation.domain.events import SCHEMA_VERSION
from simulation.eventlog import read_log
from simulation.results import COHORTS, COMMANDS, EVENTS, KPIS, MANIFEST, REPORT, sha256

runner = CliRunner()


def _only_run(root: Path) -> Path:
    runs = list(root.iterdir())
    assert len(runs) == 1, runs
    return runs[0]


def test_demo_writes_a_complete_results_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    run = _only_run(tmp_path)
    assert run.name.startswith("demo-")
    assert sorted(p.name for p in run.iterdir()) == sorted(
        [
            COHORTS,
            COMMANDS,
            EVENTS,
            "conversion.csv",
            "figures",
            KPIS,
            MANIFEST,
            REPORT,
            "stockouts.csv",
        ]
    )
    assert sorted(p.name for p in (run / "figures").iterdir()) == [
        "conversion_by_channel.png", "fill_rate_by_channel.png", "lead_time.png",
        "orders_by_channel_and_mode.png", "stock_on_hand.png",
    ]  # fmt: skip
    report = (run / REPORT).read_text()
    assert report.count("data:image/png;base64,") == 5
    assert "Fill rate" in report
    assert f"wrote {run}" in result.output

    manifest = json.loads((run / MANIFEST).read_text())
    assert manifest["scenario"] == "demo"
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["events"] == len(read_log(run / EVENTS))
    assert set(manifest["versions"]) >= {"python", "omnicanal", "pyarrow", "pandas", "simpy"}
    assert [r["rule"] for r in manifest["refused_commands"]] == [
        "stock.insufficient", "stock.insufficient", "hold.expired",
    ]  # fmt: skip
    for name, meta in manifest["files"].items():
        assert meta["sha256"] == sha256(run / name)


def test_kpis_csv_is_recomputed_from_the_log_alone(tmp_path: Path) -> None:
    assert runner.invoke(app, ["demo", "--out", str(tmp_path)]).exit_code == 0
    run = _only_run(tmp_path)
    written = pd.read_csv(run / KPIS)
    again = projections.kpis(read_log(run / EVENTS))
    pd.testing.assert_frame_equal(written, again, check_dtype=False)


def test_two_demos_in_the_same_second_do_not_collide(tmp_path: Path) -> None:
    for _ in range(2):
        assert runner.invoke(app, ["demo", "--out", str(tmp_path)]).exit_code == 0
    assert len(list(tmp_path.iterdir())) == 2


def test_a_failing_run_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(log: pd.DataFrame) -> pd.DataFrame:
        raise RuntimeError("projection crashed")

    monkeypatch.setattr(projections, "kpis", broken)
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_inspect_checks_the_log_and_prints_kpis(tmp_path: Path) -> None:
    runner.invoke(app, ["demo", "--out", str(tmp_path)])
    result = runner.invoke(app, ["inspect", str(_only_run(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "replication 0: 126 events" in result.output
    assert "Fill rate" in result.output


def test_inspect_names_a_bad_row_and_exits_2(tmp_path: Path) -> None:
    runner.invoke(app, ["demo", "--out", str(tmp_path)])
    path = _only_run(tmp_path) / EVENTS
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame.loc[3, "location"] = None  # a StockReceived without a location
    pq.write_table(table.from_pandas(frame, schema=table.schema, preserve_index=False), path)
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 2
    assert "row 3 (seq 4): location: expected a location id for StockReceived, got None" in (
        result.output
    )


def test_inspect_of_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "expected a results folder or an events.parquet file" in result.output


def test_serve_refuses_to_start_without_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OMNICANAL_API_TOKEN", raising=False)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert (
        "OMNICANAL_API_TOKEN: expected a token in the environment or --token-file" in result.output
    )
    missing = runner.invoke(app, ["serve", "--token-file", str(tmp_path / "none")])
    assert missing.exit_code == 2
    assert "--token-file: expected a readable file holding the token" in missing.output


def test_serve_refuses_a_password_in_the_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMNICANAL_API_TOKEN", "t")
    result = runner.invoke(app, ["serve", "--db", "postgresql://user:hunter2@127.0.0.1/test"])
    assert result.exit_code == 2
    assert "a DSN without a password" in result.output
    assert "hunter2" not in result.output


def test_run_finds_a_shipped_scenario_by_name_and_records_its_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # outside the checkout: the name, not a relative path, finds it
    result = runner.invoke(
        app,
        ["run", "baseline", "--set", "horizon_days=0.25", "--set", "arrivals.per_hour=30",
         "--out", "out"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((_only_run(tmp_path / "out") / MANIFEST).read_text())
    assert manifest["scenario"] == "baseline"
    assert manifest["overrides"] == {"horizon_days": 0.25, "arrivals.per_hour": 30}
    assert manifest["horizon_days"] == 0.25
    assert manifest["scenario_file"]["arrivals"]["per_hour"] == 30
    log = read_log(_only_run(tmp_path / "out") / EVENTS)
    assert log["t"].max() <= 0.25 * 24 * 60


def test_run_without_overrides_records_none(tmp_path: Path) -> None:
    small = tmp_path / "small.toml"
    shipped = Path(__file__).resolve().parents[2] / "scenarios" / "validation" / "mmc.toml"
    small.write_text(shipped.read_text())
    result = runner.invoke(app, ["run", str(small), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert json.loads((_only_run(tmp_path / "out") / MANIFEST).read_text())["overrides"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "arrivals.per_hour=30,60"], "--set arrivals.per_hour: expected one value"),
        (["--set", "arrivals.per_hou=30"], "--set: arrivals.per_hou: expected a known field"),
        (["--set", "arrivals.per_hour=-1"], "--set: arrivals.per_hour: expected greater than 0"),
        (["--set", "per_hour"], "--set[0]: expected path=value"),
    ],
)
def test_run_refuses_a_bad_override_before_running(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["run", "baseline", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [
        ["run", "basline"],
        ["validate", "basline"],
        ["sweep", "basline", "--set", "seed=1,2"],
        ["compare", "baseline", "basline"],
        ["select", "baseline", "basline"],
        ["serve", "--scenario", "basline", "--db", "memory"],
    ],
)
def test_a_name_that_is_neither_a_file_nor_shipped_lists_the_shipped_names(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMNICANAL_API_TOKEN", "t")
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())
    assert "scenario: expected a scenario file or the name of a shipped scenario" in line
    assert "(baseline, black-friday, click-and-collect-push," in line
    assert "got 'basline'" in line
    assert list(tmp_path.iterdir()) == []


def test_validate_takes_a_shipped_name() -> None:
    result = runner.invoke(app, ["validate", "black-friday"])
    assert result.exit_code == 0, result.output
    assert "valid scenario 'black-friday'" in result.output


def test_serve_defaults_to_the_shipped_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from simulation.scenario.library import shipped_folder

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda api, **kwargs: served.append(kwargs))
    monkeypatch.setenv("OMNICANAL_API_TOKEN", "t")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["serve", "--db", "memory", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert f"serving {shipped_folder() / 'baseline.toml'} on http://127.0.0.1:8123" in (
        " ".join(result.output.split())
    )
    assert served == [{"host": "127.0.0.1", "port": 8123, "log_level": "warning"}]
    named = runner.invoke(app, ["serve", "--db", "memory", "--scenario", "black-friday"])
    assert named.exit_code == 0, named.output
    assert f"serving {shipped_folder() / 'black-friday.toml'}" in " ".join(named.output.split())


def test_init_copies_the_scenarios_and_a_mapping_to_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "omnicanal-scenarios"
    copied = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    shipped = sorted(
        str(p.relative_to(checkout / "scenarios")) for p in checkout.glob("scenarios/**/*.toml")
    )
    assert copied == sorted([*shipped, "adapters/reference.toml"])
    assert (folder / "adapters" / "reference.toml").read_bytes() == (
        checkout / "loadtests" / "adapters" / "reference.toml"
    ).read_bytes()
    for name in copied:
        assert f"wrote omnicanal-scenarios/{name}" in result.output
    edited = folder / "ship-from-store.toml"  # extends = "baseline.toml": the copy beside it
    (folder / "baseline.toml").write_text(
        (folder / "baseline.toml").read_text().replace("horizon_days = 28", "horizon_days = 3")
    )
    check = runner.invoke(app, ["validate", str(edited)])
    assert check.exit_code == 0, check.output
    assert "3 days" in check.output

    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2
    assert "--force to replace them" in again.output
    assert "horizon_days = 3" in (folder / "baseline.toml").read_text()
    forced = runner.invoke(app, ["init", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "horizon_days = 28" in (folder / "baseline.toml").read_text()

    elsewhere = runner.invoke(app, ["init", str(tmp_path / "other")])
    assert elsewhere.exit_code == 0, elsewhere.output
    assert (tmp_path / "other" / "baseline.toml").is_file()
