"""What a replay measured: per step kind and measure a histogram, per journey one, a per-second
timeline, the counts of each result, and the ledger of writes the reconciliation folds.

A request costs the recorder a count and three floats appended to its kind's buffer: the
buffers are folded into the histograms and the timeline with numpy a few thousand requests at
a time, and whenever they are read (``steps``, ``timeline``, ``journeys``, :meth:`take`).
:meth:`~loadtests.histogram.Histogram.record`, value by value, is the oracle the tests hold the
fold to.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from loadtests.adapters.base import (
    DIVERGED,
    ERROR,
    IMPLICIT,
    NOT_FOUND,
    OK,
    PARTIAL,
    REFUSED,
    SKIPPED,
    UNAUTHORISED,
)
from loadtests.histogram import Histogram
from loadtests.journeys import READS, Scheduled, Step
from simulation.commandlog import ACCEPTED

MEASURES = ("intended", "actual", "lag")
NOT_RUN = "not_run"
"""A step not sent because the run time was up (or the run stopped), as a result's name."""
RESULTS = (
    OK,
    PARTIAL,
    REFUSED,
    NOT_FOUND,
    UNAUTHORISED,
    ERROR,
    SKIPPED,
    IMPLICIT,
    DIVERGED,
    NOT_RUN,
)
UNSENT = frozenset({SKIPPED, IMPLICIT, DIVERGED})
"""Results of a step the replay chose not to send: counted, never measured."""
BATCH = 4096
"""Requests of one kind (or journeys) held in a buffer before it is folded."""
_FULL = 3 * BATCH  # floats in a full buffer of requests


@dataclass(slots=True)
class Outcome:
    """One step as the target answered it (or why it was not sent).

    ``expected`` is the simulation's own outcome of the step (``ok`` or the rule that refused
    it), ``rule`` the simulation's rule the target's refusal maps to (None when the target's
    code maps to none), ``divergence`` what the replay saw: ``first`` for the journey's first
    step decided otherwise than in the simulation, ``consequence`` for a later one.
    """

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
    expected: str = ACCEPTED
    rule: str | None = None
    divergence: str = ""

    @property
    def step(self) -> Step:
        return Step(self.kind, self.t, self.data, command=self.command, expected=self.expected)


