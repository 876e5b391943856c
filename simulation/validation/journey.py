"""The journey study: every shipped segment's journey against its absorbing Markov chain.

``scenarios/validation/journey.toml`` is the baseline with stock that never runs out, capacity
that never refuses and customers arriving on the first day only; the study puts in it the
segments of every shipped scenario (those whose journey differs: transitions, channels,
switching, step time), with equal shares, repeat visits and returns off. No customer then meets
a stock-out, so no reaction is drawn, every checkout places its order, and a visit is the
engine's chain over steps (:mod:`simulation.engine.journeys`): it starts at ``FIRST_STEP`` in
its arrival channel, ends at ``checkout`` (a purchase), ``abandon`` or ``leave``, or is cut
after ``MAX_STEPS`` steps. Each measure is read from the event log, per visit, and compared
with :class:`~simulation.validation.closed_forms.JourneyChain`:

- where the visit ends: the reason of its ``CustomerLeft``;
- visits to the steps the log records every time: ``TouchpointVisited`` (discover, research,
  contact_service) and ``StockChecked``; a cart (``CartOpened``: the first ``add_to_cart``,
  or a checkout without one) and ``CartMoved`` (a ``move_cart`` step once a cart exists),
  exact from the chain marked by ``add_to_cart``. The log shows no ``come_back_later`` step,
  nor an ``add_to_cart`` with everything already in the cart, nor a ``move_cart`` without a
  cart, so the number of steps is held to account through the time a visit takes: every step
  but the last is followed by a wait of the segment's ``step_minutes``, and the two steps that
  take time of their own take ``COME_BACK_MINUTES`` and ``CONTACT_MINUTES`` on average;
- channels touched: the distinct channels of the visit's events from ``CustomerArrived`` to
  ``CustomerLeft``, exact from the (step, channel) chain with what each step shows;
- conversion by first channel: the steps never depend on the channel, so every first channel
  converts at the segment's P(purchase), which the rows hold it to.

The intervals are simultaneous: 95% for all the rows at once (Bonferroni), as in the sweeps.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simulation.engine import journeys
from simulation.engine.compile import plan_of
from simulation.engine.plan import STEPS, Plan, SegmentPlan
from simulation.errors import OmnicanalError
from simulation.eventlog import table_to_frame
from simulation.experiments.replications import run_replications
from simulation.experiments.stats import t_interval
from simulation.scenario import Scenario, Segment, load_scenario
from simulation.types import Channel
from simulation.validation.catalogue import SPECS
from simulation.validation.closed_forms import (
    ChannelSwitching,
    JourneyChain,
    Sighting,
    channels_touched,
)
from simulation.validation.study import Study
from simulation.validation.table import FOLDER, Budget, Row, row

FILE = "journey.toml"
ENDS = {"checkout": "ordered", "abandon": "abandoned", "leave": "left"}
"""The steps that end a visit in this regime, and the reason its ``CustomerLeft`` gives."""
OUTCOMES = {"checkout": "a purchase", "abandon": "abandonment", "leave": "leaving"}
CART = "add_to_cart"
"""The step that opens a cart; after it, the chain is marked (``step|add_to_cart``)."""
LOGGED_STEPS = {
    "discover": ("TouchpointVisited", "discover"),
    "research": ("TouchpointVisited", "research"),
    "check_stock": ("StockChecked", None),
    "contact_service": ("TouchpointVisited", "contact_service"),
}
"""Steps the log records every time they run: (event type, reason)."""
CHANNELS = tuple(str(c) for c in Channel)
_CONTACT: Sighting = {"chat": journeys.CHAT_SHARE, "phone": 1.0 - journeys.CHAT_SHARE}
SIGHTINGS: dict[str, Sighting] = {
    f"{CART}|{CART}": "none",  # everything is in the cart already: no event
    "move_cart": "none",  # no cart to move yet: no event
    "come_back_later": "none",
    f"come_back_later|{CART}": "none",
    "contact_service": _CONTACT,  # by chat or phone, whatever channel the customer is in
    f"contact_service|{CART}": _CONTACT,
}
"""What the log shows of a step's channel, on the chain marked by ``add_to_cart``, where not
the customer's channel."""


