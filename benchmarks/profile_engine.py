"""Where the engine's time goes: a pyinstrument profile of one replication, as a call tree.

Profile before tuning (issue #9): the tree shows which journey steps, domain deciders,
sourcing and log appends dominate. A sampling profiler distorts less than cProfile, which
charges every small Python call its own overhead.

    .venv/bin/python benchmarks/profile_engine.py [--days 7] [--customers 0] [--html FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyinstrument import Profiler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine_throughput import baseline_plan
from benchmarks.scale import scaled_baseline
from simulation.engine.run import run_replication


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
    if args.html:
        args.html.write_text(profiler.output_html())
        print(f"wrote {args.html}")


if __name__ == "__main__":
    main()
