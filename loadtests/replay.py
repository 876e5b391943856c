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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from loadtests.adapters.base import ERROR, OK, REFUSED, SKIPPED, Adapter, Answer, Ids, Request
from loadtests.histogram import Histogram
from loadtests.journeys import READS, Scheduled, Step
from simulation.domain.vocabulary import KINDS

MEASURES = ("intended", "actual", "lag")
_CREATES = {k.name: k.creates for k in KINDS if k.creates is not None}
"""The kinds that create a cart or an order, and which: later steps about it need it."""


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
    command: int
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
        return Step(self.kind, self.t, self.data, command=self.command)


class Recorder:
    """Histograms per step kind and measure, per journey, a timeline, and the write ledger.

    Workers each keep one and send :meth:`take` to the master, which :meth:`absorb`-s them.
    """

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Histogram]] = {}
        self.journeys = Histogram()
        self.counts: dict[str, dict[str, int]] = {}
        self.timeline: dict[int, list[float]] = {}  # second -> [requests, errors, sum, max, lag]
        self.ledger: list[Outcome] = []
        self.journeys_done = 0

    def add(self, outcome: Outcome) -> None:
        counts = self._counts(outcome.kind)
        counts[outcome.result] += 1
        if outcome.result != SKIPPED:
            marks = self._marks(outcome.kind)
            marks["intended"].record(outcome.done - outcome.intended)
            marks["actual"].record(outcome.done - outcome.sent)
            marks["lag"].record(outcome.sent - outcome.intended)
            second = self.timeline.setdefault(int(outcome.done), [0, 0, 0.0, 0.0, 0.0])
            latency = outcome.done - outcome.intended
            second[0] += 1
            second[1] += outcome.result == ERROR
            second[2] += latency
            second[3] = max(second[3], latency)
            second[4] = max(second[4], outcome.sent - outcome.intended)
        if outcome.kind not in READS:
            self.ledger.append(outcome)

    def _counts(self, kind: str) -> dict[str, int]:
        counts = self.counts.get(kind)
        if counts is None:
            counts = self.counts[kind] = dict.fromkeys((OK, REFUSED, ERROR, SKIPPED), 0)
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
) -> None:
    """Send one journey's steps in order, each at or after its scheduled time; times are
    recorded in seconds from ``origin``.

    A step about a cart or an order whose creation the target refused (or never answered) is
    skipped: the customer cannot go on with it. So is a step the adapter has no request for.
    Once ``stop()`` is true no further step is sent (the run time is up).
    """
    ids = Ids()
    lost: set[tuple[str, int]] = set()
    last = item.start
    for step, offset in zip(item.journey.steps, item.offsets, strict=True):
        intended = offset
        wait = origin + intended - clock.now()
        if wait > 0:
            clock.sleep(wait)
        if stop():
            break
        base = Outcome(item.journey.customer, step.kind, step.t, step.command, step.data, SKIPPED)
        if any((k, step.data.get(k)) in lost for k in ("cart", "order")):
            base.detail = "its cart or order was refused"
            recorder.add(base)
            continue
        request = adapter.request(step, ids)
        if request is None:
            base.detail = "the adapter has no request for this step"
            recorder.add(base)
            continue
        sent = clock.now() - origin
        answer = send(request)
        done = last = clock.now() - origin
        base.result = adapter.outcome(answer)
        base.status, base.intended, base.sent, base.done = answer.status, intended, sent, done
        base.order_key = adapter.order_key(answer)
        if base.result == OK:
            adapter.learn(step, answer, ids)
            base.learned = {
                k: ids.of(k, int(step.data[k])) for k in ("cart", "order") if k in step.data
            }
        else:
            base.detail = _detail(answer)
            if step.kind in _CREATES:
                lost.add((_CREATES[step.kind], step.data[_CREATES[step.kind]]))
        recorder.add(base)
    recorder.journey(last - item.start)


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
) -> int:
    """Start every journey at its scheduled time (``spawn`` runs it, blocking while the limit
    of journeys in flight is reached); stop starting new ones after ``until``. Returns the
    number started."""
    started = 0
    for item in sorted(items, key=lambda s: (s.start, s.journey.customer)):
        at = origin + item.start
        if until is not None and at > until:
            break
        wait = at - clock.now()
        if wait > 0:
            clock.sleep(wait)
        spawn(item)
        started += 1
    return started