class Recorder:
    """Histograms per step kind and measure, per journey, a timeline, and the write ledger.

    ``counts[kind]`` holds one count per name in :data:`RESULTS`; ``journeys_done`` counts the
    journeys that ran to their end (only those are in the ``journeys`` histogram),
    ``journeys_cut`` those stopped part-way, ``journeys_not_run`` those that never sent a step.
    ``steps[kind][measure]`` is a :class:`Histogram` of seconds; ``timeline[second]`` is
    ``[requests, errors, sum, max, max lag]`` of the requests answered in that second.
    Workers each keep one and send :meth:`take` to the master, which :meth:`absorb`-s them.
    """

    def __init__(self) -> None:
        self._steps: dict[str, dict[str, Histogram]] = {}
        self._journeys = Histogram()
        self.counts: dict[str, dict[str, int]] = {}
        self._timeline: dict[int, list[float]] = {}
        self.ledger: list[Outcome] = []
        self.journeys_done = 0
        self.journeys_cut = 0
        self.journeys_not_run = 0
        # per kind: its counts, its buffer of (intended, sent, done) not folded yet, and the
        # buffer's append
        self._hot: dict[str, tuple[dict[str, int], array[float], Callable[[float], None]]] = {}
        self._errors: list[float] = []  # when each buffered error was answered
        self._ended: array[float] = array("d")  # buffered journey durations

    @property
    def steps(self) -> dict[str, dict[str, Histogram]]:
        self._fold()
        return self._steps

    @property
    def timeline(self) -> dict[int, list[float]]:
        self._fold()
        return self._timeline

    @property
    def journeys(self) -> Histogram:
        self._fold()
        return self._journeys

    def add(self, outcome: Outcome) -> None:
        """One step's outcome: measured (unless it was not sent), and in the ledger if it is a
        write. A step that diverged on its own answer (a capture found nothing) was sent:
        measured."""
        if outcome.result in UNSENT and not outcome.status:
            self._counts(outcome.kind)[outcome.result] += 1
        else:
            self.record(outcome.kind, outcome.result, outcome.intended, outcome.sent, outcome.done)
        if outcome.kind not in READS:
            self.ledger.append(outcome)

    def record(self, kind: str, result: str, intended: float, sent: float, done: float) -> None:
        """One answered (or unanswered) request, in seconds from the replay's start: counted,
        and its three measures (from ``intended`` and from ``sent`` to ``done``, and the lag
        between the two) in the kind's histograms and the timeline. The replay calls this
        directly for reads, which need no :class:`Outcome` (they are not in the ledger)."""
        counts, pending, add = self._hot.get(kind) or self._heat(kind)
        counts[result] += 1
        add(intended)
        add(sent)
        add(done)
        if result == ERROR:
            self._errors.append(done)
        if len(pending) >= _FULL:
            self._fold()

    def journey(self, seconds: float) -> None:
        """A journey ran to its end, ``seconds`` after its scheduled start."""
        self._ended.append(seconds)
        self.journeys_done += 1
        if len(self._ended) >= BATCH:
            self._fold()

    def not_run(self, item: Scheduled, index: int = 0) -> None:
        """The steps of ``item`` from ``index`` on were not sent: the run's time was up."""
        steps = item.journey.steps
        for step in steps[index:]:
            self._counts(step.kind)[NOT_RUN] += 1
        if index == 0:
            self.journeys_not_run += 1
        elif index < len(steps):
            self.journeys_cut += 1

    def _fold(self) -> None:
        for kind, (_, pending, _add) in self._hot.items():
            if pending:
                times = np.array(pending, dtype=np.float64).reshape(-1, 3)
                del pending[:]
                intended, sent, done = times[:, 0], times[:, 1], times[:, 2]
                marks = self._marks(kind)
                latency, lag = done - intended, sent - intended
                marks["intended"].record_array(latency)
                marks["actual"].record_array(done - sent)
                marks["lag"].record_array(lag)
                self._fold_timeline(done, latency, lag)
        for done_at in self._errors:
            self._timeline[int(done_at)][1] += 1
        self._errors.clear()
        if self._ended:
            self._journeys.record_array(np.array(self._ended, dtype=np.float64))
            del self._ended[:]

    def _fold_timeline(self, done: np.ndarray, latency: np.ndarray, lag: np.ndarray) -> None:
        seconds, where = np.unique(done.astype(np.int64), return_inverse=True)
        top, late = np.zeros(len(seconds)), np.zeros(len(seconds))
        np.maximum.at(top, where, latency)
        np.maximum.at(late, where, lag)
        summed = np.bincount(where, weights=latency, minlength=len(seconds))
        counted = np.bincount(where, minlength=len(seconds))
        timeline = self._timeline
        columns = (seconds, counted, summed, top, late)
        for second, n, total, most, lagged in zip(*(c.tolist() for c in columns), strict=True):
            row = timeline.get(second)
            if row is None:
                row = timeline[second] = [0, 0, 0.0, 0.0, 0.0]
            row[0] += n
            row[2] += total
            row[3] = max(row[3], most)
            row[4] = max(row[4], lagged)

    def _heat(self, kind: str) -> tuple[dict[str, int], array[float], Callable[[float], None]]:
        pending = array("d")
        hot = self._hot[kind] = (self._counts(kind), pending, pending.append)
        return hot

    def _counts(self, kind: str) -> dict[str, int]:
        counts = self.counts.get(kind)
        if counts is None:
            counts = self.counts[kind] = dict.fromkeys(RESULTS, 0)
        return counts

    def _marks(self, kind: str) -> dict[str, Histogram]:
        marks = self._steps.get(kind)
        if marks is None:
            marks = self._steps[kind] = {m: Histogram() for m in MEASURES}
        return marks

    def take(self) -> dict[str, Any]:
        """Everything recorded since the last take, JSON-able, and start afresh."""
        self._fold()
        data = {
            "steps": {k: {m: h.to_dict() for m, h in v.items()} for k, v in self._steps.items()},
            "journeys": self._journeys.to_dict(),
            "journeys_done": self.journeys_done,
            "journeys_cut": self.journeys_cut,
            "journeys_not_run": self.journeys_not_run,
            "counts": self.counts,
            "timeline": {str(k): v for k, v in self._timeline.items()},
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
        self._journeys.merge(Histogram.from_dict(data["journeys"]))
        self.journeys_done += int(data["journeys_done"])
        self.journeys_cut += int(data.get("journeys_cut", 0))
        self.journeys_not_run += int(data.get("journeys_not_run", 0))
        for kind, counts in data["counts"].items():
            mine_counts = self._counts(kind)
            for result, n in counts.items():
                mine_counts[result] += int(n)
        for second, (n, errors, total, top, lag) in data["timeline"].items():
            row = self._timeline.setdefault(int(second), [0, 0, 0.0, 0.0, 0.0])
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
