"""Journeys as absorbing Markov chains: where a visit ends, its steps, the channels it touches.

A journey is a Markov chain over steps from a first step; some steps end it (absorbing). With
the transient steps first, the transition matrix is ``[[Q, R], [0, I]]`` and the fundamental
matrix ``N = (I - Q)^-1`` holds the expected visits to each transient step from each other
(Kemeny & Snell, *Finite Markov Chains*, 1960, ch. III; Grinstead & Snell, *Introduction to
Probability*, 1997, section 11.2). From the first step's row ``n`` of N:

- P(the journey ends at absorbing step b) = ``(n R)_b``;
- expected visits to transient step j: ``n_j``; expected steps: ``sum(n)`` + 1 (the last);
- P(the journey ever reaches the set A) = the absorption probability into A of the chain in
  which the steps of A are made absorbing (for one step j: ``N[start, j] / N[j, j]``).

A journey cut after at most M steps (``max_steps``) uses ``S_M = sum_{k<M} Q^k = (I - Q^M) N``
in place of N: the visits among its first M steps are the first step's row of ``S_M``, it ends
at b within M steps with probability ``(S_{M-1} R)_b`` and is cut with ``(Q^{M-1} 1)_start``.

Channels: after each step that does not end the journey, the next one happens in another
channel with a probability, drawn among the others in proportion to their weights
(:class:`ChannelSwitching`, a Markov chain on channels independent of the steps). The steps
and channels together are a chain on (step, channel) with the transient kernel Q x S
(Kronecker). A channel x is touched unless the journey never shows it: with sigma_x(s) the
probability that state s does not show x, the kernel ``K_x = diag(sigma_x) (Q x S)`` keeps the
paths that have not shown x, and P(x never shown) = ``pi0 (I - K_x)^-1 a_x`` with ``a_x`` the
probability of ending without showing it; the expected number of channels touched is the sum
over x of 1 - P(x never shown). What a step shows is a :data:`Sighting`: the customer's
channel (the default), nothing, or one channel of a fixed mix.

Invalid chains raise :class:`~simulation.errors.InputError` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from simulation.errors import InputError

Matrix = NDArray[np.float64]
Sighting = Literal["channel", "none"] | Mapping[str, float]
"""What the log shows of the channel when a step runs: ``"channel"`` the customer's current
channel, ``"none"`` nothing, or a mapping: one channel drawn from that mix (a contact with
customer service by chat or phone, whatever channel the customer is in)."""

_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class JourneyChain:
    """A journey: steps, a row-stochastic transition matrix over them, the steps that end it,
    the first step, and the most steps a journey may take (None: no limit)."""

    steps: tuple[str, ...]
    transitions: Matrix
    absorbing: tuple[str, ...]
    start: str
    max_steps: int | None = None

    def __post_init__(self) -> None:
        _check_chain(self)

    @property
    def transient(self) -> tuple[str, ...]:
        """The steps reached from the first one that do not end the journey, in order."""
        reached = _reachable(self)
        return tuple(s for s in self.steps if s in reached and s not in self.absorbing)

    def blocks(self) -> tuple[Matrix, Matrix]:
        """Q (transient to transient) and R (transient to absorbing) of the reached steps."""
        at = {s: i for i, s in enumerate(self.steps)}
        rows = [at[s] for s in self.transient]
        return (
            self.transitions[np.ix_(rows, rows)],
            self.transitions[np.ix_(rows, [at[b] for b in self.absorbing])],
        )

    def fundamental(self) -> Matrix:
        """N = (I - Q)^-1 over :attr:`transient`: expected visits to j from i."""
        q, _ = self.blocks()
        return np.asarray(np.linalg.inv(np.eye(len(q)) - q), dtype=np.float64)

    def _visits_from_start(self, most: int | None) -> Matrix:
        """Expected visits to each transient step among the first ``most`` steps (all: None)."""
        q, _ = self.blocks()
        first = self.transient.index(self.start)
        n = self.fundamental()
        within = n[first] if most is None else n[first] - np.linalg.matrix_power(q, most)[first] @ n
        return np.asarray(within, dtype=np.float64)

    def outcomes(self) -> dict[str, float]:
        """P(the journey ends at each absorbing step), and P("too_many_steps") when cut."""
        _, r = self.blocks()
        most = None if self.max_steps is None else self.max_steps - 1
        ends = self._visits_from_start(most) @ r
        result = {b: float(p) for b, p in zip(self.absorbing, ends, strict=True)}
        if self.max_steps is not None:
            result["too_many_steps"] = max(0.0, 1.0 - float(ends.sum()))
        return result

    def visits(self) -> dict[str, float]:
        """Expected times each step runs in a journey (an absorbing one: P(ending there))."""
        counts = dict.fromkeys(self.steps, 0.0)
        n = self._visits_from_start(self.max_steps)
        counts.update({s: float(v) for s, v in zip(self.transient, n, strict=True)})
        ends = self.outcomes()
        counts.update({b: ends[b] for b in self.absorbing})
        return counts

    def expected_steps(self) -> float:
        """Expected steps a journey runs, the last included."""
        return sum(self.visits().values())

    def expected_duration(self, between: float, within: Mapping[str, float]) -> float:
        """Expected time of a journey whose every step but the last is followed by a wait of
        mean ``between``, and in which step j takes ``within[j]`` on average."""
        visits = self.visits()
        after = sum(visits[s] for s in self.transient)
        return between * after + sum(t * visits[s] for s, t in within.items())

    def reach(self, targets: Iterable[str]) -> float:
        """P(the journey runs at least one of ``targets``)."""
        wanted = tuple(dict.fromkeys(targets))
        for t in wanted:
            if t not in self.steps:
                raise InputError("targets", f"steps of the chain ({', '.join(self.steps)})", t)
        if self.start in wanted:
            return 1.0
        stopped = JourneyChain(
            steps=self.steps,
            transitions=self.transitions,  # an absorbing step's row is never read
            absorbing=tuple(dict.fromkeys((*self.absorbing, *wanted))),
            start=self.start,
            max_steps=self.max_steps,
        )
        ends = stopped.outcomes()
        return sum(ends[t] for t in wanted)

    def marked(self, mark: str) -> JourneyChain:
        """The same journey on (step, whether ``mark`` has run) pairs: a step j after ``mark``
        is named ``"j|mark"``, so that visits and sightings can tell before from after."""
        if mark not in self.steps or mark in self.absorbing:
            raise InputError("mark", "a step of the chain that does not end it", mark)
        m, at = len(self.steps), self.steps.index(mark)
        after = tuple(f"{s}|{mark}" for s in self.steps)
        doubled = np.zeros((2 * m, 2 * m))
        doubled[:m, :m] = self.transitions
        doubled[at, :m], doubled[at, m:] = 0.0, self.transitions[at]
        doubled[m:, m:] = self.transitions
        absorbing = (*self.absorbing, *(f"{b}|{mark}" for b in self.absorbing))
        return JourneyChain(
            steps=(*self.steps, *after),
            transitions=doubled,
            absorbing=absorbing,
            start=self.start,
            max_steps=self.max_steps,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSwitching:
    """After each step that does not end a journey, with ``probability`` the next step happens
    in another channel, drawn among the others in proportion to ``weights`` (if no other
    channel has weight, it stays where it is). ``channels`` orders every channel concerned."""

    channels: tuple[str, ...]
    weights: Mapping[str, float]
    probability: float

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise InputError("probability", "a probability in [0, 1]", self.probability)
        _check_weights(self.channels, self.weights, "weights")

    def matrix(self) -> Matrix:
        """S[c, c']: P(the next step's channel is c' | this step's is c)."""
        w = np.array([self.weights.get(c, 0.0) for c in self.channels], dtype=float)
        s = np.eye(len(w))
        for i in range(len(w)):
            others = w.copy()
            others[i] = 0.0
            if others.sum() > 0:
                s[i] = (1 - self.probability) * s[i] + self.probability * others / others.sum()
        return s


def channels_touched(
    chain: JourneyChain,
    switching: ChannelSwitching,
    first: Mapping[str, float],
    sightings: Mapping[str, Sighting] | None = None,
    *,
    seen_when_cut: bool = False,
) -> float:
    """Expected number of distinct channels a journey shows (see the module docstring).

    ``first`` weighs the channel of the first step; ``sightings`` says what each step shows
    (missing steps show the customer's channel); ``seen_when_cut``: a journey cut at
    ``max_steps`` also shows the channel it would have gone on in (the engine's last word).
    """
    channels = switching.channels
    start = _channel_vector(channels, first, "first")
    for step, sight in (sightings or {}).items():
        if step not in chain.steps:
            raise InputError("sightings", f"steps of the chain ({', '.join(chain.steps)})", step)
        if isinstance(sight, str):
            if sight not in {"channel", "none"}:
                raise InputError(f"sightings.{step}", "'channel', 'none' or a mix", sight)
        elif sum(sight.values()) > 1 + _TOLERANCE:
            raise InputError(f"sightings.{step}", "a mix summing to at most 1", dict(sight))
        else:
            _channel_vector(channels, sight, f"sightings.{step}")
    return sum(
        1.0
        - _never_shown(chain, switching, start, sightings or {}, x=x, seen_when_cut=seen_when_cut)
        for x in channels
    )


def _never_shown(
    chain: JourneyChain,
    switching: ChannelSwitching,
    first: Matrix,
    sightings: Mapping[str, Sighting],
    *,
    x: str,
    seen_when_cut: bool,
) -> float:
    """P(a journey never shows channel ``x``): the (step, channel) chain that drops a path
    when it shows ``x``."""
    q, r = chain.blocks()
    s = switching.matrix()
    other = 1.0 - (np.array(switching.channels) == x)  # 1 where a state's channel is not x

    def keeps(steps: tuple[str, ...]) -> Matrix:
        """P(a (step, channel) state does not show x), step-major as np.kron orders them."""
        return np.concatenate([_keep(sightings.get(j, "channel"), x, other) for j in steps])

    keep_t, keep_b = keeps(chain.transient), keeps(chain.absorbing)
    k = keep_t[:, None] * np.kron(q, s)
    ending = keep_t * (np.kron(r, s) @ keep_b)
    pi0 = np.kron(np.eye(len(q))[chain.transient.index(chain.start)], first)
    if chain.max_steps is None:
        return float(pi0 @ np.linalg.solve(np.eye(len(k)) - k, ending))
    last = pi0 @ np.linalg.matrix_power(k, chain.max_steps - 1)  # after M - 1 steps unseen
    cut = keep_t * (np.tile(s @ other, len(q)) if seen_when_cut else 1.0)
    return float((pi0 - last) @ np.linalg.solve(np.eye(len(k)) - k, ending) + last @ cut)


def _keep(sight: Sighting, x: str, other: Matrix) -> Matrix:
    """Over the channels: P(a step with this sighting does not show x) in each channel."""
    if isinstance(sight, str):
        return other if sight == "channel" else np.ones_like(other)
    return np.full_like(other, 1.0 - sight.get(x, 0.0))


def _channel_vector(channels: tuple[str, ...], weights: Mapping[str, float], field: str) -> Matrix:
    """``weights`` over ``channels`` as probabilities, or the error naming ``field``."""
    _check_weights(channels, weights, field)
    v = np.array([weights.get(c, 0.0) for c in channels], dtype=float)
    if not v.sum() > 0:
        raise InputError(field, "weights with a positive sum", dict(weights))
    shares: Matrix = v / v.sum()
    return shares


def _check_weights(channels: tuple[str, ...], weights: Mapping[str, float], field: str) -> None:
    for c, w in weights.items():
        if c not in channels:
            raise InputError(field, f"channels among {list(channels)}", c)
        if not (math.isfinite(w) and w >= 0):
            raise InputError(f"{field}.{c}", "a finite weight >= 0", w)


def _reachable(chain: JourneyChain, start: str | None = None) -> set[str]:
    """The steps a journey may run from ``start`` (the first step), through steps that do
    not end it."""
    at = {s: i for i, s in enumerate(chain.steps)}
    first = chain.start if start is None else start
    seen, todo = {first}, [first]
    while todo:
        step = todo.pop()
        if step in chain.absorbing:
            continue
        for nxt in np.flatnonzero(chain.transitions[at[step]] > 0):
            if chain.steps[nxt] not in seen:
                seen.add(chain.steps[nxt])
                todo.append(chain.steps[nxt])
    return seen


def _check_chain(chain: JourneyChain) -> None:
    steps, p = chain.steps, np.asarray(chain.transitions, dtype=float)
    if not steps or len(set(steps)) != len(steps):
        raise InputError("steps", "distinct step names", steps)
    if p.shape != (len(steps), len(steps)) or not np.isfinite(p).all() or (p < 0).any():
        raise InputError("transitions", f"a {len(steps)} x {len(steps)} matrix >= 0", p.shape)
    sums = p.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=_TOLERANCE):
        bad = int(np.argmax(np.abs(sums - 1.0)))
        raise InputError(f"transitions.{steps[bad]}", "a row summing to 1", float(sums[bad]))
    for b in chain.absorbing:
        if b not in steps:
            raise InputError("absorbing", f"steps of the chain ({', '.join(steps)})", b)
    if chain.start not in steps or chain.start in chain.absorbing:
        raise InputError("start", "a step of the chain that does not end it", chain.start)
    if chain.max_steps is not None and chain.max_steps < 1:
        raise InputError("max_steps", "an integer >= 1 or None", chain.max_steps)
    ends = set(chain.absorbing)
    for step in _reachable(chain) - ends:
        if not ends & _reachable(chain, step):
            expected = "a chain in which every step reached can reach a step that ends it"
            raise InputError("transitions", expected, step)
