"""Run one replication of a plan: stock in, customers arrive, the clock runs to the horizon."""

from __future__ import annotations

import gc
from collections.abc import Generator, Iterator
from contextlib import contextmanager

import numpy as np
import simpy

from simulation.commandlog import CommandLog
from simulation.domain.commands import ReceiveStock
from simulation.domain.events import CampaignTouched
from simulation.engine import arrivals, operations
from simulation.engine.draws import VisitDraws
from simulation.engine.journeys import start_visit
from simulation.engine.loop import CustomerLoop
from simulation.engine.plan import CHANNELS, Plan
from simulation.engine.streams import Streams
from simulation.engine.world import World
from simulation.eventlog import EventLog
from simulation.types import CustomerId, SimTime


def run_replication(
    plan: Plan,
    seed: int,
    replication: int = 0,
    *,
    log: EventLog | None = None,
    commands: CommandLog | None = None,
    batched_draws: bool = True,
) -> World:
    """Simulate ``plan`` once; the world holds the logs, the final state and refusal counts.

    ``log`` receives the events and ``commands`` the commands (for example logs streaming
    to Parquet, :func:`simulation.commandlog.stream_logs`); their replication must be
    ``replication``. ``batched_draws=False`` gives every visit a generator of its own instead
    of a row of a batch (:class:`~simulation.engine.draws.VisitDraws`): slower, the same model.
    """
    for given, what in ((log, "log"), (commands, "commands")):
        if given is not None and given.replication != replication:
            raise ValueError(
                f"{what}.replication is {given.replication}, the run's is {replication}"
            )
    streams = Streams(seed, replication)
    draws = VisitDraws(streams, batched=batched_draws)
    world = World.build(plan, streams, log, draws=draws, commands=commands)
    if plan.loop is not None:
        world.loop = CustomerLoop(plan.loop, streams)
    with _collector_paused():
        _simulate(world)
    return world


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a run; as it was after.

    A run makes millions of short-lived objects and keeps a growing backend. What it drops on
    its way is freed by reference counting: it makes no reference cycles (a test holds that a
    collection while its world is alive finds nothing, on scenarios with carts, orders,
    pickups, deliveries, returns, lost sales, fences and backorders), so the collector's
    passes over the survivors only cost time: 17% of a 14-day run at Python's default
    thresholds, still 10-15% of a 28-day run at thresholds of 50,000/20/100. The collector is
    the process's: a user's policy that makes cycles, or another thread of the process, keeps
    its cycles until the run ends, when the collector is back on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _simulate(world: World) -> None:
    plan = world.plan
    for (location, sku), qty in sorted(plan.initial.items()):
        if qty > 0:
            world.do(
                ReceiveStock(at=SimTime(0.0), location=location, sku=sku, qty=qty, reason="initial")
            )
            operations.publish_allocation(world, location, sku)
    world.env.process(_arrive(world))
    if plan.replenishment and plan.review_days > 0:
        world.env.process(operations.replenish(world))
    elif plan.replenishment:
        operations.review_continuously(world)
    world.env.run(until=plan.horizon)


def simulate(plan: Plan, seed: int, replication: int = 0) -> EventLog:
    return run_replication(plan, seed, replication).log


_CHUNK = 4096
"""Arrivals read from the drawn arrays at a time."""


def _arrive(world: World) -> Generator[simpy.Event, object, None]:
    """Every first visit at its time: the base arrivals (customers 1..N, as drawn), then each
    campaign's (customers N+1..., campaign by campaign), merged in time order; a campaign's
    customer's visit is noted as its touch (``CampaignTouched``) before it begins."""
    plan, env = world.plan, world.env
    drawn = arrivals.draw(plan.arrivals, plan.horizon, world.streams("arrivals"))
    segments, homes = _who(world, world.streams("segments"), len(drawn))
    customers = np.arange(1, len(drawn) + 1)
    brought = np.full(len(drawn), -1)
    times, channels = drawn.times, drawn.channels
    if plan.arrivals.campaigns:
        parts = [(times, channels, segments, homes, customers, brought)]
        first = len(drawn) + 1
        for k, campaign in enumerate(plan.arrivals.campaigns):
            stream = world.streams(f"campaign:{campaign.name}")
            extra = arrivals.draw_uplift(plan.arrivals, campaign, plan.horizon, stream)
            who = _who(world, stream, len(extra))
            ids = np.arange(first, first + len(extra))
            parts.append((extra.times, extra.channels, *who, ids, np.full(len(extra), k)))
            first += len(extra)
        times, channels, segments, homes, customers, brought = (
            np.concatenate(column) for column in zip(*parts, strict=True)
        )
        order = np.argsort(times, kind="stable")
        times, channels, segments, homes, customers, brought = (
            a[order] for a in (times, channels, segments, homes, customers, brought)
        )
        world.draws.batched_below = len(drawn) + 1  # a campaign's customers: their own rows
    names = [c.name for c in plan.arrivals.campaigns]
    # Python lists a chunk at a time: quicker to read than numpy scalars one by one, and the
    # memory stays flat however many customers a run has.
    for start in range(0, len(times), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        for t, channel, segment, home, customer, campaign in zip(
            times[chunk].tolist(),
            channels[chunk].tolist(),
            segments[chunk].tolist(),
            homes[chunk].tolist(),
            customers[chunk].tolist(),
            brought[chunk].tolist(),
            strict=True,
        ):
            yield env.timeout(t - env.now)
            if campaign >= 0:
                world.note(
                    CampaignTouched(
                        t=SimTime(env.now), customer=CustomerId(customer),
                        channel=CHANNELS[channel], reason=names[campaign],
                    )
                )  # fmt: skip
            start_visit(world, customer, CHANNELS[channel], segment, 0, plan.regions[home])


def _who(world: World, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``n`` arrivals' segment and home region, drawn from ``rng``."""
    plan = world.plan
    shares = np.array([s.share for s in plan.segments])
    segments = rng.choice(len(plan.segments), size=n, p=shares / shares.sum())
    homes = rng.choice(len(plan.regions), size=n, p=plan.region_weights)
    return segments, homes
