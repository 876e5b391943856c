"""The world one replication runs in: the SimPy clock, the backend, the log, the resources.

Processes never change state themselves: they send commands through :meth:`World.do`, which
records the command (:class:`~simulation.commandlog.CommandLog`), asks the domain, appends the
events to the log, each carrying the command's id, and returns them (or ``None`` when the
domain refuses: the refusal is recorded too), and record observations (a visit, a stock
check, a lost sale) through :meth:`World.note`, which records them as the vocabulary's reads
and notes.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import pyarrow as pa
import simpy

from simulation.commandlog import ACCEPTED, CommandLog
from simulation.domain.backend import Backend
from simulation.domain.commands import Command
from simulation.domain.errors import DomainError
from simulation.domain.events import Event
from simulation.engine.calendar import Calendar
from simulation.engine.draws import VisitDraws
from simulation.engine.plan import Plan, SitePlan
from simulation.engine.streams import Streams
from simulation.engine.tables import Tables, tables_of
from simulation.eventlog import EventLog
from simulation.types import MINUTES_PER_DAY, LocationId, OrderId, SimTime, SkuId


@dataclass(slots=True)
class Facility:
    """A location's SimPy resources and today's pick count."""

    plan: SitePlan
    pickers: simpy.Resource
    desk: simpy.Resource | None
    picked_today: int = 0
    day: int = 0


class _Steps:
    """The callback that resumes a generator when the event it yielded is processed."""

    __slots__ = ("_send",)

    def __init__(self, steps: Generator[simpy.Event, object, None]) -> None:
        self._send = steps.send

    def __call__(self, _: simpy.Event | None) -> None:
        try:
            event = self._send(None)
        except StopIteration:
            return
        event.callbacks.append(self)


class _Call:
    """A timeout's callback that calls ``action()``: a third of a closure's size, and a long
    run keeps many waiting (every customer's next visit)."""

    __slots__ = ("_action",)

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action

    def __call__(self, _: simpy.Event) -> None:
        self._action()


@dataclass(slots=True)
class World:
    env: simpy.Environment
    plan: Plan
    streams: Streams
    tables: Tables
    draws: VisitDraws
    backend: Backend = field(default_factory=Backend)
    log: EventLog = field(default_factory=EventLog)
    commands: CommandLog = field(default_factory=CommandLog)
    sites: dict[LocationId, Facility] = field(default_factory=dict)
    on_order: Counter[tuple[LocationId, SkuId]] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    backorders: defaultdict[tuple[LocationId, SkuId], deque[tuple[OrderId, int, int]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    """Backorders waiting at each (location, sku), oldest first: (order, units, customer)."""
    backordered: Counter[tuple[LocationId, SkuId]] = field(default_factory=Counter)
    watch: Callable[[LocationId, SkuId], None] | None = None
    """Called with each (location, sku) whose stock a command changed (continuous review)."""
    watching: bool = False

    @classmethod
    def build(
        cls,
        plan: Plan,
        streams: Streams,
        log: EventLog | None = None,
        *,
        draws: VisitDraws | None = None,
        commands: CommandLog | None = None,
    ) -> World:
        """A world at time 0; events go to ``log`` and commands to ``commands`` (new
        in-memory logs by default)."""
        env = Calendar()
        rep = streams.replication
        world = cls(
            env=env,
            plan=plan,
            streams=streams,
            tables=tables_of(plan),
            draws=VisitDraws(streams) if draws is None else draws,
            log=EventLog(replication=rep) if log is None else log,
            commands=CommandLog(replication=rep) if commands is None else commands,
        )
        for sp in plan.sites:
            desk = simpy.Resource(env, sp.desk_servers) if sp.desk_servers > 0 else None
            world.sites[sp.id] = Facility(
                plan=sp, pickers=simpy.Resource(env, sp.pickers), desk=desk
            )
        return world

    @property
    def now(self) -> SimTime:
        # SimTime(...) would cost a Python call, and nearly every event reads the time
        return self.env.now  # type: ignore[return-value]

    def do(self, command: Command, customer: int | None = None) -> list[Event] | None:
        """Send a command of ``customer``'s journey (None: a location's back office): it is
        recorded, its events are logged with its id and returned; a refusal returns None."""
        try:
            events = self.backend.handle(command)
        except DomainError as refused:
            self.refused[refused.rule] += 1
            self.commands.record(command, customer, refused.rule)
            return None
        self.log.extend(events, self.commands.record(command, customer, ACCEPTED))
        if self.watch is not None and not self.watching:  # a review's own orders: no re-review
            self.watching = True
            try:
                touched = {
                    (loc, sku)
                    for e in events
                    if (loc := getattr(e, "location", None)) and (sku := getattr(e, "sku", None))
                }
                for location, sku in sorted(touched):
                    self.watch(location, sku)
            finally:
                self.watching = False
        return events

    def command_table(self) -> pa.Table:
        """The command log as a table (its reads and notes from the event log)."""
        return self.commands.to_table(self.log.to_table())

    def call_at(self, t: float, action: Callable[[], None]) -> None:
        """Call ``action`` at time ``t`` (not before now).

        For what waits for a deadline and then does one thing (a cart reservation or a
        hold expiring, a customer's next visit starting): one timeout with a callback, where a
        process would cost three SimPy events (start, timeout, end) and a generator.
        """

        self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(_Call(action))

    def start(self, steps: Generator[simpy.Event, object, None]) -> None:
        """Run ``steps`` from now on, as a SimPy process that nobody waits for.

        ``steps`` (a visit) runs at once up to its first ``yield`` of an event not yet
        processed (a timeout), and on from there each time the event it yielded is processed;
        what it yields gets nothing back. Unlike :meth:`simpy.Environment.process`, starting and
        ending cost no SimPy event each: two of a short visit's five or six.
        """
        _Steps(steps)(None)

    def note(self, event: Event) -> None:
        """Record an observation that changes no state (a visit, a stock check, a lost sale):
        the vocabulary's read or note of its type, whose record is this event."""
        self.log.append(event, self.commands.observe())

    def next_id(self) -> int:
        return next(self.ids)

    def available(self, location: LocationId, sku: SkuId, channel: object) -> int:
        return self.backend.stock_level(location, sku).available_to(channel)  # type: ignore[arg-type]

    def capacity_left(self, location: LocationId) -> float:
        site = self.sites[location]
        self._roll_day(site)
        return site.plan.pick_capacity - site.picked_today

    def use_capacity(self, location: LocationId, units: int) -> None:
        site = self.sites[location]
        self._roll_day(site)
        site.picked_today += units

    def _roll_day(self, site: Facility) -> None:
        day = int(self.env.now // MINUTES_PER_DAY)
        if day != site.day:
            site.day, site.picked_today = day, 0
