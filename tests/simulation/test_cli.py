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
from simulation.results import EVENTS, KPIS, MANIFEST, REPORT, sha256

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
        [EVENTS, "conversion.csv", "figures", KPIS, MANIFEST, REPORT, "stockouts.csv"]
    )
    assert sorted(p.name for p in (run / "figures").iterdir()) == [
        "conversion_by_channel.png", "fill_rate_by_channel.png", "lead_time.png",
        "orders_by_channel_and_mode.png", "stock_on_hand.png",
    ]  # fmt: skip
    report = (run / REPORT).read_text()
    assert report.count("data:image/png;base64,") == 5
    assert "fill_rate" in report
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
    assert "fill_rate" in result.output


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
