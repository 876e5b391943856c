"""The open-arrival replay: journeys start on schedule whether or not the target keeps up.

This is the heart of the load test, free of Locust and gevent so that it can be tested in
virtual time: :func:`dispatch` starts each journey at its scheduled offset (through a
:class:`Starter`, which holds a journey back while too many are in flight, as k6's
``maxVUs``), and a :class:`JourneyPlayer` sends its steps in order, each after the previous
answer and never before its own scheduled time. Every request is measured three ways, as wrk2 does:

- ``intended``: from the step's scheduled send time to the answer (free of coordinated
  omission: a stalled target cannot hide the customers who were kept waiting);
- ``actual``: from the moment it was really sent to the answer (what most tools report);
- ``lag``: how late it was sent (the schedule's own delay, reported on its own).

The :class:`~loadtests.recorder.Recorder` keeps one histogram of each per step kind, one per
whole journey, a per-second timeline, and the ledger of writes the reconciliation folds.

A run may have a ``deadline`` (``--run-time``): no step is sent after it, and what was not sent
is counted as ``not_run`` (apart from ``skipped``, a step the replay chose not to send): every
step of a journey that never started, and the rest of a journey it cut short.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from loadtests.adapters.base import (
    DIVERGED,
    IMPLICIT,
    OK,
    SKIPPED,
    Adapter,
    Answer,
    Classified,
    JourneyState,
    Request,
)
from loadtests.divergence import CONSEQUENCE, CREATED, FIRST, Course, differs
from loadtests.journeys import OPERATIONS, READS, Scheduled, Step
from loadtests.recorder import MEASURES, NOT_RUN, RESULTS, Outcome, Recorder
from simulation.commandlog import ACCEPTED
from simulation.domain.vocabulary import KINDS

__all__ = [
    "GRACE", "MEASURES", "NOT_RUN", "RESULTS", "JourneyPlayer", "Outcome", "Recorder", "Starter",
    "dispatch", "play_journey",
]  # fmt: skip

GRACE = 1.0
"""Seconds after the run time's end that a request in flight may still take to answer."""
_CREATES = {k.name: k.creates for k in KINDS if k.creates is not None}
"""The kinds that create a cart or an order, and which: later steps about it need it."""


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


Send = Callable[[Request], Answer]


def play_journey(  # noqa: PLR0917
    item: Scheduled,
    origin: float,
    adapter: Adapter,
    send: Send,
    clock: Clock,
    recorder: Recorder,
    stop: Callable[[], bool] | None = None,
    *,
    deadline: float | None = None,
) -> None:
    """Send one journey's steps in order, each at or after its scheduled time; times are
    recorded in seconds from ``origin``. See :class:`JourneyPlayer`."""
    JourneyPlayer(origin, adapter, send, clock, recorder, stop, deadline=deadline).play(item)


