"""Instructions per event, counted by valgrind: the engine's and a bare SimPy model's.

Wall-clock figures on a shared 2-core machine move by 15% or more between two runs of the same
code; instruction counts do not depend on the machine's load. Under ``valgrind --tool=callgrind``
this script counts the instructions of the full model per event it logs (the baseline-sized plan
of ``engine_throughput.py`` for ``--days``, less a run of 0.01 days: start-up and imports
subtracted) and of issue #9's bare SimPy reference per event (processes that each yield 10
timeouts, less the same processes created but not run), and prints both and their ratio (bare
over model: the events/s ratio the machine would give if every instruction cost the same).
``--tree`` counts another checkout's model (a ``git worktree`` of an older commit that has
``benchmarks/engine_throughput.py``) in the same way, for a before/after figure.

    .venv/bin/python benchmarks/instructions.py [--days 3] [--processes 100000] [--tree DIR] [--tables]

The children run with ``PYTHONHASHSEED=0``: with Python's per-process salt for string hashes,
dictionaries probe differently from run to run, and the same commit counted 70,600 and 73,300
instructions per event in two runs; with a fixed salt, a count repeats.

Needs valgrind (Debian: ``apt-get install valgrind``); a 3-day count takes about 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_UP_DAYS = 0.01
TIMEOUTS = 10


def _engine(tree: Path, days: float, tables: bool = False) -> int:
    """Run the baseline-sized plan from ``tree`` for ``days``; returns the events it logged.
    With ``tables``, also build the Arrow tables of its logs (events, and commands where the
    tree records them), as every run that writes its results does."""
    sys.path.insert(0, str(tree))
    from benchmarks.engine_throughput import baseline_plan
    from simulation.engine.run import run_replication

    world = run_replication(baseline_plan(days, 45.0), seed=1)
    if tables:
        world.log.to_table()
        if hasattr(world, "commands"):
            world.commands.to_table()
    return len(world.log)


def _bare(processes: int, run: bool) -> int:
    """Create the bare reference of ``processes`` and, with ``run``, run it; returns events."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.engine_throughput import bare_model

    env = bare_model(processes, TIMEOUTS)
    if run:
        env.run()
    return processes * (TIMEOUTS + 1)


def _count(*child: str) -> tuple[int, int]:
    """(instructions, events) of this script run as ``--child ...`` under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--child", *child],
            check=True, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
    if totals is None:
        raise RuntimeError(f"no instruction total in callgrind's output for {child}")
    return int(totals.group(1)), int(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=3.0, help="of the baseline-sized plan")
    parser.add_argument("--processes", type=int, default=100_000, help="of the bare reference")
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose model runs")
    parser.add_argument(
        "--tables", action="store_true", help="count building the logs' Arrow tables too"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "engine":
            print(_engine(Path(rest[0]), float(rest[1]), rest[2:] == ["tables"]))
        else:
            print(_bare(int(rest[0]), rest[1] == "run"))
        return
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py needs valgrind on the PATH (Debian: apt-get install valgrind)")
    tree = str(args.tree.resolve())
    more = ["tables"] if args.tables else []
    i0, e0 = _count("engine", tree, str(START_UP_DAYS), *more)
    i1, e1 = _count("engine", tree, str(args.days), *more)
    model = (i1 - i0) / (e1 - e0)
    j0, _ = _count("bare", str(args.processes), "setup")
    j1, events = _count("bare", str(args.processes), "run")
    bare = (j1 - j0) / events
    tabled = ", tables built" if args.tables else ""
    print(f"model ({tree}, {args.days:g} days{tabled}, {e1 - e0:,} events after start-up): "
          f"{model:,.0f} instructions/event")  # fmt: skip
    print(f"  bare SimPy ({args.processes:,} processes x {TIMEOUTS} timeouts): "
          f"{bare:,.0f} instructions/event")  # fmt: skip
    print(f"  ratio (bare / model): {bare / model:.3f}")


if __name__ == "__main__":
    main()
