"""The Dask executor on a LocalCluster on loopback gives the local executor's logs, to the byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulation.cli import app
from simulation.experiments.replications import run_on_dask, run_replications
from tests.simulation.plans import small_plan

distributed = pytest.importorskip("distributed")

PLAN = small_plan(days=0.5, rate=10.0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, silence_logs=40,
    ) as local:  # fmt: skip
        yield local.scheduler_address


def test_dask_gives_the_same_logs_as_local_processes(cluster: str) -> None:
    local = run_replications(PLAN, seed=8, replications=3, workers=1)
    remote = run_on_dask(PLAN, seed=8, replications=3, address=cluster)
    assert all(a.equals(b) for a, b in zip(local, remote, strict=True))


def test_seeds_reach_the_workers(cluster: str) -> None:
    (eight,) = run_on_dask(PLAN, seed=8, replications=[1], address=cluster)
    (nine,) = run_on_dask(PLAN, seed=9, replications=[1], address=cluster)
    assert not eight.equals(nine)
    assert eight.equals(run_replications(PLAN, seed=8, replications=[1], workers=1)[0])


def test_run_on_the_cluster_writes_the_same_log(cluster: str, tmp_path: Path) -> None:
    scenario = str(Path(__file__).resolve().parents[3] / "scenarios" / "validation" / "mmc.toml")
    runner = CliRunner()
    for executor, out in (("local", "a"), ("dask", "b")):
        args = ["run", scenario, "--seed", "4", "--executor", executor, "--address", cluster]
        result = runner.invoke(app, [*args, "--out", str(tmp_path / out), "--workers", "1"])
        assert result.exit_code == 0, result.output
    (a,) = list((tmp_path / "a").iterdir())
    (b,) = list((tmp_path / "b").iterdir())
    assert (a / "events.parquet").read_bytes() == (b / "events.parquet").read_bytes()
    bad = runner.invoke(app, ["run", scenario, "--executor", "ray", "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2
    assert "--executor: expected local or dask, got 'ray'" in bad.output
