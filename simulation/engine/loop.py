"""The customer loop in the engine: promises, surveys and the next visit, from the experience.

:class:`CustomerLoop` is fed every event the world logs (:meth:`CustomerLoop.observe`) and
folds it into the same :class:`~simulation.customers.experience.Experience` projection the
KPIs read the log with; the engine asks it for a customer's satisfaction when it decides.

Draws (common random numbers): the decision to come back reads the uniform the constant
model read at the visit's start, from the visit's own journey row, and compares it with the
satisfaction-linked probability when the next visit would begin, so a customer who came back
with the constant model still does at the baseline, and raising satisfaction only adds
customers who come back. When that uniform is under the segment's ``repeat_rate``, the delay
and the channel come from the journey row as before; otherwise, and for the survey, from a
row of the visit's own (:class:`LoopDraws`), fixed by the customer and the visit's number.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from simulation.customers import retention, surveys
from simulation.customers.experience import Experience
from simulation.customers.loyalty import Programme, points_for, redeemable, tier_of
from simulation.domain.events import (
    CustomerChurned,
    DeliveryPromised,
    Event,
    LoyaltyEnrolled,
    PointsEarned,
    PointsRedeemed,
    SurveyAnswered,
)
from simulation.engine.draws import BLOCK, Draws, Row
from simulation.engine.journeys import start_visit
from simulation.engine.plan import CHANNELS, LoopPlan
from simulation.engine.streams import Streams
from simulation.types import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    Channel,
    CustomerId,
    FulfilmentMode,
    LocationId,
    OrderId,
    SimTime,
)

if TYPE_CHECKING:
    from simulation.engine.journeys import Visit
    from simulation.engine.tables import SegmentTables
    from simulation.engine.world import World

LOOP_ROW = 6
"""Uniforms per visit: delay and channel of the next visit, the survey's three, enrolment."""
_SURVEY = 2
"""Where the survey's uniforms start in a visit's row: answers?, recommend, csat."""
_ENROL = 5
"""The uniform that decides whether a customer enrols at this visit's order."""
CARRIER_MODES = frozenset(
    {FulfilmentMode.HOME_DELIVERY, FulfilmentMode.SHIP_FROM_STORE, FulfilmentMode.ENDLESS_AISLE}
)


class LoopDraws:
    """Each visit's row of loop uniforms: first visits' in blocks, as
    :class:`~simulation.engine.draws.VisitDraws` does, repeat visits' from their own
    generator."""

    __slots__ = ("_block", "_rows", "_streams")

    def __init__(self, streams: Streams) -> None:
        self._streams = streams
        self._block = -1
        self._rows = np.empty((0, 0))

    def row(self, customer: int, number: int) -> Row:
        if number == 0:
            block, at = divmod(customer, BLOCK)
            if block != self._block:
                seeds = self._streams.seed_sequence("customer-loop-block", block)
                self._rows = np.random.Generator(np.random.PCG64(seeds)).random((BLOCK, LOOP_ROW))
                self._block = block
            return array("d", self._rows[at].tobytes())
        seeds = self._streams.seed_sequence("customer-loop", customer, number)
        return array("d", np.random.Generator(np.random.PCG64(seeds)).random(LOOP_ROW).tobytes())


@dataclass(slots=True)
class _Survey:
    """What the survey of a placed order needs from its visit."""

    row: Row
    segment: int


