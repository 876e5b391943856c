"""Studio jobs: a run in a child process writes the folder `omnicanal run` writes, reporting
each replication; a cancel stops the child and every worker process, leaving nothing."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import psutil
import pytest

from simulation.studio.jobs import Job

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TINY = {"horizon_days": 1, "arrivals.per_hour": 6.0, "catalogue.generate.count": 10}


def spec(out: Path, replications: int, workers: int, **overrides: object) -> dict[str, object]:
    return {
        "kind": "run", "scenario": str(SCENARIOS / "baseline.toml"), "overrides": overrides,
        "seed": 3, "replications": replications, "workers": workers, "out": str(out),
    }  # fmt: skip


def test_a_run_writes_the_folder_omnicanal_run_writes_and_reports_each_replication(
    tmp_path: Path,
) -> None:
    import subprocess

    seen: list[tuple[str, int]] = []
    job = Job(spec(tmp_path / "studio", 2, 1, **TINY), total=2, out=tmp_path / "studio")
    asyncio.run(job.run(on_update=lambda j: seen.append((j.state, j.done))))
    assert job.state == "done", job.error
    assert ("running", 1) in seen
    assert ("running", 2) in seen
    assert job.folder is not None
    assert job.folder.parent == tmp_path / "studio"
    sets = [f"--set={k}={v}" for k, v in TINY.items()]
    subprocess.run(
        [sys.executable, "-m", "simulation.cli", "run", str(SCENARIOS / "baseline.toml"), *sets,
         "--seed", "3", "--replications", "2", "--workers", "1", "--out", str(tmp_path / "cli")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (cli,) = (tmp_path / "cli").iterdir()
    assert _files(job.folder) == _files(cli)
    for name in ("kpis.csv", "events.parquet", "commands.parquet"):
        assert (job.folder / name).read_bytes() == (cli / name).read_bytes(), name


def test_a_cancel_stops_the_child_and_every_worker_leaving_no_folder(tmp_path: Path) -> None:
    async def scenario() -> tuple[Job, list[int]]:
        job = Job(spec(tmp_path, 2, 2, horizon_days=14), total=2, out=tmp_path)
        running = asyncio.create_task(job.run())
        family = await _workers_of(job, at_least=2)
        await job.cancel()
        await running
        return job, family

    job, family = asyncio.run(scenario())
    assert job.state == "cancelled"
    assert len(family) >= 3  # the child and its two workers
    time.sleep(0.2)
    assert [pid for pid in family if _alive(pid)] == []
    assert list(tmp_path.iterdir()) == []  # no results folder, no half-written one


async def _workers_of(job: Job, *, at_least: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if job.pid is not None and _alive(job.pid):
            children = psutil.Process(job.pid).children(recursive=True)
            if len(children) >= at_least:
                return [job.pid, *(c.pid for c in children)]
        await asyncio.sleep(0.1)
    pytest.fail("the run's workers never started")


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
