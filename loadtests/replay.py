"""The open-arrival replay: journeys start on schedule whether or not the target keeps up.

This is the heart of the load test, free of Locust and gevent so that it can be tested in
virtual time: :func:`dispatch` starts each journey at its scheduled offset (through a
``spawn`` that may block when too many journeys are in flight, as k6's ``maxVUs``), and
:func:`play_journey` sends its steps in order, each after the previous answer and never
before its own scheduled time. Every request is measured three ways, as wrk2 does:

- ``intended``: from the step's scheduled send time to the answer (free of coordinated
  omission: a stalled target cannot hide the customers who were kept waiting);
- ``actual``: from the moment it was really sent to the answer (what most tools report);
- ``lag``: how late it was sent (the schedule's own delay, reported on its own).

The :class:`Recorder` keeps one histogram of each per step kind, one per whole journey, a
per-second timeline, and the ledger of writes the reconciliation folds.

A run may have a ``deadline`` (``--run-time``): no step is sent after it, and what was not sent
is counted as ``not_run`` (apart from ``skipped``, a step the replay chose not to send): every
step of a journey that never started, and the rest of a journey it cut short.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from loadtests.adapters.base import ERROR, OK, REFUSED, SKIPPED, Adapter, Answer, Ids, Request
from loadtests.histogram import Histogram
from loadtests.journeys import READS, Scheduled, Step

MEASURES = ("intended", "actual", "lag")
NOT_RUN = "not_run"
"""A step not sent because the run time was up (or the run stopped), as a result's name."""
RESULTS = (OK, REFUSED, ERROR, SKIPPED, NOT_RUN)
GRACE = 1.0
"""Seconds after the run time's end that a request in flight may still take to answer."""
_CREATES = {"open_cart": "cart", "checkout": "order"}


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


Send = Callable[[Request], Answer]


@dataclass(slots=True)
class Outcome:
    """One step as the target answered it (or why it was not sent)."""

    customer: int
    kind: str
    t: float
    seq: int
    data: dict[str, Any]
    result: str
    status: int = 0
    intended: float = 0.0
    sent: float = 0.0
    done: float = 0.0
    order_key: float | None = None
    learned: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    @property
    def step(self) -> Step:
        return Step(self.kind, self.t, self.data, seq=self.seq)


