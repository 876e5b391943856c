"""Where the engine's time goes: a pyinstrument profile of one replication, as a call tree.

Profile before tuning (issue #9): the tree shows which journey steps, domain deciders,
sourcing and log appends dominate. A sampling profiler distorts less than cProfile, which
charges every small Python call its own overhead.

    .venv/bin/python benchmarks/profile_engine.py [--days 7] [--customers 0] [--html FILE]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import simpy
from pyinstrument import Profiler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan
from benchmarks.scale import scaled_baseline
from simulation.engine.plan import Plan
from simulation.engine.run import run_replication


def simpy_events(plan: Plan) -> tuple[int, Counter[str]]:
    """Events one replication logs, and the SimPy events it schedules, by class.

    Every SimPy event costs about as much as one of the bare reference's (a heap push and pop
    and a callback), so their number per logged event bounds the engine ratio from above.
    """
    counted: Counter[str] = Counter()
    schedule = simpy.Environment.schedule

    def counting(env: simpy.Environment, event: simpy.Event, *args: Any) -> None:
        counted[type(event).__name__] += 1
        schedule(env, event, *args)

    simpy.Environment.schedule = counting  # type: ignore[method-assign,assignment]
    try:
        logged = len(run_replication(plan, seed=1).log)
    finally:
        simpy.Environment.schedule = schedule  # type: ignore[method-assign]
    return logged, counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=7.0, help="of the baseline-sized plan")
    parser.add_argument("--customers", type=int, default=0, help="profile the scaled baseline")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML page here")
    args = parser.parse_args()
    plan = scaled_baseline(args.customers) if args.customers else baseline_plan(args.days, 45.0)
    profiler = Profiler(interval=0.0005)
    with profiler:
        world = run_replication(plan, seed=1)
    print(f"{len(world.log):,} events, {world.draws.visits:,} visits")
    print(profiler.output_text(unicode=False, color=False))
    logged, counted = simpy_events(plan)
    total = sum(counted.values())
    kinds = ", ".join(f"{name} {n:,}" for name, n in counted.most_common())
    print(f"SimPy events scheduled: {total:,} ({total / logged:.3f} per logged event): {kinds}")
    if args.html:
        args.html.write_text(profiler.output_html())
        print(f"wrote {args.html}")


if __name__ == "__main__":
    main()
