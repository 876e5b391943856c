"""``omnicanal replay`` end to end, over real HTTP on loopback: a truthful target reconciles to
zero; a target with a planted bug is caught; a delay and a stall show in the percentiles as
worked out by hand; a target in the wrong state is refused before the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI, HTTPException
from typer.testing import CliRunner

from loadtests.histogram import Histogram
from loadtests.journeys import journeys
from loadtests.reference_api.app import Receipt, create_app
from loadtests.replay import GRACE
from simulation.cli import app as cli
from simulation.commandlog import CommandLog, read_command_table
from simulation.domain.backend import Backend
from simulation.domain.commands import AddToCart, Command
from simulation.domain.events import Event, StockReserved, TouchpointVisited
from simulation.eventlog import EventLog
from simulation.types import Channel, CustomerId, SimTime
from tests.loadtests.loopback import serving

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TOKEN = "s3cret-replay-token"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replay")
    # Stock for everyone: open arrivals may deliver two customers' requests out of the log's
    # order on a loaded machine, and only then could a truthful target decide otherwise than
    # the simulation (the planted-bug test covers a target that answers wrongly).
    (folder / "small.toml").write_text(
        f'extends = "{SCENARIOS / "baseline.toml"}"\nhorizon_days = 1\nwarmup_days = 0\n'
        "[arrivals]\nper_hour = 12\n[catalogue.generate]\ncount = 20\n"
        "[catalogue.stock]\nwarehouse = 2000\nstore = 200\n"
    )
    result = CliRunner().invoke(cli, ["run", str(folder / "small.toml"), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    (made,) = folder.glob("small-*")
    return made


def replay(run: Path, base: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"OMNICANAL_API_TOKEN": TOKEN}
    command = [sys.executable, "-m", "simulation.cli", "replay", str(run), "--target", base, *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def _folder(result: subprocess.CompletedProcess[str]) -> Path:
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("wrote ")]
    return Path(line.removeprefix("wrote "))


def test_a_truthful_target_reconciles_to_zero(run: Path, tmp_path: Path) -> None:
    with serving(create_app(token=TOKEN)) as base:
        result = replay(run, base, "--speedup", "20000", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "discrepancies: 0"
    folder = _folder(result)
    stats = pd.read_csv(folder / "stats.csv").set_index("step")
    customers = len(journeys(read_command_table(run / "commands.parquet")))
    assert stats.loc["(journey)", "ok"] == customers  # every customer replayed, once
    outcomes = pd.read_parquet(folder / "outcomes.parquet")
    assert set(outcomes["result"]) == {"ok"}  # the target decided as the simulation did
    assert not outcomes.duplicated(["command"]).any()
    for name in ("report.html", "histograms.json", "timeline.csv", "figures/schedule_lag.png"):
        assert (folder / name).is_file()
    everything = (
        result.stdout
        + result.stderr
        + "".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())
    )
    assert TOKEN not in everything


class DroppingBackend(Backend):
    """A planted bug: adding to a cart answers success but keeps no reservation."""

    def decide(self, command: Command) -> list[Event]:
        events = super().decide(command)
        if isinstance(command, AddToCart):
            return [e for e in events if not isinstance(e, StockReserved)]
        return events


def test_a_dropped_reservation_is_reported_and_fails_the_run(run: Path, tmp_path: Path) -> None:
    buggy = create_app(token=TOKEN, backend=DroppingBackend)  # every epoch folds into one
    with serving(buggy) as base:
        result = replay(run, base, "--speedup", "20000", "--out", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.splitlines()[-1]
    count = int(last.removeprefix("discrepancies: "))
    assert count > 0
    found = pd.read_csv(_folder(result) / "discrepancies.csv")
    assert len(found) == count
    assert "stock" in set(found["kind"])
    assert "FAIL  business discrepancies" in result.stdout
    grouped = json.loads((_folder(result) / "findings.json").read_text())
    assert grouped["check"] == "rules"
    assert sum(f["count"] for f in grouped["findings"]) == count
    assert len(grouped["findings"]) < count / 2  # many rows, few causes
    assert set(found["cause"]) == {f["cause"] for f in grouped["findings"]}


def test_invariants_alone_accept_a_target_whose_rules_differ(run: Path, tmp_path: Path) -> None:
    """The target that keeps no reservation for carts breaks the simulation's rules, not its
    own consistency: with --check invariants nothing is a discrepancy."""
    buggy = create_app(token=TOKEN, backend=DroppingBackend)
    with serving(buggy) as base:
        result = replay(run, base, "--speedup", "20000", "--out", str(tmp_path),
                        "--check", "invariants")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("discrepancies: 0")
    assert "first divergences" not in result.stdout
    grouped = json.loads((_folder(result) / "findings.json").read_text())
    assert grouped["check"] == "invariants"
    assert grouped["findings"] == []
    assert {n["kind"] for n in grouped["notes"]} == {"rules differ"}


def test_the_reference_mapping_file_reconciles_to_zero_like_the_built_in_adapter(
    run: Path, tmp_path: Path
) -> None:
    mapping = Path(__file__).resolve().parents[2] / "loadtests" / "adapters" / "reference.toml"
    with serving(create_app(token=TOKEN)) as base:
        result = replay(run, base, "--speedup", "20000", "--adapter", str(mapping),
                        "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "discrepancies: 0"
    outcomes = pd.read_parquet(_folder(result) / "outcomes.parquet")
    assert set(outcomes["result"]) == {"ok"}
    stats = pd.read_csv(_folder(result) / "stats.csv").set_index("step")
    customers = len(journeys(read_command_table(run / "commands.parquet")))
    assert stats.loc["(journey)", "ok"] == customers


def test_an_unsupported_checkout_leaves_no_artefact_and_says_what_was_not_checked(
    run: Path, tmp_path: Path
) -> None:
    """The reference mapping without its checkout: every step about an order is skipped, the
    fold of what the target accepted matches its state, and the verdict says what was left."""
    shipped = Path(__file__).resolve().parents[2] / "loadtests" / "adapters" / "reference.toml"
    text = shipped.read_text()
    start = text.index("[steps.checkout]")
    end = text.index("[steps.", start + 1)
    mapping = tmp_path / "no-checkout.toml"
    mapping.write_text(text[:start] + text[end:])
    with serving(create_app(token=TOKEN)) as base:
        result = replay(run, base, "--speedup", "20000", "--adapter", str(mapping),
                        "--out", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 4, result.stdout + result.stderr  # incomplete coverage
    last = result.stdout.splitlines()[-1]
    assert last.startswith("discrepancies: 0 (not checked: ")
    assert last.endswith(" steps skipped (unsupported))")
    outcomes = pd.read_parquet(_folder(result) / "outcomes.parquet")
    checkouts = outcomes[outcomes["step"] == "checkout"]
    assert len(checkouts) > 0
    assert set(checkouts["result"]) == {"skipped"}
    paid = outcomes[outcomes["step"] == "pay"]
    assert set(paid["detail"]) == {"its order was not created (checkout skipped)"}


def test_a_target_in_another_state_is_refused_before_the_run(run: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "no-reset.toml"
    mapping.write_text(
        'version = 2\n[steps.browse]\nmethod = "GET"\npath = "/catalogue"\n'
        '[prepare.check]\npath = "/stock/${location}/${sku}"\n'
    )
    other = create_app(token=TOKEN, initial=[Receipt(location="S01", sku="SKU0001", qty=1)])
    with serving(other) as base:
        result = replay(run, base, "--adapter", str(mapping), "--out", str(tmp_path / "out"))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "differs from the scenario's initial stock" in result.stderr
    assert not (tmp_path / "out").exists()


def _browsing(folder: Path, customers: int) -> Path:
    """A run of ``customers`` who each browse once, 0.5 simulated minutes apart, in
    ``folder/run``, and a mapping that sends every browse to ``GET /ping`` (returned)."""
    commands, events = CommandLog(), EventLog()
    for i in range(customers):
        visit = TouchpointVisited(
            t=SimTime(i * 0.5), customer=CustomerId(i), channel=Channel.WEB, reason="discover"
        )
        events.append(visit, commands.observe())
    (folder / "run").mkdir()
    commands.write(folder / "run" / "commands.parquet", events.to_table())
    mapping = folder / "ping.toml"
    mapping.write_text(
        'version = 2\n[steps.browse]\nmethod = "GET"\npath = "/ping"\n'
        '[prepare.check]\npath = "/ping"\n'
    )
    return mapping


def _stall(i: int) -> float:
    # 1 s for every 10th request, and a 2 s pause on the 15th
    return 2.0 if i == 14 else 1.0 if i % 10 == 9 else 0.0


def test_a_delay_and_a_stall_show_in_the_percentiles_as_worked_out(tmp_path: Path) -> None:
    """The hand-worked case of ``test_replay`` over real HTTP: 30 customers 0.5 s apart, one
    journey in flight, a target that is slow on every 10th request and stalls on the 15th."""
    mapping = _browsing(tmp_path, 30)
    slow = FastAPI()
    seen = [0]
    lock = threading.Lock()

    @slow.get("/ping")
    def ping() -> dict[str, int]:
        with lock:
            i = seen[0]
            seen[0] += 1
        time.sleep(_stall(i))
        return {"i": i}

    with serving(slow) as base:
        result = replay(tmp_path / "run", base, "--speedup", "60", "--users", "1",
                        "--adapter", str(mapping), "--out", str(tmp_path / "out"))  # fmt: skip
    # nothing wrong, but the mapping reads no final state: coverage was incomplete (exit 4)
    assert result.returncode == 4, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "discrepancies: 0 (not checked: the final stock was not read; "
        "the final orders were not read)"
    )
    assert seen[0] == 30
    data = json.loads((_folder(result) / "histograms.json").read_text())["browse"]
    marks = {m: Histogram.from_dict(h) for m, h in data.items()}
    expect = {
        "actual": {50: 0.0, 85: 0.0, 90: 1.0, 95: 1.0, 100: 2.0},
        "intended": {50: 0.0, 70: 0.0, 80: 0.5, 90: 1.0, 95: 1.5, 100: 2.0},
        "lag": {80: 0.0, 90: 0.5, 95: 1.0, 100: 1.5},
    }
    for measure, values in expect.items():
        for q, value in values.items():
            # loopback and the event loop add milliseconds; the histogram adds <= 0.1%
            assert marks[measure].percentile(q) == pytest.approx(value, abs=0.08), (measure, q)


def test_run_time_stops_the_replay_and_what_was_answered_still_reconciles(
    run: Path, tmp_path: Path
) -> None:
    with serving(create_app(token=TOKEN)) as base:
        started = time.monotonic()
        result = replay(run, base, "--speedup", "600", "--run-time", "2", "--out", str(tmp_path))
        took = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "discrepancies: 0"
    assert took < 60  # the whole day would take 144 s at this speed
    stats = pd.read_csv(_folder(result) / "stats.csv").set_index("step")
    customers = len(journeys(read_command_table(run / "commands.parquet")))
    assert 0 < stats.loc["(journey)", "ok"] < customers


def _phases(result: subprocess.CompletedProcess[str]) -> dict[str, float]:
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("phases (s): ")]
    pairs = (p.rsplit(" ", 1) for p in line.removeprefix("phases (s): ").split(", "))
    return {name: float(seconds) for name, seconds in pairs}


def test_the_run_time_bounds_the_command_even_when_an_answer_never_comes(tmp_path: Path) -> None:
    """30 customers 0.5 s apart and a 3.25 s run time: the first seven start, the third's
    request is held by the server past the deadline and times out one second after it, the
    other 23 customers are counted as not run, and the command ends soon after."""
    mapping = _browsing(tmp_path, 30)
    held = FastAPI()
    seen = [0]
    release = threading.Event()

    @held.get("/ping")
    def ping() -> dict[str, int]:
        seen[0] += 1
        if seen[0] == 3:
            release.wait(60)  # longer than the run; released when the test ends
        if seen[0] == 5:
            raise HTTPException(409, "a refusal, which is an answer")
        return {"i": seen[0]}

    try:
        with serving(held) as base:
            started = time.monotonic()
            result = replay(tmp_path / "run", base, "--speedup", "60", "--run-time", "3.25",
                            "--adapter", str(mapping), "--out", str(tmp_path / "out"))  # fmt: skip
            took = time.monotonic() - started
    finally:
        release.set()
    assert result.returncode == 4, result.stdout + result.stderr  # no final state was read
    phases = _phases(result)
    assert phases["load"] < 3.25 + GRACE + 1.0  # the held request timed out at deadline + grace
    assert phases["final state"] + phases["reconcile"] + phases["report"] < 5.0
    assert took < sum(phases.values()) + 10  # the interpreter's start and exit besides
    stats = pd.read_csv(_folder(result) / "stats.csv").set_index("step")
    browse, journeys = stats.loc["browse"], stats.loc["(journey)"]
    assert browse["ok"] + browse["refused"] + browse["error"] == seen[0]  # every one sent
    assert (browse["refused"], browse["error"]) == (1, 1)  # the held one: no answer in time
    locust = pd.read_csv(_folder(result) / "locust_stats.csv").set_index("name")
    assert locust.loc["browse", "failures"] == 1  # to Locust, a refusal is an answer
    assert browse["not_run"] == journeys["not_run"] == 30 - seen[0]
    assert journeys["not_run"] >= 22
    assert journeys["ok"] + journeys["cut_short"] + journeys["not_run"] == 30
    assert "not run, the run time was up: " in result.stdout


def test_locust_master_and_workers_replay_each_customer_once(run: Path, tmp_path: Path) -> None:
    """Locust's own command line, two worker processes: each replays its shard, the master
    merges and reconciles."""
    locustfile = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"
    with serving(create_app(token=TOKEN)) as base:
        command = [
            sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--processes", "2",
            "-u", "2", "-r", "2", "--host", base, "--results", str(run), "--speedup", "20000",
            "--replay-out", str(tmp_path), "--only-summary",
        ]  # fmt: skip
        env = os.environ | {"OMNICANAL_API_TOKEN": TOKEN}
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=180, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "discrepancies: 0" in result.stdout
    outcomes = pd.read_parquet(_folder(result) / "outcomes.parquet")
    stats = pd.read_csv(_folder(result) / "stats.csv").set_index("step")
    found = journeys(read_command_table(run / "commands.parquet"))
    assert stats.loc["(journey)", "ok"] == len(found)
    assert not outcomes.duplicated(["command"]).any()
    assert set(outcomes["result"]) == {"ok"}