class Recorder:
    """Histograms per step kind and measure, per journey, a timeline, and the write ledger.

    ``counts[kind]`` holds one count per name in :data:`RESULTS`; ``journeys_done`` counts the
    journeys that ran to their end (only those are in the ``journeys`` histogram),
    ``journeys_cut`` those stopped part-way, ``journeys_not_run`` those that never sent a step.
    Workers each keep one and send :meth:`take` to the master, which :meth:`absorb`-s them.
    """

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Histogram]] = {}
        self.journeys = Histogram()
        self.counts: dict[str, dict[str, int]] = {}
        self.timeline: dict[int, list[float]] = {}  # second -> [requests, errors, sum, max, lag]
        self.ledger: list[Outcome] = []
        self.journeys_done = 0
        self.journeys_cut = 0
        self.journeys_not_run = 0
        # per kind: its counts and its three histograms, so that a request costs no lookups
        self._hot: dict[str, tuple[dict[str, int], Histogram, Histogram, Histogram]] = {}

    def add(self, outcome: Outcome) -> None:
        """One step's outcome: measured (unless skipped), and in the ledger if it is a write."""
        if outcome.result == SKIPPED:
            self._counts(outcome.kind)[SKIPPED] += 1
        else:
            self.record(outcome.kind, outcome.result, outcome.intended, outcome.sent, outcome.done)
        if outcome.kind not in READS:
            self.ledger.append(outcome)

    def record(self, kind: str, result: str, intended: float, sent: float, done: float) -> None:
        """One answered (or unanswered) request, in seconds from the replay's start: counted,
        its three measures in the kind's histograms, and in the timeline. The replay calls
        this directly for reads, which need no :class:`Outcome` (they are not in the ledger)."""
        hot = self._hot.get(kind) or self._heat(kind)
        hot[0][result] += 1
        latency, lag = done - intended, sent - intended
        hot[1].record(latency)
        hot[2].record(done - sent)
        hot[3].record(lag)
        second = int(done)
        row = self.timeline.get(second)
        if row is None:
            row = self.timeline[second] = [0, 0, 0.0, 0.0, 0.0]
        row[0] += 1
        if result == ERROR:
            row[1] += 1
        row[2] += latency
        if latency > row[3]:  # noqa: PLR1730 - a comparison, not a max() call, per request
            row[3] = latency
        if lag > row[4]:  # noqa: PLR1730
            row[4] = lag

    def not_run(self, item: Scheduled, index: int = 0) -> None:
        """The steps of ``item`` from ``index`` on were not sent: the run's time was up."""
        steps = item.journey.steps
        for step in steps[index:]:
            self._counts(step.kind)[NOT_RUN] += 1
        if index == 0:
            self.journeys_not_run += 1
        elif index < len(steps):
            self.journeys_cut += 1

    def _heat(self, kind: str) -> tuple[dict[str, int], Histogram, Histogram, Histogram]:
        marks = self._marks(kind)
        hot = self._hot[kind] = (
            self._counts(kind),
            marks["intended"],
            marks["actual"],
            marks["lag"],
        )
        return hot

    def _counts(self, kind: str) -> dict[str, int]:
        counts = self.counts.get(kind)
        if counts is None:
            counts = self.counts[kind] = dict.fromkeys(RESULTS, 0)
        return counts

    def _marks(self, kind: str) -> dict[str, Histogram]:
        marks = self.steps.get(kind)
        if marks is None:
            marks = self.steps[kind] = {m: Histogram() for m in MEASURES}
        return marks

    def journey(self, seconds: float) -> None:
        self.journeys.record(seconds)
        self.journeys_done += 1

    def take(self) -> dict[str, Any]:
        """Everything recorded since the last take, JSON-able, and start afresh."""
        data = {
            "steps": {k: {m: h.to_dict() for m, h in v.items()} for k, v in self.steps.items()},
            "journeys": self.journeys.to_dict(),
            "journeys_done": self.journeys_done,
            "journeys_cut": self.journeys_cut,
            "journeys_not_run": self.journeys_not_run,
            "counts": self.counts,
            "timeline": {str(k): v for k, v in self.timeline.items()},
            "ledger": [asdict(o) for o in self.ledger],
        }
        self.__init__()  # type: ignore[misc]
        return data

    def absorb(self, data: dict[str, Any]) -> None:
        """Add what another recorder took (from a worker)."""
        for kind, marks in data["steps"].items():
            mine = self._marks(kind)
            for m, h in marks.items():
                mine[m].merge(Histogram.from_dict(h))
        self.journeys.merge(Histogram.from_dict(data["journeys"]))
        self.journeys_done += int(data["journeys_done"])
        self.journeys_cut += int(data.get("journeys_cut", 0))
        self.journeys_not_run += int(data.get("journeys_not_run", 0))
        for kind, counts in data["counts"].items():
            mine_counts = self._counts(kind)
            for result, n in counts.items():
                mine_counts[result] += int(n)
        for second, (n, errors, total, top, lag) in data["timeline"].items():
            row = self.timeline.setdefault(int(second), [0, 0, 0.0, 0.0, 0.0])
            row[0] += n
            row[1] += errors
            row[2] += total
            row[3] = max(row[3], top)
            row[4] = max(row[4], lag)
        self.ledger.extend(Outcome(**o) for o in data["ledger"])

    def total(self, measure: str) -> Histogram:
        """One measure over every step kind."""
        out = Histogram()
        for marks in self.steps.values():
            out.merge(marks[measure])
        return out


def play_journey(  # noqa: PLR0917
    item: Scheduled,
    origin: float,
    adapter: Adapter,
    send: Send,
    clock: Clock,
    recorder: Recorder,
    stop: Callable[[], bool] = lambda: False,
    *,
    deadline: float | None = None,
) -> None:
    """Send one journey's steps in order, each at or after its scheduled time; times are
    recorded in seconds from ``origin``.

    A step about a cart or an order whose creation the target refused (or never answered) is
    skipped: the customer cannot go on with it. So is a step the adapter has no request for.
    No step is sent once ``stop()`` is true or the clock is past ``deadline`` (the run time is
    up), nor one scheduled after the deadline: the journey ends at once instead of sleeping
    until it, and its remaining steps are counted as not run.
    """
    steps, customer = item.journey.steps, item.journey.customer
    ids = Ids()
    lost: set[tuple[str, Any]] = set()
    last = item.start
    counted = 0  # steps recorded so far; the rest are not run when the loop stops early
    try:
        for step, offset in zip(steps, item.offsets, strict=True):
            due = origin + offset
            if deadline is not None and due > deadline:
                break
            wait = due - clock.now()
            if wait > 0:
                clock.sleep(wait)
            if stop() or (deadline is not None and clock.now() > deadline):
                break
            data = step.data
            if lost and any((k, data.get(k)) in lost for k in ("cart", "order")):
                _skip(recorder, customer, step, "its cart or order was refused")
            elif (request := adapter.request(step, ids)) is None:
                _skip(recorder, customer, step, "the adapter has no request for this step")
            else:
                sent = clock.now() - origin
                answer = send(request)
                done = last = clock.now() - origin
                times = (offset, sent, done)
                _answered(recorder, adapter, customer, step, ids, lost, answer, times)
            counted += 1
    finally:  # also when the journey is killed: what it did not record is counted as not run
        if counted < len(steps):
            recorder.not_run(item, counted)
        else:
            recorder.journey(last - item.start)


