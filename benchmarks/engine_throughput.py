"""Engine throughput: events per second of the full model vs a bare SimPy model, same process.

The reference is issue #9's: 100,000 SimPy processes that each yield 10 timeouts and do nothing
else. The figure is the full model's log events per second on a baseline-sized plan (1
warehouse, 8 stores, 200 skus, 4 weeks), and the ratio of the two.

    .venv/bin/python benchmarks/engine_throughput.py [--days 28] [--rate 45]
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

from simulation.engine.plan import SitePlan  # noqa: E402
from simulation.engine.run import run_replication  # noqa: E402
from simulation.policies.fulfilment import Site  # noqa: E402
from simulation.policies.replenishment import MinMax  # noqa: E402
from simulation.types import LocationId, SkuId  # noqa: E402
from tests.simulation.plans import small_plan  # noqa: E402


def bare_simpy(processes: int = 100_000, steps: int = 10) -> float:
    """Events per second of processes that only yield timeouts."""

    def proc(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        for _ in range(steps):
            yield env.timeout(1.0)

    env = simpy.Environment()
    for _ in range(processes):
        env.process(proc(env))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=28.0)
    parser.add_argument("--rate", type=float, default=45.0, help="customers per hour")
    args = parser.parse_args()
    reference = bare_simpy()
    plan = baseline_plan(args.days, args.rate)
    start = time.perf_counter()
    world = run_replication(plan, seed=1)
    seconds = time.perf_counter() - start
    events = len(world.log)
    model = events / seconds
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    print(f"full model: {events:,} events in {seconds:.2f} s = {model:,.0f} events/s")
    print(f"bare SimPy: {reference:,.0f} events/s (100,000 processes x 10 timeouts)")
    print(f"ratio: {model / reference:.3f}")


if __name__ == "__main__":
    main()
