"""Engine throughput: events per second of the full model vs a bare SimPy model, same process.

The reference is issue #9's: 100,000 SimPy processes that each yield 10 timeouts and do nothing
else, measured just before each model run. The figures are the full model's log events per
second on a baseline-sized plan (1 warehouse, 8 stores, 200 skus, 4 weeks; the figure earlier
benchmarks used) and on scenarios/baseline.toml scaled up (benchmarks/scale.py: 20 stores,
stock and capacity grown with the traffic), and the ratio of each to the reference.

    .venv/bin/python benchmarks/engine_throughput.py [--days 28] [--rate 45] [--customers 100000]
        [--repeats 1]

On a shared machine whose speed drifts by 20% within minutes, ``--repeats 3`` runs the
reference and the model alternately three times and divides the best of each.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.scale import scaled_baseline  # noqa: E402
from simulation.engine.plan import Plan, SitePlan  # noqa: E402
from simulation.engine.run import run_replication  # noqa: E402
from simulation.policies.fulfilment import Site  # noqa: E402
from simulation.policies.replenishment import MinMax  # noqa: E402
from simulation.types import LocationId, SkuId  # noqa: E402
from tests.simulation.plans import small_plan  # noqa: E402


def bare_model(processes: int = 100_000, steps: int = 10) -> simpy.Environment:
    """Issue #9's reference, not yet run: ``processes`` that each yield ``steps`` timeouts and
    do nothing else; running it makes ``processes * (steps + 1)`` events."""

    def proc(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        for _ in range(steps):
            yield env.timeout(1.0)

    env = simpy.Environment()
    for _ in range(processes):
        env.process(proc(env))
    return env


def bare_simpy(processes: int = 100_000, steps: int = 10) -> float:
    """Events per second of the bare reference (:func:`bare_model`)."""
    env = bare_model(processes, steps)
    start = time.perf_counter()
    env.run()
    return processes * (steps + 1) / (time.perf_counter() - start)


def baseline_plan(days: float, rate: float):  # type: ignore[no-untyped-def]
    plan = small_plan(days=days, rate=rate)
    stores = [
        SitePlan(
            site=Site(id=LocationId(f"S{i:02d}"), kind="store", region="all",
                      x=float(20 * np.cos(i)), y=float(20 * np.sin(i))),
            pick_capacity=200, desk_servers=2,
        )
        for i in range(1, 9)
    ]  # fmt: skip
    sites = (plan.sites[0], *stores)
    skus = tuple(SkuId(f"SKU{i:03d}") for i in range(200))
    weights = 1 / np.arange(1, 201)
    initial = {(s.id, k): 200 if s.site.kind == "warehouse" else 6 for s in sites for k in skus}
    return replace(
        plan, sites=sites, skus=skus, prices=np.linspace(5, 120, 200),
        unit_costs=np.linspace(2, 60, 200), demand=weights / weights.sum(),
        lead_days=np.full(200, 3.0), initial=initial,
        replenishment={k: MinMax(s=60, S=200) if k[0] == "WH1" else MinMax(s=2, S=6) for k in initial},
    )  # fmt: skip


def model_events_per_second(plan: Plan) -> tuple[int, float]:
    """Events the full model writes to its log, and the seconds it takes, for one replication,
    its logs' Arrow tables built (as every run that writes its results builds them)."""
    start = time.perf_counter()
    world = run_replication(plan, seed=1)
    world.log.to_table()
    world.commands.to_table()
    return len(world.log), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=28.0)
    parser.add_argument("--rate", type=float, default=45.0, help="customers per hour")
    parser.add_argument(
        "--customers", type=int, default=100_000,
        help="customers of the scaled baseline.toml (20 stores, 4 weeks); 0 to skip it",
    )  # fmt: skip
    parser.add_argument(
        "--repeats", type=int, default=1,
        help="runs of each, the reference and the model alternating; the best of each counts",
    )  # fmt: skip
    args = parser.parse_args()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()} {python}")
    plans = [(f"baseline-sized plan, {args.days:g} days", baseline_plan(args.days, args.rate))]
    if args.customers:
        plans.append((f"baseline.toml scaled to {args.customers:,} customers", None))
    for name, plan in plans:
        plan = plan or scaled_baseline(args.customers)
        reference, seconds = 0.0, float("inf")
        for _ in range(args.repeats):  # a machine whose speed drifts: best of each, interleaved
            reference = max(reference, bare_simpy())
            events, took = model_events_per_second(plan)
            seconds = min(seconds, took)
        model = events / seconds
        print(f"{name}: {events:,} events in {seconds:.2f} s = {model:,.0f} events/s")
        print(f"  bare SimPy: {reference:,.0f} events/s (100,000 processes x 10 timeouts)")
        print(f"  ratio: {model / reference:.3f}")


if __name__ == "__main__":
    main()
