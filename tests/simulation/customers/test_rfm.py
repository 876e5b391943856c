"""The buyers' RFM table: the lifetimes / PyMC-Marketing convention, counted in days."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.customers.rfm import COLUMNS, rfm_table
from simulation.eventlog import read_log
from simulation.results import EVENTS

runner = CliRunner()
DAY = 1440.0


def _orders(*rows: tuple[int, float, float]) -> pd.DataFrame:
    """OrderPlaced rows (customer, minutes, amount) among other events."""
    placed = [{"type": "OrderPlaced", "customer": c, "t": t, "amount": a} for c, t, a in rows]
    other = [{"type": "CartOpened", "customer": 9, "t": 5.0, "amount": None}]
    return pd.DataFrame(placed + other)


def test_periods_repeat_purchases_and_ages_in_days() -> None:
    log = _orders(
        (1, 0.5 * DAY, 10.0),  # first purchase, day 0: left out of the monetary value
        (1, 0.9 * DAY, 5.0),  # same day: one period with the first
        (1, 3.2 * DAY, 20.0),  # day 3
        (1, 7.0 * DAY, 40.0),  # day 7
        (2, 9.99 * DAY, 99.0),  # one purchase only, day 9
    )
    table = rfm_table(log, horizon_days=14)
    assert list(table.columns) == list(COLUMNS)
    assert table.to_dict("records") == [
        {"customer_id": 1, "frequency": 2, "recency": 7.0, "T": 13.0, "monetary_value": 30.0},
        {"customer_id": 2, "frequency": 0, "recency": 0.0, "T": 4.0, "monetary_value": 0.0},
    ]


def test_no_buyer_gives_an_empty_table_with_the_columns() -> None:
    table = rfm_table(_orders(), horizon_days=7)
    assert list(table.columns) == list(COLUMNS)
    assert table.empty


def test_one_replication_at_a_time() -> None:
    log = _orders((1, 0.0, 1.0)).assign(replication=[0, 1])
    with pytest.raises(ValueError, match="one replication"):
        rfm_table(log, horizon_days=7)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    small = ["--set", "horizon_days=14", "--set", "arrivals.per_hour=10", "--out", str(out)]
    assert runner.invoke(app, ["run", "baseline", *small]).exit_code == 0
    (folder,) = list(out.iterdir())
    return folder


def test_export_writes_one_row_per_buyer(run: Path) -> None:
    result = runner.invoke(app, ["export", str(run), "--format", "rfm"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(run / "customers.rfm.csv")
    log = read_log(run / EVENTS)
    placed = log[(log["type"] == "OrderPlaced") & (log["replication"] == 0)]
    assert list(table.columns) == list(COLUMNS)
    assert set(table["customer_id"]) == set(placed["customer"].astype(int))
    days = (placed["t"] // DAY).groupby(placed["customer"].astype(int)).nunique()
    assert (table.set_index("customer_id")["frequency"] == days - 1).all()
    assert ((table["recency"] <= table["T"]) & (table["recency"] >= 0)).all()
    assert ((table["frequency"] == 0) == (table["monetary_value"] == 0)).all()
    assert (table["frequency"] > 0).any()
    assert table["T"].max() <= 13


def test_export_needs_the_results_folder_and_a_csv(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "events.parquet"
    alone.write_bytes((run / EVENTS).read_bytes())
    result = runner.invoke(app, ["export", str(alone), "--format", "rfm"])
    assert result.exit_code == 2
    assert "manifest.json" in result.output
    wrong = runner.invoke(app, ["export", str(run), "--format", "rfm", "--out", "x.parquet"])
    assert wrong.exit_code == 2
    assert ".csv" in wrong.output
    assert not Path("x.parquet").exists()