class JourneyPlayer:
    """Plays journeys one after another for one run (what :func:`play_journey` does for one).

    A step the target decides otherwise than the simulation did marks the journey diverged
    (see :mod:`loadtests.divergence`): the first such step is recorded as ``first``, later ones
    as ``consequence``. A step about a cart or an order the target never created is not sent:
    ``diverged`` when its creation was refused, unanswered or not sent itself, ``skipped`` when
    the adapter has no request for its creation; so is a step the adapter has no request for.
    No step is sent once the clock is past ``deadline`` (the run time is up), after
    :meth:`halt`, or once ``stop()`` is true, nor one scheduled after the deadline: the journey
    ends at once instead of sleeping until it, and its remaining steps are counted as not run.
    The run's settings are bound once here, so that a request costs the replay as few Python
    calls as it can (the replay measures its own overhead against a bare Locust user).
    """

    __slots__ = ("adapter", "classifies", "ends", "learns", "now", "origin", "performs",
                 "recorder", "send", "sleep", "stop")  # fmt: skip

    def __init__(  # noqa: PLR0917
        self,
        origin: float,
        adapter: Adapter,
        send: Send,
        clock: Clock,
        recorder: Recorder,
        stop: Callable[[], bool] | None = None,
        *,
        deadline: float | None = None,
    ) -> None:
        self.origin, self.adapter, self.send, self.recorder = origin, adapter, send, recorder
        self.now, self.sleep, self.stop = clock.now, clock.sleep, stop
        self.ends = math.inf if deadline is None else deadline
        self.learns = type(adapter).learn is not Adapter.learn  # else no call per answer
        # An adapter that does not classify answers itself: its outcome() is the result, and no
        # Classified is made per write.
        self.classifies = type(adapter).classify is not Adapter.classify
        self.performs = type(adapter).perform is not Adapter.perform  # else inline, below

    def halt(self) -> None:
        """Send no further step, in any journey (the run stops early)."""
        self.ends = -math.inf

    def play(self, item: Scheduled) -> None:  # noqa: PLR0912, PLR0915 - the hot loop, in one piece
        """One journey, to its end or to the deadline."""
        steps = item.journey.steps
        origin, now, recorder, stop = self.origin, self.now, self.recorder, self.stop
        adapter = self.adapter
        ids = JourneyState(item.journey.customer)
        course: Course | None = None  # made at the journey's first divergence or lost creation
        offsets = item.offsets
        last = start = offsets[0]
        counted = 0  # steps recorded so far; the rest are not run when the loop stops early
        performs = self.performs
        try:
            for step in steps:  # (a zip with strict=True costs a keyword call per journey)
                offset = offsets[counted]
                due = origin + offset
                if due > self.ends:
                    break
                at = now()
                if due > at:
                    self.sleep(due - at)
                    at = now()
                if at > self.ends or (stop is not None and stop()):
                    break
                if course is not None and course.missing and (why := course.blocked(step.data)):
                    course = _unsent(recorder, item.journey.customer, step, course, *why)
                elif performs:  # the adapter sends the step itself (several requests, captures)
                    sent = now() - origin
                    answer, classified = adapter.perform(step, ids, self.send)
                    if answer is None:  # not sent: skipped, implicit or diverged
                        course = _unsent(recorder, item.journey.customer, step, course,
                                         classified.result, classified.detail)  # fmt: skip
                    else:
                        done = last = now() - origin
                        if step.kind in READS:
                            recorder.record(step.kind, classified.result, offset, sent, done)
                        else:
                            course = self._write(item, step, ids, course, answer,
                                                 (offset, sent, done), classified)  # fmt: skip
                elif (request := adapter.request(step, ids)) is None:
                    why = (SKIPPED, "the adapter has no request for this step")
                    course = _unsent(recorder, item.journey.customer, step, course, *why)
                else:
                    sent = now() - origin
                    answer = self.send(request)
                    done = last = now() - origin
                    if step.kind in READS:  # measured, never reconciled: no outcome to keep
                        result = (adapter.classify(step, answer).result if self.classifies
                                  else adapter.outcome(answer))  # fmt: skip
                        if result == OK and self.learns:
                            adapter.learn(step, answer, ids)
                        recorder.record(step.kind, result, offset, sent, done)
                    else:
                        course = self._write(item, step, ids, course, answer, (offset, sent, done))
                counted += 1
        finally:  # also when the journey is killed: what it did not record is counted as not run
            if counted < len(steps):
                recorder.not_run(item, counted)
            else:
                recorder.journey(last - start)

    def _write(  # noqa: PLR0917
        self,
        item: Scheduled,
        step: Step,
        ids: JourneyState,
        course: Course | None,
        answer: Answer,
        measured: tuple[float, float, float],
        classified: Classified | None = None,
    ) -> Course | None:
        """A write's outcome, into the ledger, judged against the simulation's; returns the
        journey's course (made when it first diverges or loses a creation). ``classified``:
        the answer as an adapter that sent the step itself read it (and learnt from it)."""
        intended, sent, done = measured
        adapter, data, expected = self.adapter, step.data, step.expected
        learn = classified is None and self.learns
        if classified is None and self.classifies:
            classified = adapter.classify(step, answer)
        result = adapter.outcome(answer) if classified is None else classified.result
        outcome = Outcome(item.journey.customer, step.kind, step.t, step.command, data, result,
                          answer.status, intended, sent, done,
                          adapter.order_key(answer))  # fmt: skip
        if expected != ACCEPTED:  # set only when not the default: a write costs less
            outcome.expected = expected
        if result == OK:
            if learn:
                adapter.learn(step, answer, ids)
            outcome.learned = {k: ids.of(k, int(data[k])) for k in ("cart", "order") if k in data}
        else:
            if classified is not None:
                outcome.rule = classified.rule
            outcome.detail = (classified and classified.detail) or _detail(answer)
        if (result != OK or expected != ACCEPTED) and differs(expected, result):
            course = course or Course()
            outcome.divergence = CONSEQUENCE if course.diverged else FIRST
            course.diverged = item.journey.customer != OPERATIONS  # its steps stand alone
        if result != OK and result not in CREATED and (made := _CREATES.get(step.kind)):
            course = course or Course()
            course.lose(made, data[made], DIVERGED, f"its {made} was not created ({step.kind} "
                        f"{result})")  # fmt: skip
        self.recorder.add(outcome)
        return course


