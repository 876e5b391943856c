"""Scale: the baseline scenario grown to N customers over four weeks, 200 skus, 1 warehouse and
20 stores, its log streamed to Parquet; wall time and peak memory for N and 2N, and their ratio.

Each size runs in a fresh child process, so its peak resident memory (ru_maxrss) is its own.
Stock, replenishment levels, pick capacity and pickers grow with the traffic, so a bigger run
is the same retailer busier, not the same shops sold out.

    .venv/bin/python benchmarks/scale.py [--customers 1000000] [--stores 20] [--repeats 1]
    .venv/bin/python benchmarks/scale.py --side-by-side [--repeats 2]

The machine's speed drifts by several percent from one minute to the next, and on some days by
a third within the hour; with ``--repeats`` the sizes run alternately and the ratio is of the
best time of each. ``--side-by-side`` cancels the drift instead: N runs twice in a row on one
core while 2N runs once on the other, all started together (nothing else running), so the two
sizes share the same minutes of the machine and each other's company in the shared caches; the
ratio is 2N's time over the mean of the two N runs, and the cores swap at each repeat. Its
absolute times are for one core with the other busy; the sequential runs give the one-core
times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.engine.compile import plan_of  # noqa: E402
from simulation.engine.plan import Plan  # noqa: E402
from simulation.engine.run import run_replication  # noqa: E402
from simulation.commandlog import stream_commands_to  # noqa: E402
from simulation.eventlog import stream_to  # noqa: E402
from simulation.scenario import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.toml"
DAYS = 28


def scaled_baseline(customers: int, stores: int = 20) -> Plan:
    """baseline.toml with ``stores`` stores and about ``customers`` arrivals in 28 days."""
    base = load_scenario(BASELINE)
    expected = float(plan_of(base).arrivals.expected(DAYS * 1440.0).sum())
    load = customers / expected  # how many times the baseline's traffic
    per_store = load * 8 / stores  # the baseline has 8 stores
    template = base.model_dump(mode="json")["network"]["locations"]
    warehouse, store = template[0], template[1]
    locations = [
        {**warehouse, "pick_capacity": math.ceil(3000 * load), "pickers": math.ceil(12 * load)},
        *(_store(store, i, stores, per_store) for i in range(stores)),
    ]
    return plan_of(
        base.with_overrides(
            {
                "horizon_days": DAYS,
                "arrivals.per_hour": 45.0 * load,
                "network.locations": locations,
                "catalogue.stock.warehouse": math.ceil(150 * load),
                "catalogue.stock.store": math.ceil(6 * max(per_store, 1.0)),
                "policies.replenishment.params.warehouse": {
                    "s": math.ceil(60 * load),
                    "S": math.ceil(150 * load),
                },
                "policies.replenishment.params.store": {
                    "s": math.ceil(2 * max(per_store, 1.0)),
                    "S": math.ceil(6 * max(per_store, 1.0)),
                },
            },
            source="benchmarks/scale.py",
        )
    )


def _store(template: dict[str, Any], i: int, stores: int, per_store: float) -> dict[str, Any]:
    angle = 2 * math.pi * i / stores
    return {
        **template,
        "id": f"S{i + 1:02d}",
        "region": "north" if math.sin(angle) >= 0 else "south",
        "x": round(15 * math.cos(angle), 3),
        "y": round(15 * math.sin(angle), 3),
        "pick_capacity": math.ceil(200 * per_store),
        "pickers": max(2, math.ceil(2 * per_store)),
        "desk_servers": max(1, math.ceil(2 * per_store)),
        "ship_from_store": i % 3 == 0,  # as in the baseline, some stores send parcels
    }


def measure(customers: int, stores: int) -> dict[str, float]:
    """One run of the scaled baseline, its events and commands streamed to temporary Parquet
    files."""
    plan = scaled_baseline(customers, stores)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with (
            stream_to(Path(tmp) / "events.parquet") as log,
            stream_commands_to(Path(tmp) / "commands.parquet") as commands,
        ):
            world = run_replication(plan, seed=1, log=log, commands=commands)
            events = len(world.log)
        seconds = time.perf_counter() - start
        size = (Path(tmp) / "events.parquet").stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "customers": world.draws.customers,
        "visits": world.draws.visits,
        "events": events,
        "seconds": seconds,
        "peak_mb": peak_mb,
        "parquet_mb": size / 1e6,
    }


def _command(customers: int, stores: int, cpu: int | None = None) -> list[str]:
    pinned = [] if cpu is None else ["--cpu", str(cpu)]
    return [sys.executable, __file__, "--child", str(customers), "--stores", str(stores), *pinned]


def _result(stdout: str) -> dict[str, float]:
    result: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    return result


def _child(customers: int, stores: int, cpu: int | None = None) -> dict[str, float]:
    out = subprocess.run(
        _command(customers, stores, cpu), check=True, capture_output=True, text=True
    )
    return _result(out.stdout)


def _report(r: dict[str, float], note: str = "") -> None:
    print(
        f"{r['customers']:>10,} customers ({r['visits']:,} visits): {r['events']:,} "
        f"events in {r['seconds']:.1f} s = {r['events'] / r['seconds']:,.0f} events/s, "
        f"peak {r['peak_mb']:,.0f} MB, log {r['parquet_mb']:.0f} MB{note}",
        flush=True,
    )


def side_by_side(customers: int, stores: int, repeats: int) -> None:
    """N twice on one core while 2N runs once on the other; the ratio of 2N's time to N's."""
    ratios = []
    for repeat in range(repeats):
        small_cpu, big_cpu = (0, 1) if repeat % 2 == 0 else (1, 0)
        with subprocess.Popen(
            _command(2 * customers, stores, big_cpu), stdout=subprocess.PIPE, text=True
        ) as big:
            smalls = [_child(customers, stores, small_cpu) for _ in range(2)]
            out, _ = big.communicate()
        if big.returncode:
            raise SystemExit(f"the {2 * customers:,}-customer run failed ({big.returncode})")
        large = _result(out)
        for r in smalls:
            _report(r, f" (cpu {small_cpu})")
        _report(large, f" (cpu {big_cpu}, at the same time)")
        ratio = large["seconds"] / (sum(r["seconds"] for r in smalls) / 2)
        ratios.append(ratio)
        print(f"repeat {repeat + 1}: time ratio 2N / mean N {ratio:.2f}", flush=True)
    print(
        f"time ratio 2N / N side by side: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(mean {sum(ratios) / len(ratios):.2f}; target <= 2.1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument(
        "--repeats", type=int, default=1, help="N and 2N alternately this many times; best of each"
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="N twice on one core while 2N runs on the other (needs 2 cores and Linux)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.cpu is not None:
            os.sched_setaffinity(0, {args.cpu})
        print(json.dumps(measure(args.child, args.stores)))
        return
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {python}")
    if args.side_by_side:
        if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
            raise SystemExit("--side-by-side needs 2 cores this process may use, and Linux")
        side_by_side(args.customers, args.stores, args.repeats)
        return
    sizes = (args.customers, 2 * args.customers)
    best: dict[int, dict[str, float]] = {}
    for repeat in range(args.repeats):  # alternately, so that a slow spell of the machine hits both
        runs = [_child(n, args.stores) for n in sizes]
        for n, r in zip(sizes, runs, strict=True):
            _report(r)
            if n not in best or r["seconds"] < best[n]["seconds"]:
                best[n] = r
        ratio = runs[1]["seconds"] / runs[0]["seconds"]
        print(f"repeat {repeat + 1}: time ratio 2N / N {ratio:.2f}", flush=True)
    ratio = best[sizes[1]]["seconds"] / best[sizes[0]]["seconds"]
    print(
        f"time ratio 2N / N: {ratio:.2f} (best {best[sizes[1]]['seconds']:.1f} s / best "
        f"{best[sizes[0]]['seconds']:.1f} s; target <= 2.1)"
    )


if __name__ == "__main__":
    main()
