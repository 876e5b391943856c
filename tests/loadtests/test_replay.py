"""The open-arrival replay in virtual time: latency from the intended and from the actual send
time, and schedule lag, against values worked out by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loadtests.adapters.base import Answer, Ids, Request
from loadtests.adapters.reference import ReferenceAdapter
from loadtests.journeys import Journey, Scheduled, Step
from loadtests.replay import Recorder, dispatch, play_journey


class VirtualClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class SlowTarget:
    """Answers at once, except: ``delay(i)`` seconds for the i-th request (from 0)."""

    def __init__(self, clock: VirtualClock, delay: Callable[[int], float]) -> None:
        self.clock, self.delay, self.seen = clock, delay, 0

    def __call__(self, request: Request) -> Answer:
        self.clock.sleep(self.delay(self.seen))
        self.seen += 1
        return Answer(200, {"events": []})


def one_step_customers(n: int, every: float) -> list[Scheduled]:
    return [
        Scheduled(Journey(i, (Step("browse", i * every, {"channel": "web"}),)), (i * every,))
        for i in range(n)
    ]


def _stall(i: int) -> float:
    # 1 s for every 10th request, and a 2 s pause on the 15th
    return 2.0 if i == 14 else 1.0 if i % 10 == 9 else 0.0


def test_a_delay_and_a_stall_as_worked_out_by_hand() -> None:
    """30 customers, one request each, every 0.5 s; one journey in flight at a time (so a slow
    answer delays the next start, as a closed-loop tool would, and the lag shows it).

    By hand: requests 9, 19, 29 take 1 s and 14 takes 2 s, so measured from the actual send
    time there are 26 zeros, three 1.0 and one 2.0. Measured from the intended time, those
    kept waiting count too: 10 and 20 were due 0.5 s before 9 and 19 ended (0.5 each); 15,
    16, 17 were due during the stall (1.5, 1.0, 0.5): 21 zeros, 0.5 x3, 1.0 x4, 1.5, 2.0.
    """
    clock = VirtualClock()
    target = SlowTarget(clock, _stall)
    recorder = Recorder()
    adapter = ReferenceAdapter()

    def spawn(item: Scheduled) -> None:  # one in flight: the journey runs to its end first
        play_journey(item, 0.0, adapter, target, clock, recorder)

    assert dispatch(one_step_customers(30, 0.5), 0.0, clock, spawn) == 30
    marks = recorder.steps["browse"]
    actual, intended, lag = marks["actual"], marks["intended"], marks["lag"]
    expect_actual = {50: 0.0, 85: 0.0, 90: 1.0, 95: 1.0, 100: 2.0}
    expect_intended = {50: 0.0, 70: 0.0, 80: 0.5, 90: 1.0, 95: 1.5, 100: 2.0}
    expect_lag = {80: 0.0, 90: 0.5, 95: 1.0, 100: 1.5}
    for h, expect in ((actual, expect_actual), (intended, expect_intended), (lag, expect_lag)):
        for q, value in expect.items():
            assert h.percentile(q) == pytest.approx(value, rel=1 / 1024, abs=1e-6), q
    assert actual.total == intended.total == 30
    assert recorder.journeys.percentile(100) == pytest.approx(2.0, rel=1 / 1024)


def test_open_arrivals_do_not_wait_for_a_slow_answer() -> None:
    """With room for every journey in flight, starts keep to the schedule: no lag, and the
    two latencies agree (the stall is felt only by the request that met it)."""
    clock = VirtualClock()
    started: list[float] = []

    def spawn(item: Scheduled) -> None:  # starting is instant; the answer comes later
        started.append(clock.now())

    dispatch(one_step_customers(30, 0.5), 0.0, clock, spawn)
    assert started == [i * 0.5 for i in range(30)]


def test_steps_of_a_refused_cart_are_skipped_and_a_stop_ends_the_journey() -> None:
    clock = VirtualClock()
    steps = (
        Step("open_cart", 0.0, {"customer": 1, "cart": 7, "channel": "web"}, command=1),
        Step("add_to_cart", 1.0, {"cart": 7, "sku": "A", "qty": 1, "unit_price": 2.0}, command=2),
        Step("browse", 2.0, {"channel": "web"}, command=3),
        Step("browse", 3.0, {"channel": "web"}, command=4),
    )
    item = Scheduled(Journey(1, steps), (0.0, 1.0, 2.0, 3.0))
    recorder = Recorder()

    def refuse_carts(request: Request) -> Answer:
        return Answer(409 if request.name == "open_cart" else 200, {"rule": "cart.exists"})

    play_journey(
        item, 0.0, ReferenceAdapter(), refuse_carts, clock, recorder, lambda: clock.t > 2.5
    )
    assert recorder.counts["open_cart"]["refused"] == 1
    assert recorder.counts["add_to_cart"]["skipped"] == 1
    assert recorder.counts["browse"] == {"ok": 1, "refused": 0, "error": 0, "skipped": 0}
    assert [o.kind for o in recorder.ledger] == ["open_cart", "add_to_cart"]
    assert recorder.ledger[0].detail == "cart.exists"


def test_what_a_worker_takes_the_master_absorbs() -> None:
    clock = VirtualClock()
    whole, worker = Recorder(), Recorder()
    for n, recorder in ((10, whole), (10, worker)):
        for item in one_step_customers(n, 0.5):
            play_journey(item, 0.0, ReferenceAdapter(), SlowTarget(clock, _stall), clock, recorder)
    master = Recorder()
    master.absorb(worker.take())
    master.absorb(worker.take())  # nothing new: taking empties the worker's recorder
    assert master.counts == whole.counts
    assert master.journeys_done == whole.journeys_done == 10
    assert worker.counts == {}
    assert Ids().of("cart", 3) == 3  # ids are the simulation's until a target gives its own