class CustomerLoop:
    """One replication's customer loop (see the module docstring)."""

    __slots__ = ("draws", "experience", "plan", "programme", "surveys")

    def __init__(self, plan: LoopPlan, streams: Streams) -> None:
        self.plan = plan
        self.experience = Experience()
        self.programme = Programme()
        self.draws = LoopDraws(streams)
        self.surveys: dict[int, _Survey] = {}
        """Placed orders not yet settled: their visit's row and segment."""

    def observe(self, world: World, event: Event) -> None:
        """Fold a logged event in; answer the survey of the order it settled, if any."""
        settled = self.experience.apply(event)
        if self.plan.loyalty is not None:
            self.programme.apply(event)
        if settled is not None:
            survey = self.surveys.pop(settled, None)
            if survey is not None:
                self._answer(world, OrderId(settled), survey)

    def above_baseline(self, customer: int, segment: int, t: float) -> float:
        """Points of satisfaction ``customer`` has above their segment's baseline at ``t``."""
        model = self.plan.models[segment]
        met = self.experience.met(customer)
        return model.score(met, t) - model.baseline if met else 0.0

    def member(self, customer: int) -> bool:
        return customer in self.programme.members

    def extra_units(self, customer: int, tables: SegmentTables) -> Sequence[float]:
        """The cumulative table a visit's basket size - 1 is drawn from: a member's, if any."""
        member = self.plan.loyalty is not None and customer in self.programme.members
        return tables.member_units if member else tables.extra_units

    # ------------------------------------------------------------ the visit's decisions

    def plan_next(self, world: World, v: Visit, number: int, segment: int) -> None:
        """At a visit's start: when its customer decides whether to come back, and through
        which channel they would."""
        rng, seg = v.rng, v.segment
        u = rng.uniform()
        row = self.draws.row(v.customer, number)
        v.loop_row = (row, segment)
        mean = seg.repeat_days * MINUTES_PER_DAY
        if u < seg.repeat_rate:  # the constant model's draws, in its order
            again, first = rng.exponential(mean), CHANNELS[rng.choice(v.tables.channels)]
        else:
            side = Draws(row, world.streams, (v.customer, number, 2))
            again, first = side.exponential(mean), CHANNELS[side.choice(v.tables.channels)]
        model = self.plan.models[segment]
        again *= retention.delay_factor(
            model.delay, self.above_baseline(v.customer, segment, world.now)
        )
        world.call_at(
            world.env.now + again,
            partial(_decide, world, int(v.customer), first, segment, number, v.where, u),
        )

    def promise(
        self, world: World, v: Visit, order: OrderId, mode: FulfilmentMode, legs: list[LocationId]
    ) -> None:
        """At checkout: note each leg's promised date; keep the visit's row for the survey."""
        plan = self.plan
        if mode in CARRIER_MODES:
            until = world.now + plan.delivery_days * MINUTES_PER_DAY
        elif mode is FulfilmentMode.CLICK_AND_COLLECT:
            until = world.now + plan.collect_hours * MINUTES_PER_HOUR
        else:
            until = None
        if until is not None:
            for location in legs:
                world.note(
                    DeliveryPromised(
                        t=world.now, customer=v.customer, order=order, location=location,
                        mode=mode, until=SimTime(until),
                    )
                )  # fmt: skip
        if v.loop_row is not None:
            self.surveys[order] = _Survey(*v.loop_row)

    def paid(self, world: World, v: Visit, order: OrderId, amount: float) -> None:
        """After a payment: enrol a customer who is not a member (maybe), redeem a member's
        points for a discount, and earn points on the order."""
        loyalty, row = self.plan.loyalty, v.loop_row
        if loyalty is None or row is None:
            return
        member = self.programme.members.get(v.customer)
        if member is None:
            chance = loyalty.enrolment.get(v.channel, 0.0) * loyalty.segments[row[1]]
            if not row[0][_ENROL] < chance:
                return
            world.note(
                LoyaltyEnrolled(
                    t=world.now, customer=v.customer, channel=v.channel, segment=v.segment.name,
                    order=order, reason=loyalty.tiers[0].name,
                )
            )  # fmt: skip
            member = self.programme.members[v.customer]
        else:
            spent = redeemable(member.balance, loyalty.redeem_at, loyalty.point_value, amount)
            if spent:
                world.note(
                    PointsRedeemed(
                        t=world.now, customer=v.customer, order=order, qty=spent,
                        amount=spent * loyalty.point_value,
                    )
                )  # fmt: skip
        tier = tier_of(member.earned, loyalty.tiers)
        earned = points_for(amount, loyalty.points_per_unit, tier.multiplier)
        if earned:
            world.note(
                PointsEarned(
                    t=world.now, customer=v.customer, order=order, qty=earned, reason=tier.name
                )
            )

    def _answer(self, world: World, order: OrderId, survey: _Survey) -> None:
        plan, row = self.plan, survey.row
        if not row[_SURVEY] < plan.response_rate:
            return
        tracked = self.experience.orders[order]
        model = plan.models[survey.segment]
        customer = self.experience.customers[tracked.customer]
        now = world.now
        answers = (
            ("nps", surveys.recommend_answer(
                model.score(customer.met, now), plan.answer_sd, row[_SURVEY + 1])),
            ("csat", surveys.csat_answer(
                model.order_score(tracked.met), plan.answer_sd, row[_SURVEY + 2])),
        )  # fmt: skip
        mode = tracked.mode or FulfilmentMode.CARRY_OUT
        for question, answer in answers:
            world.note(
                SurveyAnswered(
                    t=now, customer=CustomerId(tracked.customer), order=order,
                    channel=tracked.channel, mode=mode, segment=customer.segment,
                    reason=question, qty=answer,
                )
            )  # fmt: skip


def _decide(  # noqa: PLR0917 - positional: a partial of it waits for every decision
    world: World,
    customer: int,
    first: Channel,
    segment: int,
    number: int,
    where: tuple[str, float, float],
    u: float,
) -> None:
    """When the next visit would begin: it does, or the customer churns."""
    loop = world.loop
    if loop is None:  # only a loop schedules a decision
        return
    seg, model = world.plan.segments[segment], loop.plan.models[segment]
    above = loop.above_baseline(customer, segment, world.now)
    loyalty = loop.plan.loyalty
    bonus = loyalty.retention_bonus if loyalty is not None and loop.member(customer) else 0.0
    if u < retention.come_back_probability(seg.repeat_rate, model.retention, above, bonus):
        start_visit(world, customer, first, segment, number + 1, where)
        return
    met = loop.experience.met(customer)
    world.note(
        CustomerChurned(
            t=world.now, customer=CustomerId(customer), segment=seg.name,
            reason=model.reason(met, world.now), amount=model.baseline + above,
        )
    )  # fmt: skip
