"""The recorder's batched fold against the plain version: every value recorded one by one
with ``Histogram.record`` and the timeline summed in Python, as the replay did before."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.histogram import MAX_US, Histogram, bucket_of, buckets_of
from loadtests.recorder import BATCH, Outcome, Recorder

seconds = st.floats(min_value=-1.0, max_value=5e7, allow_nan=False)


@given(st.lists(seconds, max_size=300))
def test_record_array_is_record_of_each_value(values: list[float]) -> None:
    one_by_one, at_once = Histogram(), Histogram()
    for value in values:
        one_by_one.record(value)
    at_once.record_array(np.array(values, dtype=np.float64))
    assert at_once.counts == one_by_one.counts
    state = ("total", "sum_us", "min_us", "max_us")
    assert [getattr(at_once, a) for a in state] == [getattr(one_by_one, a) for a in state]


@given(st.lists(st.integers(min_value=0, max_value=MAX_US), min_size=1, max_size=300))
def test_buckets_of_is_bucket_of_each_value(values: list[int]) -> None:
    got = buckets_of(np.array(values, dtype=np.int64)).tolist()
    assert got == [bucket_of(v) for v in values]


def _requests(n: int) -> list[tuple[str, str, float, float, float]]:
    rng = np.random.default_rng(7)
    out = []
    for i in range(n):
        intended = i * 0.003
        sent = intended + float(rng.exponential(0.002))
        done = sent + float(rng.exponential(0.05))
        result = "error" if i % 97 == 0 else "refused" if i % 13 == 0 else "ok"
        out.append(("browse" if i % 3 else "pay", result, intended, sent, done))
    return out


def test_the_fold_over_several_batches_is_the_plain_recording() -> None:
    """More than two batches of one kind, folded as they fill and once more when read."""
    requests = _requests(int(2.5 * BATCH * 1.5))
    recorder = Recorder()
    plain: dict[str, dict[str, Histogram]] = {}
    timeline: dict[int, list[float]] = {}
    for kind, result, intended, sent, done in requests:
        recorder.record(kind, result, intended, sent, done)
        marks = plain.setdefault(kind, {m: Histogram() for m in ("intended", "actual", "lag")})
        marks["intended"].record(done - intended)
        marks["actual"].record(done - sent)
        marks["lag"].record(sent - intended)
        row = timeline.setdefault(int(done), [0, 0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += result == "error"
        row[2] += done - intended
        row[3] = max(row[3], done - intended)
        row[4] = max(row[4], sent - intended)
    for kind, marks in plain.items():
        for measure, h in marks.items():
            assert recorder.steps[kind][measure].counts == h.counts, (kind, measure)
            assert recorder.steps[kind][measure].sum_us == h.sum_us
    assert recorder.timeline.keys() == timeline.keys()
    for second, row in timeline.items():
        got = recorder.timeline[second]
        assert got[:2] == row[:2]
        assert got[2] == pytest.approx(row[2], rel=1e-12)  # summed in another order
        assert got[3:] == row[3:]
    assert recorder.counts["pay"]["error"] == sum(
        1 for k, r, *_ in requests if k == "pay" and r == "error"
    )


def test_journeys_are_folded_before_they_are_read_or_taken() -> None:
    recorder = Recorder()
    for i in range(BATCH + 10):
        recorder.journey(i / 1000)
    assert recorder.journeys.total == BATCH + 10
    assert recorder.journeys.max == pytest.approx((BATCH + 9) / 1000)
    recorder.journey(60.0)
    taken = recorder.take()
    assert taken["journeys"]["total"] == BATCH + 11
    assert taken["journeys_done"] == BATCH + 11
    assert math.isclose(Histogram.from_dict(taken["journeys"]).max, 60.0)
    assert recorder.journeys.total == 0


def test_a_writes_judgement_travels_from_a_worker_to_the_master() -> None:
    worker, master = Recorder(), Recorder()
    worker.add(Outcome(3, "checkout", 1.5, 40, {"order": 9}, "refused", 409, 0.1, 0.2, 0.3,
                       detail="out of stock", expected="ok", rule="stock.insufficient",
                       divergence="first"))  # fmt: skip
    worker.add(Outcome(3, "pay", 2.0, 41, {"order": 9}, "diverged", detail="its order was not"))
    master.absorb(json.loads(json.dumps(worker.take())))
    first, pay = master.ledger
    assert (first.rule, first.divergence, first.expected) == ("stock.insufficient", "first", "ok")
    assert (pay.result, master.counts["pay"]["diverged"]) == ("diverged", 1)
    assert master.counts["checkout"]["refused"] == 1