def chain_of(segment: SegmentPlan) -> JourneyChain:
    """The engine's journey of ``segment`` in this regime, as an absorbing chain."""
    return JourneyChain(
        steps=STEPS,
        transitions=segment.transitions,
        absorbing=tuple(ENDS),
        start=journeys.FIRST_STEP,
        max_steps=journeys.MAX_STEPS,
    )


def exact_values(segment: SegmentPlan, first: Mapping[str, float]) -> list[tuple[str, float, str]]:
    """Each row of a segment: (metric, exact value, column of :func:`visits_of`). ``first``
    weighs the channels visits start in. The first step's visits are left out unless the
    chain can come back to it (they are exactly 1)."""
    chain, marked = chain_of(segment), chain_of(segment).marked(CART)
    ends, visits = chain.outcomes(), chain.visits()
    again = bool(chain.transitions[:, STEPS.index(chain.start)].any())
    switching = ChannelSwitching(
        channels=CHANNELS,
        weights=dict(zip(CHANNELS, segment.channels.tolist(), strict=True)),
        probability=segment.channel_switch,
    )
    within = {"come_back_later": journeys.COME_BACK_MINUTES,
              "contact_service": journeys.CONTACT_MINUTES}  # fmt: skip
    return [
        *((f"P(ends in {OUTCOMES[b]})", ends[b], b) for b in ENDS),
        *((f"visits to {j}", visits[j], j) for j in LOGGED_STEPS if j != chain.start or again),
        ("P(opens a cart)", chain.reach([CART, "checkout"]), "carts"),
        ("visits to move_cart with a cart (CartMoved)", marked.visits()[f"move_cart|{CART}"],
         "moves"),
        ("minutes from arrival to leaving", chain.expected_duration(segment.step_minutes, within),
         "minutes"),
        ("channels touched (in the visit's events)",
         channels_touched(marked, switching, first, SIGHTINGS, seen_when_cut=True), "channels"),
        *((f"conversion of visits that start in {c}", ends["checkout"], f"first {c}")
          for c, share in first.items() if share > 0),
    ]  # fmt: skip


def visits_of(log: pd.DataFrame) -> pd.DataFrame:
    """One row per visit that has ended, by customer: its segment, first channel, how it
    ended (a 0/1 column per step in ``ENDS``), its visits to :data:`LOGGED_STEPS`, carts
    opened, carts moved, minutes, channels touched, and ``first C``: 1 or 0 for a purchase
    when the visit started in channel C, else NaN."""
    mine = log[log["customer"].notna()]
    arrived = mine[mine["type"] == "CustomerArrived"].set_index("customer")
    left = mine[mine["type"] == "CustomerLeft"].set_index("customer")
    _check_regime(log, arrived, left)
    last = mine["customer"].map(left["seq"])
    journey = mine[mine["seq"] <= last]  # the visit's own events, not its orders' later ones
    v = pd.DataFrame(
        {"segment": arrived["segment"].astype(str), "first": arrived["channel"].astype(str)}
    ).loc[left.index]
    reason = left["reason"].astype(str)
    for step, why in ENDS.items():
        v[step] = (reason == why).astype(float)
    for step, (kind, shown) in LOGGED_STEPS.items():
        v[step] = _count(journey, kind, shown, v.index)
    v["carts"] = _count(journey, "CartOpened", None, v.index)
    v["moves"] = _count(journey, "CartMoved", None, v.index)
    v["minutes"] = left["t"] - arrived.loc[left.index, "t"]
    v["channels"] = journey.groupby("customer")["channel"].nunique().reindex(v.index)
    for c in CHANNELS:
        v[f"first {c}"] = v["checkout"].where(v["first"] == c)
    return v