def _answered(  # noqa: PLR0917
    recorder: Recorder,
    adapter: Adapter,
    customer: int,
    step: Step,
    ids: Ids,
    lost: set[tuple[str, Any]],
    answer: Answer,
    times: tuple[float, float, float],
) -> None:
    """Record an answer; a read needs no :class:`Outcome` (it is never reconciled)."""
    result = adapter.outcome(answer)
    if result == OK:
        adapter.learn(step, answer, ids)
    if step.kind in READS:
        recorder.record(step.kind, result, *times)
        return
    data = step.data
    outcome = Outcome(customer, step.kind, step.t, step.seq, data, result, answer.status,
                      *times, adapter.order_key(answer))  # fmt: skip
    if result == OK:
        outcome.learned = {k: ids.of(k, int(data[k])) for k in ("cart", "order") if k in data}
    else:
        outcome.detail = _detail(answer)
        if step.kind in _CREATES:
            lost.add((_CREATES[step.kind], data[_CREATES[step.kind]]))
    recorder.add(outcome)


def _skip(recorder: Recorder, customer: int, step: Step, why: str) -> None:
    recorder.add(Outcome(customer, step.kind, step.t, step.seq, step.data, SKIPPED, detail=why))


def _detail(answer: Answer) -> str:
    if answer.error:
        return answer.error
    body = answer.body
    if isinstance(body, dict):
        return str(body.get("rule") or body.get("title") or body.get("detail") or "")[:200]
    return ""


def dispatch(
    items: Iterable[Scheduled],
    origin: float,
    clock: Clock,
    spawn: Callable[[Scheduled], None],
    *,
    until: float | None = None,
    not_started: Callable[[Scheduled], None] | None = None,
) -> int:
    """Start every journey at its scheduled time (``spawn`` runs it, blocking while the limit
    of journeys in flight is reached, or queueing it: see :class:`Starter`); stop starting new
    ones after ``until``, handing each journey left to ``not_started``. Returns the number
    started."""
    ordered = sorted(items, key=lambda s: (s.start, s.journey.customer))
    for started, item in enumerate(ordered):
        at = origin + item.start
        if until is not None and at > until:
            if not_started is not None:
                for left in ordered[started:]:
                    not_started(left)
            return started
        wait = at - clock.now()
        if wait > 0:
            clock.sleep(wait)
        spawn(item)
    return len(ordered)


class Starter:
    """Journeys in flight, at most ``limit`` at once, each started as soon as it is due.

    ``start`` (a :func:`dispatch` spawn) runs a due journey in a new task (``spawn(run)``) while
    fewer than ``limit`` are in flight; beyond, the journey waits in a backlog, and a task that
    ends its journey goes on with the oldest waiting one instead of ending: a saturated replay
    makes no task per journey, and the schedule's order is kept. ``in_flight`` counts tasks,
    updated before a task ends, so a journey is never left in the backlog with no task to run
    it.
    """

    def __init__(
        self,
        limit: int,
        play: Callable[[Scheduled], None],
        spawn: Callable[[Callable[[Scheduled], None], Scheduled], object],
    ) -> None:
        if limit < 1:
            raise ValueError(f"journeys in flight: expected at least 1, got {limit}")
        self.limit, self.play, self.spawn = limit, play, spawn
        self.backlog: deque[Scheduled] = deque()
        self.in_flight = 0

    def start(self, item: Scheduled) -> None:
        if self.in_flight < self.limit:
            self.in_flight += 1
            self.spawn(self.run, item)
        else:
            self.backlog.append(item)

    def run(self, item: Scheduled) -> None:
        backlog = self.backlog
        try:
            while True:
                self.play(item)
                if not backlog:
                    return
                item = backlog.popleft()
        finally:
            self.in_flight -= 1
