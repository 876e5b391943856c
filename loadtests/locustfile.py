"""Replay a run's journeys with Locust's own command line, web UI, CSV and HTML reports.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 \
        --results results/baseline-<timestamp> --speedup 600 --headless -u 1 -r 1

In master/worker mode (``--processes N``, or ``--master`` and ``--worker`` on several
machines, each able to read the results folder) run one user per worker (``-u`` = number of
workers): each worker replays the customers whose id modulo the number of workers is its
index, so one customer's steps never cross workers. The master prepares the target, merges
the workers' histograms and writes the reconciliation and report when the test stops; the
command's exit code is 1 when there are discrepancies or a gate fails, 4 when coverage was
incomplete (as ``omnicanal replay``). The API token
comes from ``OMNICANAL_API_TOKEN`` or ``OMNICANAL_API_TOKEN_FILE``. With Locust's ``--run-time``
the replay stops sending at it and counts what it did not send, as ``omnicanal replay
--run-time`` does; Locust counts its run time from the test's start, the preparation included.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import gevent
from gevent.event import Event as Flag
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtests.adapters import load_adapter
from loadtests.journeys import shard
from loadtests.replay import GRACE, Recorder
from loadtests.run import (
    Settings,
    connect,
    finish,
    load_plan,
    locust_table,
    prepare,
    read_token,
)
from loadtests.slo import load_gates
from loadtests.users import JourneyUser, ReplayJob, attach, install_reporting, job_of

__all__ = ["JourneyUser"]


def _options(parser: Any) -> None:
    group = parser.add_argument_group("omnicanal replay")
    group.add_argument("--results", help="Results folder whose journeys to replay", default="")
    group.add_argument("--speedup", type=float, default=60.0, help="Simulated / wall time")
    group.add_argument(
        "--max-in-flight", type=int, default=1000, help="Journeys in flight per worker"
    )
    group.add_argument("--adapter", default=None, help="reference, a mapping .toml or module:Class")
    group.add_argument("--gates", default=None, help="SLO gates file (TOML)")
    group.add_argument(
        "--replay-out", default=None, help="Where to write (default RESULTS/loadtest)"
    )
    group.add_argument(
        "--check", default="rules", choices=["rules", "invariants"],
        help="Reconcile against the simulation's rules, or check only the target's invariants",
    )  # fmt: skip


def _settings(environment: Environment) -> Settings:
    options = environment.parsed_options
    assert options is not None
    settings = Settings(
        results=Path(options.results), target=environment.host or "", speedup=options.speedup,
        max_in_flight=options.max_in_flight, adapter=options.adapter,
        gates=Path(options.gates) if options.gates else None,
        out=Path(options.replay_out) if options.replay_out else None, token=read_token(),
        check_mode=options.check,
    )  # fmt: skip
    settings.check()
    return settings


READY = "omnicanal_ready"
"""The master's message to its workers: the target is prepared, start the schedule."""


class _Run:
    master = Recorder()
    started = 0.0
    ready = Flag()
    state: ClassVar[dict[str, Any]] = {}


def _init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        install_reporting(environment, _Run.master)
    elif isinstance(runner, WorkerRunner):
        install_reporting(environment)
        runner.register_message(READY, lambda **_: _Run.ready.set())


def _start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    settings = _settings(environment)
    adapter = load_adapter(settings.adapter, settings.token, settings.target)
    plan = load_plan(settings)
    if not isinstance(runner, WorkerRunner):  # the master (or a lone local runner) prepares
        prepare(settings, adapter, plan)
        _Run.state = {"settings": settings, "plan": plan, "adapter": adapter,
                      "gates": load_gates(settings.gates)}  # fmt: skip
        _Run.started = time.monotonic()
        _Run.ready.set()
    else:  # a worker logs in and reads its lookups itself, changing nothing on the target
        connect(settings, adapter)
    if isinstance(runner, MasterRunner):
        runner.send_message(READY)
        return
    index, count = 0, 1
    if isinstance(runner, WorkerRunner):
        options = environment.parsed_options
        index, count = runner.worker_index, max(1, int(getattr(options, "expect_workers", 1) or 1))
    items = list(shard(plan.items, index, count))
    run_time = getattr(environment.parsed_options, "run_time", None) or None
    job = ReplayJob(items, adapter, settings.max_in_flight, run_time, ready=_Run.ready)
    attach(environment, job)
    gevent.spawn(_quit_when_done, environment, job)


def _quit_when_done(environment: Environment, job: ReplayJob) -> None:
    """The schedule is done: a worker sends its last report, then every runner quits (a
    master quits when its last worker has)."""
    job.finished.wait()
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner._send_stats()
    if runner is not None:
        runner.quit()


def _quit(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or not _Run.state:
        return
    recorder = _Run.master
    job = job_of(environment)
    if job is not None:  # a local runner recorded here directly
        recorder = job.recorder
        if job.pool is not None:  # Locust's own --run-time may stop the user before the job ends
            job.stop()
            job.pool.join(timeout=GRACE + 0.5)
    s = _Run.state
    outcome = finish(
        s["settings"], s["plan"], s["adapter"], recorder, s["gates"],
        wall_seconds=time.monotonic() - _Run.started, locust_stats=locust_table(environment),
    )  # fmt: skip
    environment.process_exit_code = outcome.exit_code


events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]
events.init.add_listener(_init)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_start)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_quit)  # type: ignore[no-untyped-call]
