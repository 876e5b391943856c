"""``omnicanal replay``: prepare the target, replay the journeys with Locust, reconcile, report.

Everything before and after the load itself lives here, shared by the command (a headless
local runner) and ``loadtests/locustfile.py`` (Locust's own command line, web UI and
master/worker mode). Locust and gevent are imported only inside :func:`run_headless`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pandas as pd

from loadtests import report
from loadtests.adapters import Adapter, ReplayRefused, TargetState, load_adapter
from loadtests.adapters.base import ANSWERED, ERROR
from loadtests.adapters.check import CheckReport, check_mapping
from loadtests.findings import FIRST_DIVERGENCE, Coverage, Discrepancy, verdict
from loadtests.journeys import Scheduled, initial_stock, journeys, schedule
from loadtests.reconcile import CHECKS, RULES, Reconciliation, reconcile
from loadtests.replay import NOT_RUN, Recorder
from loadtests.slo import Gate, check, load_gates
from simulation.commandlog import read_command_table
from simulation.errors import InputError
from simulation.results import COMMANDS, RunFolder

if TYPE_CHECKING:
    from locust.env import Environment

TOKEN_ENV = "OMNICANAL_API_TOKEN"
TOKEN_FILE_ENV = "OMNICANAL_API_TOKEN_FILE"


def read_token(token_file: Path | None = None) -> str | None:
    """The API token from ``token_file``, else ``$OMNICANAL_API_TOKEN_FILE``, else
    ``$OMNICANAL_API_TOKEN``; never from the command line."""
    path = token_file or (
        Path(os.environ[TOKEN_FILE_ENV]) if os.environ.get(TOKEN_FILE_ENV) else None
    )
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            raise InputError("token file", "a readable file holding the token", str(path)) from None
    return os.environ.get(TOKEN_ENV) or None


def check_target(url: str) -> str:
    """An http(s) base URL with no credentials in it (they would end up in reports and logs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("--target", "an http:// or https:// base URL", url)
    if parts.username or parts.password or parts.query:
        raise InputError(
            "--target", f"a URL without credentials or query (use ${TOKEN_ENV})", "a URL with them"
        )
    return url.rstrip("/")


@dataclass
class Settings:
    results: Path
    target: str
    speedup: float = 60.0
    max_in_flight: int = 1000
    adapter: str | None = None
    run_time: float | None = None
    gates: Path | None = None
    out: Path | None = None
    replication: int | None = None
    token: str | None = field(default=None, repr=False)
    check_mode: str = RULES
    """``--check``: ``rules`` (the simulation's decisions) or ``invariants`` (the target's own
    consistency only)."""

    def check(self) -> None:
        self.target = check_target(self.target)
        if self.check_mode not in CHECKS:
            raise InputError("--check", " or ".join(CHECKS), self.check_mode)
        if not self.speedup > 0:
            raise InputError("--speedup", "a number > 0", self.speedup)
        if self.max_in_flight < 1:
            raise InputError("--users", "at least 1 journey in flight", self.max_in_flight)
        if self.run_time is not None and not self.run_time > 0:
            raise InputError("--run-time", "a number of seconds > 0", self.run_time)
        if not (self.results / COMMANDS).is_file():
            raise InputError(
                "RESULTS",
                f"a results folder holding {COMMANDS} (written by `omnicanal run` since "
                "schema version 2; run the scenario again)",
                str(self.results),
            )


@dataclass
class Plan:
    """What to replay: the schedule, the initial stock, and counts for the report."""

    items: list[Scheduled]
    initial: dict[tuple[str, str], int]
    customers: int
    steps: int


def load_plan(settings: Settings) -> Plan:
    commands = read_command_table(settings.results / COMMANDS)
    found = journeys(commands, settings.replication)
    items = schedule(found, settings.speedup)
    return Plan(
        items,
        initial_stock(commands, settings.replication),
        len(found),
        sum(len(j.steps) for j in found),
    )


def check_mapping_of(settings: Settings) -> CheckReport:
    """``--check-mapping``: the ``--adapter`` mapping file against the run's journeys, offline."""
    if not (settings.adapter or "").endswith(".toml"):
        raise InputError("--adapter", "a mapping .toml file to check", settings.adapter)
    if not (settings.results / COMMANDS).is_file():
        raise InputError("RESULTS", f"a results folder holding {COMMANDS}", str(settings.results))
    commands = read_command_table(settings.results / COMMANDS)
    found = journeys(commands, settings.replication)
    initial = initial_stock(commands, settings.replication)
    return check_mapping(Path(settings.adapter or ""), found, initial)


def prepare(settings: Settings, adapter: Adapter, plan: Plan) -> None:
    with httpx.Client(base_url=settings.target, timeout=60.0) as http:
        adapter.prepare(http, plan.initial)


def connect(settings: Settings, adapter: Adapter) -> None:
    """What a Locust worker needs before the run (logins, lookups), changing nothing."""
    with httpx.Client(base_url=settings.target, timeout=60.0) as http:
        adapter.connect(http)


def final_state(settings: Settings, adapter: Adapter) -> TargetState:
    with httpx.Client(base_url=settings.target, timeout=120.0) as http:
        return adapter.final_state(http)


INCOMPLETE = 4
"""The exit code of a run that found nothing wrong but could not check everything: steps
skipped as unsupported, the final stock or orders not read, or (``--check invariants``)
writes left unanswered."""


@dataclass
class Outcome:
    folder: Path
    discrepancies: list[Discrepancy]
    gates: list[Gate]
    coverage: Coverage | None = None

    @property
    def exit_code(self) -> int:
        """1 for discrepancies or a failed gate, else 4 when coverage was incomplete, else 0."""
        if self.discrepancies or not all(g.passed for g in self.gates):
            return 1
        return INCOMPLETE if self.coverage is not None and not self.coverage.complete else 0


def finish(
    settings: Settings,
    plan: Plan,
    adapter: Adapter,
    recorder: Recorder,
    gates: dict[str, Any],
    *,
    wall_seconds: float,
    locust_stats: pd.DataFrame | None = None,
    phases: dict[str, float] | None = None,
) -> Outcome:
    """Reconcile, check the gates, write the folder, print the summary (last line:
    ``discrepancies: N``, with what was not checked when coverage was incomplete).
    ``wall_seconds`` is the load's own time; ``phases`` the seconds of what came before it,
    to which this adds its own (final state, reconcile, report)."""
    phases = dict(phases or {})
    clock = time.monotonic()
    final = final_state(settings, adapter)
    clock = _lap(phases, "final state", clock)
    result = reconcile(plan.initial, recorder.ledger, final, check=settings.check_mode)
    found = result.discrepancies
    coverage = Coverage.of(recorder.counts, final, unanswered=result.unanswered)
    verdicts = check(gates, recorder, len(found))
    clock = _lap(phases, "reconcile", clock)
    counts = recorder.counts.values()
    sent = sum(c.get(k, 0) for c in counts for k in (*ANSWERED, ERROR))
    meta = {
        "results": settings.results.name, "target": settings.target, "adapter": adapter.name,
        "check": settings.check_mode,
        "speedup": settings.speedup, "users (journeys in flight)": settings.max_in_flight,
        "customers": plan.customers, "journeys done": recorder.journeys_done,
        "journeys cut short": recorder.journeys_cut,
        "journeys not run": recorder.journeys_not_run,
        "steps not run": sum(c.get(NOT_RUN, 0) for c in counts),
        "requests": sent, "wall seconds": round(wall_seconds, 2),
        "requests/s": round(sent / wall_seconds, 1) if wall_seconds else 0.0,
    }  # fmt: skip
    root = settings.out or settings.results / "loadtest"
    root.mkdir(parents=True, exist_ok=True)
    with RunFolder(root, "replay") as folder:
        report.write(folder.path, meta, recorder, result, coverage, verdicts, locust_stats)
        _lap(phases, "report", clock)
        folder.manifest |= {
            "replay": meta, "phases (s)": _rounded(phases), "discrepancies": len(found),
            "coverage": coverage.to_dict(),
        }  # fmt: skip
    _print(meta, recorder, result, coverage, verdicts, folder.final, phases=phases)
    return Outcome(folder.final, found, verdicts, coverage)


def _lap(phases: dict[str, float], name: str, since: float) -> float:
    now = time.monotonic()
    phases[name] = now - since
    return now


def _rounded(phases: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in phases.items()}


_QS = (50, 95, 99)


_GROUPS_SHOWN = 20


def _print_findings(found: Reconciliation, coverage: Coverage) -> None:
    """The reconciliation: first divergences (by step kind and reason) first, then the other
    findings by cause, what was counted apart, and the coverage."""
    groups = found.findings
    firsts = [g for g in groups if g.kind == FIRST_DIVERGENCE]
    if firsts:
        print(f"first divergences: {sum(g.count for g in firsts):,} steps the target decided "
              "otherwise than the simulation, by step kind and reason:")  # fmt: skip
    for g in groups[:_GROUPS_SHOWN]:
        if g.kind == FIRST_DIVERGENCE:
            print(f"  {g.cause}: {g.count:,} (e.g. {g.rows[0].where})")
        else:
            print(g.line())
    if len(groups) > _GROUPS_SHOWN:
        print(f"... and {len(groups) - _GROUPS_SHOWN} more findings in findings.json")
    if found.notes:
        apart = ", ".join(f"{g.kind} {g.count:,}: {g.cause}" for g in found.noted[:5])
        more = f" (and {len(found.noted) - 5} more)" if len(found.noted) > 5 else ""
        print(f"counted apart, not discrepancies: {apart}{more}")
    print(f"check {found.check}; {coverage.line()}")


def _print(  # noqa: PLR0917
    meta: dict[str, Any],
    recorder: Recorder,
    found: Reconciliation,
    coverage: Coverage,
    verdicts: list[Gate],
    folder: Path,
    *,
    phases: dict[str, float],
) -> None:
    print(", ".join(f"{k} {v}" for k, v in meta.items()))
    _print_findings(found, coverage)
    every = {m: recorder.total(m) for m in ("intended", "actual", "lag")}
    for name, h in every.items():
        values = zip(_QS, h.percentiles(_QS), strict=True)
        shown = ", ".join(f"p{q} {v * 1000:.1f}" for q, v in values)
        print(f"latency from {name} send (ms): {shown}, max {h.max * 1000:.1f}" if name != "lag"
              else f"schedule lag (ms): {shown}, max {h.max * 1000:.1f}")  # fmt: skip
    if meta["steps not run"]:
        print(f"not run, the run time was up: {meta['steps not run']} steps "
              f"({meta['journeys not run']} journeys never started, "
              f"{meta['journeys cut short']} cut short)")  # fmt: skip
    for gate in verdicts:
        print(gate.line())
    print("phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    print(f"wrote {folder}")
    print(verdict(len(found.discrepancies), coverage))


def locust_table(env: Environment) -> pd.DataFrame:
    rows = [
        {"name": s.name, "method": s.method, "requests": s.num_requests, "failures": s.num_failures,
         "median_ms": s.median_response_time, "p95_ms": s.get_response_time_percentile(0.95),
         "p99_ms": s.get_response_time_percentile(0.99), "max_ms": s.max_response_time}
        for s in sorted(env.stats.entries.values(), key=lambda s: s.name)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def run_headless(settings: Settings) -> int:
    """The whole replay in this process with a local Locust runner; the exit code.

    With a run time, the load stops at it (see :class:`loadtests.users.ReplayJob`); what comes
    before and after it is timed as phases and printed with the summary."""
    clock = time.monotonic()
    phases: dict[str, float] = {}
    from locust.env import Environment  # Locust patches the standard library: import it late

    from loadtests.users import JourneyUser, ReplayJob, attach

    settings.check()
    gates = load_gates(settings.gates)
    adapter = load_adapter(settings.adapter, settings.token, settings.target)
    clock = _lap(phases, "start-up", clock)
    plan = load_plan(settings)
    clock = _lap(phases, "plan", clock)
    prepare(settings, adapter, plan)
    clock = _lap(phases, "prepare", clock)
    env = Environment(user_classes=[JourneyUser], host=settings.target)
    job = ReplayJob(plan.items, adapter, settings.max_in_flight, settings.run_time)
    job.ready.set()  # prepared above
    attach(env, job)
    runner = env.create_local_runner()
    runner.start(1, spawn_rate=1)
    job.finished.wait()
    wall = time.monotonic() - clock
    runner.quit()
    clock = _lap(phases, "load", clock)
    if job.error:
        raise ReplayRefused(f"the replay stopped: {job.error}")
    outcome = finish(
        settings, plan, adapter, job.recorder, gates,
        wall_seconds=wall, locust_stats=locust_table(env), phases=phases,
    )  # fmt: skip
    return outcome.exit_code


__all__ = ["ReplayRefused", "Settings", "finish", "load_plan", "read_token", "run_headless"]