def _count(journey: pd.DataFrame, kind: str, reason: str | None, index: pd.Index) -> pd.Series:
    chosen = journey[journey["type"] == kind]
    if reason is not None:
        chosen = chosen[chosen["reason"] == reason]
    return chosen.groupby("customer").size().reindex(index, fill_value=0).astype(float)


def _check_regime(log: pd.DataFrame, arrived: pd.DataFrame, left: pd.DataFrame) -> None:
    """The regime holds: one visit a customer, no stock-out met, every visit ended by a
    step of ``ENDS`` (or cut at ``MAX_STEPS``)."""
    met = log["reason"].astype(str).str.startswith("no_stock").sum()
    lost = int((log["type"] == "SaleLost").sum())
    others = set(left["reason"].astype(str)) - {*ENDS.values(), "too_many_steps"}
    if met or lost or others or not arrived.index.is_unique:
        raise OmnicanalError(
            f"journey: the regime of {FILE} was not reached: {met} stock-outs met, {lost} sales "
            f"lost, visits ended by {sorted(others)}, repeat visits: {not arrived.index.is_unique}"
        )


def shipped_segments() -> list[Segment]:
    """The segments of the shipped scenarios (the baseline's first), each journey once: a
    segment whose journey (transitions, channels, switching, step time) is already there is
    left out; a name already taken gets its scenario's in brackets."""
    files = sorted(FOLDER.parent.glob("*.toml"), key=lambda f: (f.stem != "baseline", f.stem))
    kept: dict[str, Segment] = {}
    for file in files:
        for s in load_scenario(file).segments:
            key = json.dumps(
                [s.transition_rows(), s.channels, s.channel_switch, s.step_minutes],
                sort_keys=True,
            )
            taken = {k.name for k in kept.values()}
            name = s.name if s.name not in taken else f"{s.name} ({file.stem})"
            kept.setdefault(key, s.model_copy(update={"name": name}))
    return list(kept.values())


def scenario_of(customers: float) -> Scenario:
    """``journey.toml`` with the shipped segments (equal shares, no repeat visits, no
    returns) and ``customers`` expected on the first day."""
    segments = shipped_segments()
    share = 1.0 / len(segments)
    update: dict[str, Any] = {
        "share": share, "repeat_rate": 0.0, "return_rate": 0.0, "store_return_rate": 0.0,
    }  # fmt: skip
    path = FOLDER / FILE
    return load_scenario(path).with_overrides(
        {
            "segments": [s.model_copy(update=update).model_dump(mode="json") for s in segments],
            "arrivals.per_hour": customers / 24.0,
        },
        source=str(path),
    )


def _first_channels(plan: Plan) -> dict[str, float]:
    return {str(c): share for c, share in plan.arrivals.shares.items()}


def _rows(params: Mapping[str, float], budget: Budget) -> list[Row]:
    scenario = scenario_of(params["customers"])
    plan = plan_of(scenario)
    seed = scenario.seed if budget.seed is None else budget.seed
    tables = run_replications(plan, seed, budget.replications, workers=budget.workers)
    summaries = [visits_of(table_to_frame(t)).groupby("segment").mean(numeric_only=True)
                 for t in tables]  # fmt: skip
    first = _first_channels(plan)
    wanted = [(seg.name, *e) for seg in plan.segments for e in exact_values(seg, first)]
    level = 1 - 0.05 / len(wanted)
    days = (scenario.horizon_days, scenario.warmup_days)
    return [
        row(
            "journey",
            {"customers": params["customers"], "segment": name},
            f"{name}: {metric} (simultaneous 95% CI over {len(wanted)} rows)",
            exact,
            t_interval(np.array([s.loc[name, column] for s in summaries], dtype=float), level),
            days=days,
        )
        for name, metric, exact, column in wanted
    ]


def _check(params: Mapping[str, float]) -> tuple[str, ...]:
    plan = plan_of(scenario_of(params["customers"]))
    first = _first_channels(plan)
    for segment in plan.segments:
        exact_values(segment, first)
    return ()


STUDY = Study(spec=SPECS["journey"], check=_check, rows=_rows)
"""The journey study."""