def _unsent(  # noqa: PLR0917
    recorder: Recorder, customer: int, step: Step, course: Course | None, result: str, why: str
) -> Course | None:
    """A step not sent (``result``: skipped or diverged); what it would have created is lost
    to the rest of the journey, for the same reason."""
    recorder.add(Outcome(customer, step.kind, step.t, step.command, step.data, result,
                         detail=why, expected=step.expected))  # fmt: skip
    made = _CREATES.get(step.kind)
    if made is not None and result != IMPLICIT:  # a blocked step passes its reason on
        course = course or Course()
        lost = why if result == DIVERGED else f"its {made} was not created ({step.kind} {result})"
        course.lose(made, step.data[made], result, lost)
    return course


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
    ones after ``until``, handing each journey left to ``not_started`` (also when stopped by
    an exception). Returns the number started."""
    ordered = sorted(items, key=lambda s: (s.start, s.journey.customer))
    started = 0
    try:
        for item in ordered:
            at = origin + item.start
            if until is not None and at > until:
                break
            wait = at - clock.now()
            if wait > 0:
                clock.sleep(wait)
            spawn(item)
            started += 1
    finally:  # also when the dispatcher is killed (Locust's own --run-time stops the user)
        if not_started is not None:
            for left in ordered[started:]:
                not_started(left)
    return started


class Starter:
    """Journeys in flight, at most ``limit`` at once, each started as soon as it is due.

    ``start`` (a :func:`dispatch` spawn) runs a due journey in a new task (``spawn(run)``) while
    fewer than ``limit`` are in flight; beyond, the journey waits in a backlog, and a task that
    ends its journey goes on with the oldest waiting one instead of ending: a saturated replay
    makes no task per journey, and the schedule's order is kept. ``in_flight`` counts tasks,
    updated before a task ends, so a journey is never left in the backlog with no task to run
    it. A journey that raises is handed to ``failed`` with its error before its task ends.
    """

    def __init__(
        self,
        limit: int,
        play: Callable[[Scheduled], None],
        spawn: Callable[[Callable[[Scheduled], None], Scheduled], object],
        failed: Callable[[Scheduled, Exception], None] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError(f"journeys in flight: expected at least 1, got {limit}")
        self.limit, self.play, self.spawn, self.failed = limit, play, spawn, failed
        self.backlog: deque[Scheduled] = deque()
        self.in_flight = 0

    def start(self, item: Scheduled) -> None:
        if self.in_flight < self.limit:
            self.in_flight += 1
            self.spawn(self.run, item)
        else:
            self.backlog.append(item)

    def run(self, item: Scheduled) -> None:
        backlog, play = self.backlog, self.play
        try:
            while True:
                play(item)
                if not backlog:
                    return
                item = backlog.popleft()
        except Exception as error:
            if self.failed is not None:
                self.failed(item, error)
            raise
        finally:
            self.in_flight -= 1
