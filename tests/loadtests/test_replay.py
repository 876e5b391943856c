"""The open-arrival replay in virtual time: latency from the intended and from the actual send
time, and schedule lag, against values worked out by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loadtests.adapters.base import Answer, Ids, Request
from loadtests.adapters.reference import ReferenceAdapter
from loadtests.journeys import Journey, Scheduled, Step
from loadtests.replay import Recorder, Starter, dispatch, play_journey


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


def test_steps_of_a_refused_cart_are_not_sent_and_a_stop_ends_the_journey() -> None:
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
    assert recorder.counts["add_to_cart"]["diverged"] == 1
    browse = {k: v for k, v in recorder.counts["browse"].items() if v}
    assert browse == {"ok": 1, "not_run": 1}
    assert [o.kind for o in recorder.ledger] == ["open_cart", "add_to_cart"]
    assert recorder.ledger[0].detail == "cart.exists"
    assert recorder.ledger[0].divergence == "first"  # the simulation opened it
    assert recorder.ledger[1].detail == "its cart was not created (open_cart refused)"
    assert (recorder.journeys_done, recorder.journeys_cut) == (0, 1)


def _checkout_journey() -> Scheduled:
    legs = [{"location": "S01", "mode": "home_delivery", "lines": [{"sku": "A", "qty": 1}]}]
    steps = (
        Step("open_cart", 0.0, {"customer": 1, "cart": 7, "channel": "web"}, command=1),
        Step("add_to_cart", 1.0, {"cart": 7, "sku": "A", "qty": 1, "unit_price": 2.0}, command=2),
        Step("checkout", 2.0, {"order": 9, "cart": 7, "legs": legs}, command=3),
        Step("pay", 3.0, {"order": 9, "amount": 2.0}, command=4),
        Step("add_to_cart", 4.0, {"cart": 7, "sku": "B", "qty": 1, "unit_price": 1.0},
             command=5, expected="cart.closed"),
        Step("ship", 5.0, {"order": 9, "location": "S01"}, command=6),
    )  # fmt: skip
    return Scheduled(Journey(1, steps), tuple(s.t for s in steps))


def _play(adapter: ReferenceAdapter, send: Callable[[Request], Answer]) -> Recorder:
    recorder = Recorder()
    play_journey(_checkout_journey(), 0.0, adapter, send, VirtualClock(), recorder)
    return recorder


def test_a_pay_after_a_refused_checkout_is_not_sent_and_later_differences_are_consequences() -> (
    None
):
    sent: list[str] = []

    def refuse_checkout(request: Request) -> Answer:
        sent.append(request.name)
        if request.name == "checkout":
            return Answer(409, {"rule": "stock.insufficient"})
        return Answer(200, {})  # it even takes an item into the cart the simulation closed

    recorder = _play(ReferenceAdapter(), refuse_checkout)
    assert sent == ["open_cart", "add_to_cart", "checkout", "add_to_cart"]
    marks = [(o.kind, o.result, o.divergence) for o in recorder.ledger]
    assert marks == [
        ("open_cart", "ok", ""),
        ("add_to_cart", "ok", ""),
        ("checkout", "refused", "first"),
        ("pay", "diverged", ""),
        ("add_to_cart", "ok", "consequence"),
        ("ship", "diverged", ""),
    ]
    assert recorder.ledger[3].detail == "its order was not created (checkout refused)"
    assert recorder.counts["pay"]["diverged"] == recorder.counts["ship"]["diverged"] == 1


class NoCheckout(ReferenceAdapter):
    """A target with no checkout: the adapter has no request for it."""

    def request(self, step: Step, ids: Ids) -> Request | None:
        return None if step.kind == "checkout" else super().request(step, ids)


def test_a_step_after_an_unsupported_creation_is_skipped_not_diverged() -> None:
    def closed_for_b(request: Request) -> Answer:
        return Answer(409 if "B" in str(request.json) else 200, {"rule": "cart.closed"})

    recorder = _play(NoCheckout(), closed_for_b)
    results = [(o.kind, o.result) for o in recorder.ledger]
    assert results == [
        ("open_cart", "ok"), ("add_to_cart", "ok"), ("checkout", "skipped"), ("pay", "skipped"),
        ("add_to_cart", "refused"), ("ship", "skipped"),
    ]  # fmt: skip
    assert recorder.ledger[3].detail == "its order was not created (checkout skipped)"
    assert not any(o.divergence for o in recorder.ledger)  # the refusal was the simulation's


def test_a_step_blocked_by_a_lost_cart_loses_what_it_creates() -> None:
    def refuse_carts(request: Request) -> Answer:
        return Answer(409 if request.name == "open_cart" else 200, {})

    recorder = _play(ReferenceAdapter(), refuse_carts)
    assert [o.result for o in recorder.ledger] == ["refused"] + ["diverged"] * 5
    assert {o.detail for o in recorder.ledger[1:]} == {
        "its cart was not created (open_cart refused)"
    }


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


def three_step_customers(starts: list[float]) -> list[Scheduled]:
    """Each customer browses at its start, checks stock 3 s later and browses again at 30 s."""
    out = []
    for i, start in enumerate(starts):
        steps = (
            Step("browse", start, {"channel": "web"}),
            Step("check_stock", start + 3, {"channel": "web", "location": "S1", "sku": "A"}),
            Step("browse", start + 30, {"channel": "web"}),
        )
        out.append(Scheduled(Journey(i, steps), (start, start + 3, start + 30)))
    return out


def test_at_the_deadline_journeys_stop_and_what_was_not_sent_is_counted() -> None:
    """Six customers due at 0, 2, 4, 6, 8 and 12 s, a deadline at 10 s, one journey in flight
    at a time (so each starts once the one before has ended). By hand: the first five browse
    (at 0, 3, 5, 7, 9: each started late by the one before) and the first four check stock
    (at 3, 5, 7, 9); the fifth's check at 12 and every browse at +30 s are after the deadline,
    and the sixth customer never starts. Nobody sleeps until a step it will not send."""
    clock = VirtualClock()
    target = SlowTarget(clock, lambda i: 0.0)
    recorder = Recorder()
    sent_at: list[float] = []

    def send(request: Request) -> Answer:
        sent_at.append(clock.now())
        return target(request)

    def spawn(item: Scheduled) -> None:
        play_journey(item, 0.0, ReferenceAdapter(), send, clock, recorder, deadline=10.0)

    items = three_step_customers([0.0, 2.0, 4.0, 6.0, 8.0, 12.0])
    started = dispatch(items, 0.0, clock, spawn, until=10.0, not_started=recorder.not_run)
    assert started == 5
    assert sent_at == [0.0, 3.0, 3.0, 5.0, 5.0, 7.0, 7.0, 9.0, 9.0]
    assert clock.now() == 9.0  # the journeys due after the deadline ended at once
    assert recorder.counts["browse"]["ok"] == 5
    assert recorder.counts["browse"]["not_run"] == 5 + 2
    assert recorder.counts["check_stock"]["ok"] == 4
    assert recorder.counts["check_stock"]["not_run"] == 1 + 1
    done = (recorder.journeys_done, recorder.journeys_cut, recorder.journeys_not_run)
    assert done == (0, 5, 1)
    assert recorder.journeys.total == 0  # only whole journeys are in the journey histogram


def test_a_step_due_before_the_deadline_is_not_sent_after_it() -> None:
    """The first answer comes 5 s late, after the 4 s deadline: the step due at 3 s is then
    not sent, and the late answer itself is still recorded."""
    clock = VirtualClock()
    (item,) = three_step_customers([0.0])
    recorder = Recorder()
    target = SlowTarget(clock, lambda i: 5.0)
    play_journey(item, 0.0, ReferenceAdapter(), target, clock, recorder, deadline=4.0)
    assert target.seen == 1
    assert recorder.counts["browse"]["ok"] == 1
    assert recorder.steps["browse"]["actual"].max == pytest.approx(5.0)
    assert recorder.counts["check_stock"]["not_run"] == 1
    assert recorder.journeys_cut == 1


class Killed(BaseException):
    pass


def test_a_journey_killed_in_flight_counts_the_rest_as_not_run() -> None:
    clock = VirtualClock()
    (item,) = three_step_customers([0.0])
    recorder = Recorder()

    def hang(request: Request) -> Answer:
        raise Killed  # as gevent's kill of a greenlet waiting for its answer

    with pytest.raises(Killed):
        play_journey(item, 0.0, ReferenceAdapter(), hang, clock, recorder)
    assert recorder.counts["browse"]["not_run"] == 2
    assert recorder.counts["check_stock"]["not_run"] == 1
    assert recorder.journeys_not_run == 1


def test_the_starter_keeps_the_limit_and_the_order_and_leaves_nothing_behind() -> None:
    """Tasks run later (as greenlets would); a task that ends its journey takes the oldest
    waiting one, so a saturated run makes no task per journey."""
    pending: list[Callable[[], None]] = []
    played: list[int] = []

    def play(item: Scheduled) -> None:
        played.append(item.journey.customer)

    def spawn(run: Callable[[Scheduled], None], item: Scheduled) -> None:
        pending.append(lambda: run(item))

    starter = Starter(2, play, spawn)
    for item in one_step_customers(5, 0.1):
        starter.start(item)
    assert (len(pending), len(starter.backlog), starter.in_flight) == (2, 3, 2)
    while pending:
        pending.pop(0)()
    assert played == [0, 2, 3, 4, 1]  # the first task ran 0, then the backlog in order
    assert (starter.in_flight, len(starter.backlog)) == (0, 0)
    starter.start(one_step_customers(1, 0.1)[0])
    assert (len(pending), starter.in_flight) == (1, 1)  # a free slot: a new task
    with pytest.raises(ValueError, match="at least 1, got 0"):
        Starter(0, play, spawn)


def test_not_run_counts_travel_from_a_worker_to_the_master() -> None:
    worker, master = Recorder(), Recorder()
    items = three_step_customers([0.0, 1.0])
    worker.not_run(items[0])
    worker.not_run(items[1], 1)
    master.absorb(worker.take())
    assert master.counts["browse"]["not_run"] == 3
    assert master.counts["check_stock"]["not_run"] == 2
    assert (master.journeys_not_run, master.journeys_cut) == (1, 1)
    assert worker.journeys_not_run == worker.journeys_cut == 0


def test_a_dispatcher_stopped_by_an_exception_hands_on_what_it_did_not_start() -> None:
    clock = VirtualClock()
    recorder = Recorder()
    started: list[int] = []

    def spawn(item: Scheduled) -> None:
        if item.journey.customer == 3:
            raise Killed  # as Locust's own run time killing the user that dispatches
        started.append(item.journey.customer)

    with pytest.raises(Killed):
        dispatch(one_step_customers(6, 1.0), 0.0, clock, spawn, not_started=recorder.not_run)
    assert started == [0, 1, 2]
    assert recorder.journeys_not_run == 3  # customers 3, 4 and 5
