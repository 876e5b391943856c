"""The event calendar: the same order of events as SimPy's own environment, a small heap."""

from __future__ import annotations

import inspect
from collections.abc import Generator

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.calendar import Calendar

Trace = list[tuple[float, int, int]]
Program = list[tuple[float, list[float], bool]]

# Delays that meet the windows' edges: none, within a window, exactly one, many windows ahead.
delays = st.one_of(
    st.sampled_from([0.0, 1.0, 2.5, 5.0, 10.0, 60.0]),
    st.floats(min_value=0.0, max_value=200.0, allow_nan=False),
)
programs = st.lists(
    st.tuples(delays, st.lists(delays, max_size=6), st.booleans()), min_size=1, max_size=12
)


def _run(env: simpy.Environment, program: Program, until: float | None) -> Trace:
    """Processes that start after a delay, wait out their delays (a child process at each
    step when asked), and note (time, process, step) as they go."""
    trace: Trace = []

    def proc(pid: int, start: float, waits: list[float], spawn: bool) -> Generator[simpy.Event]:
        yield env.timeout(start)
        for step, wait in enumerate(waits):
            trace.append((env.now, pid, step))
            if spawn:
                env.process(proc(100 * (pid + 1) + step, wait / 2, [wait], spawn=False))
            yield env.timeout(wait)
        trace.append((env.now, pid, -1))

    for pid, (start, waits, spawn) in enumerate(program):
        env.process(proc(pid, start, waits, spawn))
    env.run(until=until)
    return trace


@settings(max_examples=300, deadline=None)
@given(
    program=programs,
    window=st.sampled_from([0.1, 0.3, 0.5, 5.0, 7.0, 60.0]),  # 0.1 and 0.3: not exact in binary
    until=st.one_of(st.none(), st.floats(min_value=1.0, max_value=900.0)),
)
def test_events_come_out_in_simpys_order(
    program: Program, window: float, until: float | None
) -> None:
    expected = _run(simpy.Environment(), program, until)
    assert _run(Calendar(window=window), program, until) == expected


def test_far_events_wait_outside_the_heap_until_the_window_before_theirs() -> None:
    env = Calendar(window=10.0)
    for delay in (5.0, 15.0, 25.0, 25.0, 95.0):
        env.timeout(delay)
    assert env.waiting == 3  # 25, 25 and 95: after the next window
    env.run(until=12.0)  # the opener at 10 let the window of 20-30 in
    assert env.waiting == 1
    env.run()
    assert env.now == 95.0
    assert env.waiting == 0


def test_a_calendar_idle_for_many_windows_still_schedules_in_order() -> None:
    env, seen = Calendar(window=1.0), []
    env.run(until=50.5)  # nothing waits: no opener ran, the clock moved on
    for delay in (30.0, 2.0, 0.2):
        env.timeout(delay).callbacks.append(lambda e: seen.append(env.now))
    env.run()
    assert seen == [50.7, 52.5, 80.5]


@pytest.mark.parametrize("window", [0.0, -1.0, float("inf"), float("nan")])
def test_a_window_must_be_a_positive_number(window: float) -> None:
    with pytest.raises(
        ValueError, match=f"window must be a positive number of minutes, got {window}"
    ):
        Calendar(window=window)


def test_the_simpy_internals_the_calendar_uses_are_there() -> None:
    """The calendar overrides ``schedule`` and reads SimPy's private clock, heap and counter;
    a SimPy release that changes them must fail here, by name, before any run goes wrong."""
    env = simpy.Environment()
    env.timeout(3.0)
    where = f"simpy {simpy.__version__}: Calendar (simulation/engine/calendar.py) relies on"
    assert isinstance(getattr(env, "_now", None), int | float), f"{where} Environment._now"
    queue = getattr(env, "_queue", None)
    assert isinstance(queue, list), f"{where} Environment._queue, a heap list"
    assert len(queue) == 1, f"{where} one heap entry per scheduled event"
    at, priority, eid, event = queue[0]
    assert (at, priority) == (3.0, simpy.events.NORMAL), f"{where} (time, priority, id, event)"
    assert isinstance(eid, int), f"{where} an integer id from Environment._eid"
    assert isinstance(event, simpy.Timeout), f"{where} the event last"
    assert next(env._eid) == eid + 1, f"{where} Environment._eid, a counter"
    params = list(inspect.signature(simpy.Environment.schedule).parameters)
    assert params == ["self", "event", "priority", "delay"], (
        f"{where} schedule(event, priority, delay)"
    )
