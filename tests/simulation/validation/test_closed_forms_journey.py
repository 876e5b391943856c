"""The journey chain's closed forms against small chains worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.errors import InputError
from simulation.validation.closed_forms import ChannelSwitching, JourneyChain, channels_touched


def _chain(max_steps: int | None = None) -> JourneyChain:
    """a -> b or X (1/2 each); b -> a (0.2) or Y (0.8): Q = [[0, .5], [.2, 0]], det(I - Q) = 0.9,
    N = [[1, .5], [.2, 1]] / 0.9."""
    p = np.array(
        [
            [0.0, 0.5, 0.5, 0.0],  # a
            [0.2, 0.0, 0.0, 0.8],  # b
            [0.0, 0.0, 1.0, 0.0],  # X
            [0.0, 0.0, 0.0, 1.0],  # Y
        ]
    )
    return JourneyChain(
        steps=("a", "b", "X", "Y"), transitions=p, absorbing=("X", "Y"), start="a",
        max_steps=max_steps,
    )  # fmt: skip


def test_fundamental_matrix_absorption_and_visits() -> None:
    chain = _chain()
    assert chain.fundamental() == pytest.approx(np.array([[1, 0.5], [0.2, 1]]) / 0.9)
    assert chain.outcomes() == pytest.approx({"X": 0.5 / 0.9, "Y": 0.4 / 0.9})
    assert chain.visits() == pytest.approx({"a": 1 / 0.9, "b": 0.5 / 0.9, "X": 5 / 9, "Y": 4 / 9})
    assert chain.expected_steps() == pytest.approx(1.5 / 0.9 + 1)


def test_reaching_a_step_is_n_ij_over_n_jj() -> None:
    chain = _chain()
    assert chain.reach(["b"]) == pytest.approx((0.5 / 0.9) / (1 / 0.9))
    assert chain.reach(["Y"]) == pytest.approx(4 / 9)
    assert chain.reach(["b", "X"]) == pytest.approx(1.0)  # every journey does one or the other
    assert chain.reach(["a"]) == 1.0


def test_a_journey_cut_after_a_few_steps() -> None:
    # at most 2 steps: a, then b or X; Y would be the third
    two = _chain(max_steps=2)
    assert two.outcomes() == pytest.approx({"X": 0.5, "Y": 0.0, "too_many_steps": 0.5})
    assert two.visits() == pytest.approx({"a": 1.0, "b": 0.5, "X": 0.5, "Y": 0.0})
    assert two.expected_steps() == pytest.approx(2.0)
    # at most 3: b then goes to Y (0.8) or back to a (0.2), where it is cut
    three = _chain(max_steps=3)
    assert three.outcomes() == pytest.approx({"X": 0.5, "Y": 0.4, "too_many_steps": 0.1})
    assert three.visits() == pytest.approx({"a": 1.1, "b": 0.5, "X": 0.5, "Y": 0.4})
    assert three.reach(["Y"]) == pytest.approx(0.4)


def test_expected_duration_weighs_the_waits_between_and_within_steps() -> None:
    # two waits between steps after a and b; b itself takes 7 on average
    assert _chain().expected_duration(3.0, {"b": 7.0}) == pytest.approx(
        3.0 * 1.5 / 0.9 + 7.0 * 0.5 / 0.9
    )


def test_the_marked_chain_tells_visits_before_and_after_a_step() -> None:
    marked = _chain().marked("b")
    visits = marked.visits()
    # a before b: once; a after b: b -> a with 0.2 each time, 0.5/0.9 visits to b
    assert visits["a"] == pytest.approx(1.0)
    assert visits["a|b"] == pytest.approx(0.2 * 0.5 / 0.9)
    assert visits["b"] == pytest.approx(0.5)  # the first visit to b is before the mark
    assert visits["b"] + visits["b|b"] == pytest.approx(_chain().visits()["b"])
    assert visits["X"] == pytest.approx(0.5)  # straight from a, before any b
    assert marked.outcomes()["Y|b"] == pytest.approx(4 / 9)


def _one_step(p_again: float = 0.0, max_steps: int | None = None) -> JourneyChain:
    """a -> a (p_again) or END."""
    return JourneyChain(
        steps=("a", "END"),
        transitions=np.array([[p_again, 1 - p_again], [0.0, 1.0]]),
        absorbing=("END",),
        start="a",
        max_steps=max_steps,
    )


CHANNELS = ("x", "y", "chat", "phone")


def _switching(probability: float, weights: dict[str, float] | None = None) -> ChannelSwitching:
    return ChannelSwitching(
        channels=CHANNELS, weights=weights or {"x": 1.0, "y": 1.0}, probability=probability
    )


def test_channels_touched_by_hand() -> None:
    # a in x; the last step in y with probability s: 1 + s channels
    assert channels_touched(_one_step(), _switching(0.3), {"x": 1.0}) == pytest.approx(1.3)
    # the last step shows nothing: only a's channel
    assert channels_touched(
        _one_step(), _switching(0.3), {"x": 1.0}, {"END": "none"}
    ) == pytest.approx(1.0)
    # a shows chat or phone (a call), the last step its channel, x or y: always two
    call = {"a": {"chat": 0.6, "phone": 0.4}}
    assert channels_touched(_one_step(), _switching(0.3), {"x": 1.0}, call) == pytest.approx(2.0)
    # no other channel to switch to: one channel
    alone = _switching(0.5, {"x": 1.0})
    assert channels_touched(_one_step(0.5), alone, {"x": 1.0}) == pytest.approx(1.0)


def test_channels_touched_when_the_journey_is_cut() -> None:
    # cut after its first step; the engine's last word shows the channel it switched to
    chain = _one_step(0.5, max_steps=1)
    assert channels_touched(chain, _switching(0.3), {"x": 1.0}) == pytest.approx(1.0)
    assert channels_touched(
        chain, _switching(0.3), {"x": 1.0}, seen_when_cut=True
    ) == pytest.approx(1.3)


def test_channels_touched_over_repeated_steps() -> None:
    # a repeats with 1/2, and the last step shows its channel too, so k >= 1 steps follow the
    # first with P(k) = (1/2)^k, each staying in x with 1 - s: P(y never) = sum_k ((1 - s)/2)^k
    # = (1 - s) / (1 + s)
    s = 0.4
    got = channels_touched(_one_step(0.5), _switching(s), {"x": 1.0})
    assert got == pytest.approx(1 + 1 - (1 - s) / (1 + s))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=9, max_size=9),
    st.floats(0.0, 1.0),
    st.integers(1, 12),
)
def test_a_long_enough_cut_changes_nothing_and_a_short_one_keeps_the_total(
    weights: list[float], switch: float, most: int
) -> None:
    raw = np.array(weights).reshape(3, 3) + np.array([[0, 0, 0.05]] * 3)  # every row can end
    p = np.zeros((4, 4))
    p[:3, :2] = raw[:, :2]
    p[:3, 3] = raw[:, 2]
    p[:3] /= p[:3].sum(axis=1, keepdims=True)
    p[3, 3] = 1.0
    p[2] = [0, 0, 0, 1]
    free = JourneyChain(steps=("a", "b", "c", "E"), transitions=p, absorbing=("E",), start="a")
    cut = JourneyChain(steps=free.steps, transitions=p, absorbing=("E",), start="a", max_steps=most)
    long = JourneyChain(
        steps=free.steps, transitions=p, absorbing=("E",), start="a", max_steps=4000
    )
    assert sum(cut.outcomes().values()) == pytest.approx(1.0)
    assert cut.expected_steps() <= most + 1e-9
    assert cut.expected_steps() <= free.expected_steps() + 1e-9
    assert long.visits() == pytest.approx(free.visits(), rel=1e-6, abs=1e-9)
    sw = _switching(switch)
    touched = channels_touched(free, sw, {"x": 1.0})
    assert 1.0 - 1e-9 <= touched <= 2.0 + 1e-9
    assert channels_touched(long, sw, {"x": 1.0}) == pytest.approx(touched, rel=1e-6)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transitions": np.array([[0.5, 0.4], [0.0, 1.0]])}, "transitions.a"),
        ({"start": "END"}, "start"),
        ({"absorbing": ("Z",)}, "absorbing"),
        ({"max_steps": 0}, "max_steps"),
        ({"transitions": np.array([[1.0, 0.0], [0.0, 1.0]])}, "transitions"),  # never ends
    ],
)
def test_a_bad_chain_names_its_field(change: dict[str, object], field: str) -> None:
    parts: dict[str, object] = {
        "steps": ("a", "END"), "transitions": np.array([[0.5, 0.5], [0.0, 1.0]]),
        "absorbing": ("END",), "start": "a",
    }  # fmt: skip
    with pytest.raises(InputError) as refused:
        JourneyChain(**{**parts, **change})  # type: ignore[arg-type]
    assert refused.value.field == field


def test_bad_channels_are_named() -> None:
    with pytest.raises(InputError, match="first"):
        channels_touched(_one_step(), _switching(0.2), {"z": 1.0})
    with pytest.raises(InputError, match="sightings"):
        channels_touched(_one_step(), _switching(0.2), {"x": 1.0}, {"nowhere": "none"})
    with pytest.raises(InputError, match="probability"):
        _switching(1.5)
    with pytest.raises(InputError, match="mark"):
        _one_step().marked("END")
